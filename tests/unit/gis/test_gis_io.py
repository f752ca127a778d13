"""Area file import: formats, CRS/datum handling, repair/reject, all-or-nothing errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from gis.areas import AreaIndex, AreaKind
from gis.datums import Datum, convert, haversine_m
from gis.io import GisImportError, load_areas, load_calibration_points

# Two Futian-sized cells near (114.05, 22.54), WGS84.
CELL_A = shapely.box(114.050, 22.540, 114.052, 22.542)
CELL_B = shapely.box(114.052, 22.540, 114.054, 22.542)
BOWTIE = Polygon([(114.06, 22.54), (114.062, 22.542), (114.062, 22.54), (114.06, 22.542)])


def _write(tmp_path: Path, name: str, geoms, crs="EPSG:4326", **columns) -> Path:
    cols = {"gid": [f"g{i}" for i in range(len(geoms))], "label": ["x"] * len(geoms)}
    cols |= columns
    frame = gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)
    path = tmp_path / name
    frame.to_file(path)
    return path


@pytest.mark.parametrize("name", ["cells.geojson", "cells.shp", "cells.gpkg"])
def test_formats_load_to_wgs84_records(tmp_path, name):
    path = _write(tmp_path, name, [CELL_A, CELL_B], code=["440304001001001", "440304001001002"])
    result = load_areas(path, kind="grid", id_field="gid", code_field="code", name_field="label")
    assert len(result) == 2
    assert result.source_datum is Datum.WGS84
    assert not result.datum_declared
    assert result.repaired_ids == []
    assert result.frame.crs.to_epsg() == 4326
    records = result.records(first_id=100)
    assert [r.area_id for r in records] == [100, 101]
    assert records[1].code == "440304001001002"
    assert records[0].kind is AreaKind.GRID
    assert shapely.equals(records[0].geometry, CELL_A)


def test_projected_file_is_reprojected(tmp_path):
    utm = gpd.GeoSeries([CELL_A], crs=4326).to_crs(32650)
    path = _write(tmp_path, "utm.gpkg", list(utm), crs="EPSG:32650")
    result = load_areas(path, kind="grid")
    assert "32650" in (result.source_crs or "")
    geom = result.frame.geometry.iloc[0]
    assert shapely.equals_exact(shapely.normalize(geom), shapely.normalize(CELL_A), tolerance=1e-7)


@pytest.mark.parametrize("datum", [Datum.GCJ02, Datum.BD09])
def test_declared_chinese_datum_is_converted(tmp_path, datum):
    def shift(xy):
        return np.column_stack(convert(xy[:, 0], xy[:, 1], Datum.WGS84, datum))

    path = _write(tmp_path, "gcj.geojson", [shapely.transform(CELL_A, shift)])
    result = load_areas(path, kind="grid", datum=datum)
    assert result.datum_declared
    assert result.source_datum is datum
    got = np.asarray(result.frame.geometry.iloc[0].exterior.coords)
    want = np.asarray(CELL_A.exterior.coords)
    assert np.max(haversine_m(got[:, 0], got[:, 1], want[:, 0], want[:, 1])) < 0.01
    undeclared = load_areas(path, kind="grid")  # labelled 4326, so taken as WGS84: ~500 m off
    assert undeclared.frame.geometry.iloc[0].distance(CELL_A) > 0.001


def test_bowtie_is_repaired_and_reported(tmp_path):
    path = _write(tmp_path, "bad.geojson", [CELL_A, BOWTIE])
    result = load_areas(path, kind="grid", id_field="gid")
    assert result.repaired_ids == ["g1"]
    fixed = result.frame.geometry.iloc[1]
    assert fixed.is_valid
    assert fixed.geom_type in ("Polygon", "MultiPolygon")
    index = AreaIndex(result.records())
    assert index.locate(114.0605, 22.541)[AreaKind.GRID].name == "g1"


def _empty_geojson(tmp_path: Path) -> Path:
    path = tmp_path / "empty.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    return path


def _no_prj(tmp_path: Path) -> Path:
    path = _write(tmp_path, "noprj.shp", [CELL_A])
    path.with_suffix(".prj").unlink()
    return path


def _bowtie(p: Path) -> Path:
    return _write(p, "b.geojson", [CELL_A, BOWTIE])


def _with_point(p: Path) -> Path:
    return _write(p, "pt.geojson", [CELL_A, shapely.Point(114, 22)])


def _out_of_range(p: Path) -> Path:
    boxes = [shapely.box(200, 22, 201, 23), CELL_A, shapely.box(22, 114, 23, 115)]
    return _write(p, "r.shp", boxes, crs=None)


def _plain(p: Path) -> Path:
    return _write(p, "f.geojson", [CELL_A])


def _dupes(p: Path) -> Path:
    return _write(p, "d.geojson", [CELL_A, CELL_B], gid=["a", "a"])


def _utm(p: Path) -> Path:
    return _write(p, "u.gpkg", [CELL_A], crs="EPSG:32650")


def _junk(p: Path) -> Path:
    path = p / "junk.geojson"
    path.write_text("not json")
    return path


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
@pytest.mark.parametrize(
    ("make", "kwargs", "message", "rejected"),
    [
        (_bowtie, {"on_invalid": "reject"}, "1 of 2 features rejected: g1: invalid", ["g1"]),
        (_with_point, {}, "g1: geometry type Point", ["g1"]),
        (_out_of_range, {"datum": Datum.WGS84}, "2 of 3 features rejected", ["g0", "g2"]),
        (_empty_geojson, {}, "no features", []),
        (_no_prj, {}, "unknown CRS", []),
        (lambda p: p / "missing.geojson", {}, "not found", []),
        (_plain, {"code_field": "nope"}, "code field 'nope'", []),
        (_dupes, {}, "duplicate", []),
        (_utm, {"datum": Datum.GCJ02}, "only as lon/lat", []),
        (_junk, {}, "cannot read", []),
    ],
)
def test_bad_files_fail_whole_with_feature_ids(tmp_path, make, kwargs, message, rejected):
    path = make(tmp_path)
    kwargs = {"id_field": "gid", **kwargs} if "gid" in _columns(path) else kwargs
    with pytest.raises(GisImportError, match=message) as err:
        load_areas(path, kind="grid", **kwargs)
    assert [fid for fid, _ in err.value.rejected] == rejected


def _columns(path: Path) -> list[str]:
    try:
        return list(gpd.read_file(path).columns)
    except Exception:
        return []


def test_unknown_kind_is_refused(tmp_path):
    path = _write(tmp_path, "k.geojson", [CELL_A])
    with pytest.raises(ValueError, match="unknown area kind"):
        load_areas(path, kind="county")


def test_progress_callback_reaches_total(tmp_path):
    path = _write(tmp_path, "p.geojson", [CELL_A, CELL_B])
    seen: list[tuple[int, int]] = []
    load_areas(path, kind="grid", progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (2, 2)


def test_calibration_points_csv_and_json(tmp_path):
    rows = [(1, 2, 114.0, 22.5), (3, 4, 114.1, 22.6)]
    csv_path = tmp_path / "pts.csv"
    csv_path.write_text("px_x,px_y,lon,lat\n" + "\n".join(",".join(map(str, r)) for r in rows))
    json_path = tmp_path / "pts.json"
    keys = ("px_x", "px_y", "lon", "lat")
    json_path.write_text(json.dumps({"points": [dict(zip(keys, r, strict=True)) for r in rows]}))
    for path in (csv_path, json_path):
        px, world = load_calibration_points(path)
        np.testing.assert_allclose(px, [[1, 2], [3, 4]])
        np.testing.assert_allclose(world, [[114.0, 22.5], [114.1, 22.6]])


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.csv", "x,y\n1,2\n", "px_x"),
        ("b.csv", "px_x,px_y,lon,lat\n", "no points"),
        ("c.json", '[{"px_x": "a", "px_y": 1, "lon": 1, "lat": 1}]', "numbers"),
        ("d.json", '{"pts": []}', "px_x"),
    ],
)
def test_calibration_points_bad_input(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(GisImportError, match=message):
        load_calibration_points(path)
