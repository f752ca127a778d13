"""Datum conversions, UTM helpers and distances; the Shenzhen GCJ-02 vs WGS84 real-data check."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis.areas import AreaIndex, AreaKind, AreaRecord
from gis.datums import (
    Datum,
    DatumMismatch,
    GeoPoints,
    LocalProjection,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    utm_epsg_for,
    wgs84_to_gcj02,
)

# Published vectors: eviltransform's test suite (wgs -> gcj) and coordtransform's README.
WGS_GCJ_VECTORS = [
    # wgs lon, wgs lat, gcj lon, gcj lat
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # coordtransform README
]
GCJ_BD_VECTORS = [(116.404, 39.915, 116.41036949371029, 39.92133699351021)]
CM = 0.01


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ_VECTORS)
def test_wgs_to_gcj_matches_published_vectors(wlon, wlat, glon, glat):
    lon, lat = convert(wlon, wlat, Datum.WGS84, Datum.GCJ02)
    assert haversine_m(lon, lat, glon, glat) < 1e-3


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ_VECTORS)
def test_gcj_to_wgs_is_exact_inverse_of_vectors(wlon, wlat, glon, glat):
    lon, lat = to_wgs84(glon, glat, Datum.GCJ02)
    assert haversine_m(lon, lat, wlon, wlat) < CM


@pytest.mark.parametrize(("glon", "glat", "blon", "blat"), GCJ_BD_VECTORS)
def test_gcj_to_bd_matches_published_vector(glon, glat, blon, blat):
    lon, lat = gcj02_to_bd09(glon, glat)
    assert haversine_m(float(lon), float(lat), blon, blat) < 1e-3
    back_lon, back_lat = convert(blon, blat, Datum.BD09, Datum.GCJ02)
    assert haversine_m(back_lon, back_lat, glon, glat) < CM


def test_iterative_inverse_beats_one_step_approximation():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(100, 125, 500), rng.uniform(20, 45, 500)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    shift_lon, shift_lat = wgs84_to_gcj02(g_lon, g_lat)
    one_step = (2 * g_lon - shift_lon, 2 * g_lat - shift_lat)
    exact = gcj02_to_wgs84(g_lon, g_lat)
    assert np.max(haversine_m(*exact, lon, lat)) < CM
    assert np.max(haversine_m(*one_step, lon, lat)) > 10 * CM


PAIRS = [(a, b) for a in Datum for b in Datum if a is not b]


@pytest.mark.parametrize(("src", "dst"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_round_trip_under_a_centimetre(src, dst):
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(73, 135, 1000), rng.uniform(18, 53, 1000)
    there = convert(lon, lat, src, dst)
    back = convert(*there, dst, src)
    assert np.max(haversine_m(*back, lon, lat)) < CM


@pytest.mark.parametrize(
    ("lon", "lat", "datum"),
    [
        (24.94, 60.17, Datum.GCJ02),  # Helsinki
        (-74.0, 40.7, Datum.GCJ02),  # New York
        (114.05, 22.54, Datum.CGCS2000),  # CGCS2000 is WGS84 here
        (114.05, 22.54, Datum.WGS84),
    ],
)
def test_identity_cases(lon, lat, datum):
    assert to_wgs84(lon, lat, datum) == pytest.approx((lon, lat), abs=1e-12)


def test_inside_china_shift_is_hundreds_of_metres():
    lon, lat = to_wgs84(114.05, 22.54, Datum.GCJ02)
    assert 300 < haversine_m(lon, lat, 114.05, 22.54) < 800
    bd = to_wgs84(114.05, 22.54, Datum.BD09)
    assert haversine_m(*bd, lon, lat) > 500


def test_scalar_in_scalar_out_and_arrays_keep_shape():
    lon, lat = to_wgs84(114.0, 22.5, Datum.GCJ02)
    assert isinstance(lon, float)
    assert isinstance(lat, float)
    grid_lon, grid_lat = to_wgs84(np.full((3, 4), 114.0), np.full((3, 4), 22.5), Datum.BD09)
    assert grid_lon.shape == (3, 4)
    assert grid_lat.shape == (3, 4)


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="shapes differ"):
        convert([1.0, 2.0], [1.0], Datum.GCJ02, Datum.WGS84)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WGS84", Datum.WGS84),
        ("EPSG:4326", Datum.WGS84),
        ("epsg:4490", Datum.CGCS2000),
        ("gcj-02", Datum.GCJ02),
        ("GCJ_02", Datum.GCJ02),
        ("amap", Datum.GCJ02),
        ("bd-09", Datum.BD09),
        ("Baidu", Datum.BD09),
        ("mars", None),
        ("EPSG:3857", None),
        ("", None),
    ],
)
def test_datum_parse(text, expected):
    if expected is None:
        with pytest.raises(ValueError, match="unknown datum"):
            Datum.parse(text)
    else:
        assert Datum.parse(text) is expected


@pytest.mark.parametrize(
    ("a", "b", "mismatch"),
    [
        (Datum.WGS84, Datum.GCJ02, True),
        (Datum.GCJ02, Datum.BD09, True),
        (Datum.WGS84, Datum.CGCS2000, False),
        (Datum.GCJ02, Datum.GCJ02, False),
    ],
)
def test_mixing_datums_raises(a, b, mismatch):
    first, second = GeoPoints.of(114.0, 22.5, a), GeoPoints.of(114.01, 22.5, b)
    if mismatch:
        with pytest.raises(DatumMismatch, match="convert"):
            first.distance_m(second)
        assert first.to(b).distance_m(second)[0] > 0
    else:
        assert first.distance_m(second)[0] == pytest.approx(1027.3, abs=0.5)


def test_area_index_refuses_points_in_another_datum():
    index = AreaIndex([AreaRecord(1, AreaKind.GRID, "g", "g", shapely.box(0, 0, 1, 1))])
    with pytest.raises(DatumMismatch):
        index.locate_many([0.5], [0.5], AreaKind.GRID, datum=Datum.GCJ02)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (114.06, 22.54, 32650),  # Shenzhen
        (24.94, 60.17, 32635),  # Helsinki
        (151.2, -33.9, 32756),  # Sydney
        (5.3, 60.4, 32632),  # Bergen: Norway exception
        (-180.0, 0.0, 32601),
        (180.0, 0.0, 32601),
        (0.0, 85.0, None),
        (200.0, 0.0, None),
    ],
)
def test_utm_epsg_for(lon, lat, epsg):
    if epsg is None:
        with pytest.raises(ValueError, match="UTM"):
            utm_epsg_for(lon, lat)
    else:
        assert utm_epsg_for(lon, lat) == epsg


def test_local_projection_round_trip_and_metres():
    proj = LocalProjection.around([114.0, 114.1], [22.5, 22.6])
    assert proj.epsg == 32650
    x, y = proj.to_metres([114.0, 114.0], [22.5, 22.501])
    assert np.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(110.7, abs=0.5)
    lon, lat = proj.to_lonlat(x, y)
    np.testing.assert_allclose(lon, [114.0, 114.0], atol=1e-9)
    np.testing.assert_allclose(lat, [22.5, 22.501], atol=1e-9)


@pytest.mark.parametrize(
    ("args", "expected_m"),
    [
        ((0.0, 0.0, 0.0, 1.0), 111_195.0),
        ((0.0, 0.0, 0.0, 0.0), 0.0),
        ((0.0, 0.0, 180.0, 0.0), 20_015_114.4),
        ((114.0, 22.5, 114.0 + 360.0, 22.5), 0.0),
    ],
)
def test_haversine(args, expected_m):
    assert haversine_m(*args) == pytest.approx(expected_m, abs=1.0)


def test_haversine_vectorises():
    out = haversine_m(np.zeros(5), np.zeros(5), np.zeros(5), np.arange(5.0))
    np.testing.assert_allclose(out, np.arange(5.0) * 111_195.0, atol=2.0)


def _iou(a, b) -> float:
    return float(shapely.area(shapely.intersection(a, b)) / shapely.area(shapely.union(a, b)))


@pytest.mark.shared_data
def test_shenzhen_gcj_districts_match_wgs_after_conversion(shared_gis: Path):
    wgs = gpd.read_file(shared_gis / "shenzhen" / "shenzhen_districts_wgs84.geojson")
    gcj = gpd.read_file(shared_gis / "china_admin_amap_gcj02" / "shenzhen_districts_gcj02.geojson")
    gcj["qh"] = gcj["district"].str.removesuffix("区")
    both = sorted(set(wgs["qh"]) & set(gcj["qh"]))
    assert len(both) == 9  # Amap has no separate Dapeng
    converted = gcj.copy()
    converted["geometry"] = shapely.transform(
        gcj.geometry.values, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], Datum.GCJ02))
    )
    utm = 32650
    w = wgs.set_index("qh").to_crs(utm).geometry
    # Amap's Longgang still includes Dapeng (split off in 2011 as a "new district").
    w["龙岗"] = shapely.union(w["龙岗"], w["大鹏"])
    before = gcj.set_index("qh").to_crs(utm).geometry
    after = converted.set_index("qh").to_crs(utm).geometry
    for name in both:
        iou_before, iou_after = _iou(w[name], before[name]), _iou(w[name], after[name])
        assert iou_after >= 0.95, (name, iou_after)
        assert iou_after - iou_before > 0.005, (name, iou_before, iou_after)
