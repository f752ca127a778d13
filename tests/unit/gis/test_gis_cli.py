"""The `gis` Typer sub-app on small generated files."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from api.cli_gis import gis_app
from gis.calibration import CameraCalibration
from gis.datums import Datum, LocalProjection, convert
from gis.road_loaders import EdgeTable

runner = CliRunner()
CELL = shapely.box(114.050, 22.540, 114.052, 22.542)


def _areas(tmp_path: Path, geoms=(CELL,)) -> Path:
    path = tmp_path / "areas.geojson"
    gpd.GeoDataFrame(
        {"gid": [f"c{i}" for i in range(len(geoms))], "label": ["cell"] * len(geoms)},
        geometry=list(geoms),
        crs=4326,
    ).to_file(path)
    return path


def test_import_areas_summary(tmp_path):
    bowtie = shapely.Polygon(
        [(114.06, 22.54), (114.062, 22.542), (114.062, 22.54), (114.06, 22.542)]
    )
    path = _areas(tmp_path, (CELL, bowtie))
    result = runner.invoke(
        gis_app, ["import-areas", str(path), "--kind", "grid", "--id-field", "gid"]
    )
    assert result.exit_code == 0, result.output
    assert "features" in result.output
    assert "c1" in result.output  # repaired id listed
    assert "detected" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "grid", "--on-invalid", "reject"], "rejected c1"),
        (["--kind", "county"], "unknown area kind"),
        (["--kind", "grid", "--datum", "mars"], "unknown datum"),
    ],
)
def test_import_areas_failures(tmp_path, args, message):
    bowtie = shapely.Polygon(
        [(114.06, 22.54), (114.062, 22.542), (114.062, 22.54), (114.06, 22.542)]
    )
    path = _areas(tmp_path, (CELL, bowtie))
    result = runner.invoke(gis_app, ["import-areas", str(path), "--id-field", "gid", *args])
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.parametrize(
    ("lon", "lat", "datum", "code", "text"),
    [
        ("114.051", "22.541", "wgs84", 0, "'cell'"),
        ("10", "10", "wgs84", 2, "outside"),
        # The WGS84 centre of the cell, given in GCJ-02, is converted before the lookup.
        (*map(str, convert(114.051, 22.541, Datum.WGS84, Datum.GCJ02)), "gcj02", 0, "'cell'"),
    ],
)
def test_locate(tmp_path, lon, lat, datum, code, text):
    path = _areas(tmp_path)
    args = ["locate", lon, lat, "--areas", str(path), "--name-field", "label", "--datum", datum]
    result = runner.invoke(gis_app, args)
    assert result.exit_code == code, result.output
    assert text in result.output


def test_calibrate_writes_json(tmp_path):
    proj = LocalProjection(32650)
    x0, y0 = proj.to_metres(114.05, 22.54)
    pixels = np.array([[100, 700], [1800, 720], [1500, 300], [400, 320], [960, 500]], float)
    lon, lat = proj.to_lonlat(x0 + pixels[:, 0] * 0.02, y0 - pixels[:, 1] * 0.03)
    points = tmp_path / "pts.csv"
    lines = [f"{p[0]},{p[1]},{a},{b}" for p, a, b in zip(pixels, lon, lat, strict=True)]
    points.write_text("px_x,px_y,lon,lat\n" + "\n".join(lines))
    out = tmp_path / "h.json"
    result = runner.invoke(gis_app, ["calibrate", str(points), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "RMSE" in result.output
    cal = CameraCalibration.from_dict(json.loads(out.read_text()))
    np.testing.assert_allclose(cal.to_ground(pixels[:1])[0], [lon[0], lat[0]], atol=1e-8)
    bad = tmp_path / "bad.csv"
    bad.write_text("px_x,px_y,lon,lat\n" + "\n".join(lines[:3]))
    failed = runner.invoke(gis_app, ["calibrate", str(bad), "--out", str(out)])
    assert failed.exit_code == 1
    assert "at least 4" in failed.output


def test_import_roads_writes_cache(tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"highway": "primary"},
        "geometry": {"type": "LineString", "coordinates": [[114.0, 22.5], [114.001, 22.5]]},
    }
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = tmp_path / "roads.npz"
    result = runner.invoke(gis_app, ["import-roads", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert EdgeTable.load_npz(out).n_edges == 2
    missing = runner.invoke(gis_app, ["import-roads", str(tmp_path / "nope.geojson")])
    assert missing.exit_code == 1
