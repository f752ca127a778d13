"""Load area polygons (GeoJSON, Shapefile, GeoPackage) into clean WGS84 records.

Every import states (``datum=``) or detects (from the file CRS) its datum. Projected files are
reprojected with pyproj; GCJ-02/BD-09 data must be declared and is converted. Invalid polygons
are repaired with ``shapely.make_valid`` (ids reported) or rejected with their id. The whole file
is validated before anything is returned: one bad feature fails the import, listing all of them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from gis.areas import AreaKind, AreaRecord
from gis.datums import Datum, FloatArray, convert

ProgressFn = Callable[[int, int], None]
InvalidPolicy = Literal["repair", "reject"]
_GEOGRAPHIC_EPSG = {4326: Datum.WGS84, 4490: Datum.CGCS2000}
_CHUNK = 500


class GisImportError(ValueError):
    """A file cannot be imported; ``rejected`` lists (feature_id, reason) when per-feature."""

    def __init__(self, message: str, rejected: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.rejected = rejected or []


@dataclass(frozen=True)
class AreaImport:
    """A validated area file: WGS84 polygons plus what was done to get them."""

    frame: gpd.GeoDataFrame  # feature_id, kind, code, name, geometry (EPSG:4326)
    path: str
    source_crs: str | None
    source_datum: Datum
    datum_declared: bool
    repaired_ids: list[str]

    def __len__(self) -> int:
        return len(self.frame)

    def records(self, first_id: int = 1) -> list[AreaRecord]:
        """Area records with sequential ids starting at ``first_id`` (the DB assigns real ids)."""
        kinds, codes, names = self.frame["kind"], self.frame["code"], self.frame["name"]
        return [
            AreaRecord(first_id + i, AreaKind(kinds.iat[i]), codes.iat[i], names.iat[i], geom)
            for i, geom in enumerate(self.frame.geometry)
        ]


def _read(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise GisImportError(f"{path}: file not found")
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise GisImportError(f"{path}: cannot read as a vector file: {exc}") from exc
    if len(frame) == 0:
        raise GisImportError(f"{path}: the file has no features")
    return frame


def _column(frame: gpd.GeoDataFrame, field: str | None, what: str, default: list[str]) -> list[str]:
    if field is None:
        return default
    if field not in frame.columns:
        cols = ", ".join(c for c in frame.columns if c != "geometry")
        raise GisImportError(f"{what} field {field!r} not found; columns are: {cols}")
    return ["" if v is None or v != v else str(v) for v in frame[field]]


def _resolve_datum(frame: gpd.GeoDataFrame, datum: Datum | None, path: Path) -> tuple[Datum, bool]:
    """Return (source datum, needs reprojection to EPSG:4326)."""
    crs: CRS | None = frame.crs
    if crs is None:
        if datum is None:
            raise GisImportError(f"{path}: unknown CRS (no .prj / crs); pass datum= explicitly")
        return datum, False
    epsg = crs.to_epsg()
    if epsg in _GEOGRAPHIC_EPSG:
        return (datum or _GEOGRAPHIC_EPSG[epsg]), False
    if datum is not None and datum.frame is not Datum.WGS84:
        raise GisImportError(
            f"{path}: declared {datum.value} but the file CRS is {crs.to_string()}; GCJ-02/BD-09 "
            "exist only as lon/lat"
        )
    if not crs.is_projected and not crs.is_geographic:
        raise GisImportError(f"{path}: unsupported CRS {crs.to_string()}")
    return (datum or Datum.WGS84), True


def _check_geometry(geom: BaseGeometry | None, policy: InvalidPolicy) -> tuple[Any, str]:
    """Return (geometry or None, reason/'repaired'/'')."""
    if geom is None or geom.is_empty:
        return None, "empty or missing geometry"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, f"geometry type {geom.geom_type} is not a polygon"
    if shapely.is_valid(geom):
        return geom, ""
    reason = shapely.is_valid_reason(geom)
    if policy == "reject":
        return None, f"invalid polygon: {reason}"
    fixed = _polygonal_part(shapely.make_valid(geom))
    if fixed is None:
        return None, f"invalid polygon that cannot be repaired: {reason}"
    return fixed, "repaired"


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry | None:
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not polys:
        return None
    merged = shapely.union_all(polys)
    return merged if not merged.is_empty else None


def _out_of_range(geoms: np.ndarray[Any, Any]) -> FloatArray:
    bounds = shapely.bounds(geoms)
    bad = (bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
    return np.asarray(bad | ~np.isfinite(bounds).all(axis=1), dtype=bool)


def _to_wgs84_geoms(geoms: np.ndarray[Any, Any], datum: Datum) -> np.ndarray[Any, Any]:
    if datum.frame is Datum.WGS84:
        return geoms

    def _shift(coords: FloatArray) -> FloatArray:
        lon, lat = convert(coords[:, 0], coords[:, 1], datum, Datum.WGS84)
        return np.column_stack([lon, lat])

    converted = shapely.transform(geoms, _shift)
    invalid = ~shapely.is_valid(converted)
    converted[invalid] = shapely.make_valid(converted[invalid])
    return np.asarray(converted)


def load_areas(
    path: str | Path,
    *,
    kind: AreaKind | str,
    datum: Datum | None = None,
    id_field: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    layer: str | None = None,
    on_invalid: InvalidPolicy = "repair",
    progress: ProgressFn | None = None,
) -> AreaImport:
    """Load, validate, repair and convert an area file to WGS84; all-or-nothing."""
    path = Path(path)
    area_kind = AreaKind.parse(kind)
    frame = _read(path, layer)
    n = len(frame)
    ids = _column(frame, id_field, "id", [str(i + 1) for i in range(n)])
    if len(set(ids)) != n:
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:10]
        raise GisImportError(f"{path}: duplicate feature ids {dupes}")
    codes = _column(frame, code_field, "code", [""] * n)
    names = _column(frame, name_field, "name", ids)
    source_datum, reproject = _resolve_datum(frame, datum, path)
    source_crs = frame.crs.to_string() if frame.crs is not None else None
    if reproject:
        frame = frame.to_crs(4326)
    geoms, rejected, repaired = _validate_all(frame, ids, on_invalid, progress)
    if rejected:
        shown = "; ".join(f"{fid}: {why}" for fid, why in rejected[:10])
        more = f" (+{len(rejected) - 10} more)" if len(rejected) > 10 else ""
        raise GisImportError(
            f"{path}: {len(rejected)} of {n} features rejected: {shown}{more}", rejected
        )
    geoms = _to_wgs84_geoms(geoms, source_datum)
    clean = gpd.GeoDataFrame(
        {"feature_id": ids, "kind": area_kind.value, "code": codes, "name": names},
        geometry=list(geoms),
        crs="EPSG:4326",
    )
    return AreaImport(clean, str(path), source_crs, source_datum, datum is not None, repaired)


def _validate_all(
    frame: gpd.GeoDataFrame, ids: list[str], policy: InvalidPolicy, progress: ProgressFn | None
) -> tuple[np.ndarray[Any, Any], list[tuple[str, str]], list[str]]:
    raw = np.asarray(frame.geometry.values, dtype=object)
    out = raw.copy()
    rejected: list[tuple[str, str]] = []
    repaired: list[str] = []
    for start in range(0, len(raw), _CHUNK):
        for i in range(start, min(start + _CHUNK, len(raw))):
            geom, note = _check_geometry(raw[i], policy)
            if geom is None:
                rejected.append((ids[i], note))
            elif note == "repaired":
                repaired.append(ids[i])
            out[i] = geom
        if progress is not None:
            progress(min(start + _CHUNK, len(raw)), len(raw))
    ok = np.asarray([g is not None for g in out])
    bad_range = np.zeros(len(out), dtype=bool)
    if ok.any():
        bad_range[ok] = _out_of_range(out[ok])
    rejected += [
        (ids[i], "coordinates out of lon/lat range (swapped axes or a projected CRS missing?)")
        for i in np.flatnonzero(bad_range)
    ]
    return out, rejected, repaired


def load_calibration_points(path: str | Path) -> tuple[FloatArray, FloatArray]:
    """Read pixel<->world pairs from CSV (columns px_x, px_y, lon, lat) or JSON.

    JSON is a list of objects with the same keys, or ``{"points": [...]}``.
    Returns (pixel (N, 2), world (N, 2)).
    """
    path = Path(path)
    if not path.exists():
        raise GisImportError(f"{path}: file not found")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = data["points"] if isinstance(data, dict) else data
        else:
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        table = np.array(
            [[float(r[k]) for k in ("px_x", "px_y", "lon", "lat")] for r in rows], dtype=float
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GisImportError(
            f"{path}: expected rows with px_x, px_y, lon, lat numbers: {exc!r}"
        ) from exc
    if table.size == 0:
        raise GisImportError(f"{path}: no points")
    return table[:, :2], table[:, 2:]
