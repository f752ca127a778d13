"""GIS hot paths: point -> grid cell, and staff x case ETA matrices on the Shenzhen road graph.

Run from the repo root: ``.venv/bin/python bench/bench_gis.py [--quick] [--seed 0]``.

1. Point -> grid cell, 1M random points over 10,000 cells (100 m squares, 100 x 100, Futian):
   ``AreaIndex.locate_many`` (one vectorised STRtree query) against two naive loops, each timed
   on a subsample and EXTRAPOLATED to the full point count (printed as such):
   * ``loop+tree``: a Python loop, one STRtree query per point;
   * ``loop scan``: a Python loop testing ``cell.covers(point)`` over every cell (no index).
   Results are checked to agree on the subsample.
2. ETA matrix, 500 staff x 1000 cases on the Futian/Nanshan OSMnx graph:
   ``RoadNetwork.eta_matrix`` (csgraph Dijkstra from unique entry nodes, snapping, partial edges)
   against networkx ``shortest_path_length`` per (staff, case) pair between the nearest nodes,
   timed on a subsample of pairs and EXTRAPOLATED; plus networkx single-source Dijkstra per
   staff (the fair networkx baseline), also on a subsample of staff and extrapolated.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely

from gis.areas import AreaIndex, AreaKind, AreaRecord
from gis.roads import RoadNetwork

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gis"
GRAPHML = DATA / "shenzhen" / "shenzhen_futian_nanshan_osmnx.graphml"
ORIGIN = (114.00, 22.50)
CELL_DEG = 0.001  # ~100 m x ~103 m
SIDE = 100  # 100 x 100 = 10,000 cells
T = TypeVar("T")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _cells() -> list[AreaRecord]:
    records = []
    for i in range(SIDE):
        for j in range(SIDE):
            x0, y0 = ORIGIN[0] + j * CELL_DEG, ORIGIN[1] + i * CELL_DEG
            box = shapely.box(x0, y0, x0 + CELL_DEG, y0 + CELL_DEG)
            code = f"440304{1 + i // 10:03d}{1 + j // 10:03d}{1 + i % 10 * 10 + j % 10:03d}"
            records.append(AreaRecord(i * SIDE + j + 1, AreaKind.GRID, code, "", box))
    return records


def _timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def bench_points(
    n_points: int, n_tree_loop: int, n_scan: int, rng: np.random.Generator
) -> tuple[list[AreaRecord], FloatArray, FloatArray, IntArray, float]:
    records = _cells()
    index, build_s = _timed(AreaIndex, records)
    span = SIDE * CELL_DEG
    lons = ORIGIN[0] - 0.01 + rng.uniform(0, span + 0.02, n_points)  # some points fall outside
    lats = ORIGIN[1] - 0.01 + rng.uniform(0, span + 0.02, n_points)
    rows, vec_s = _timed(index.locate_many, lons, lats, AreaKind.GRID)

    geoms = [r.geometry for r in records]
    tree = shapely.STRtree(geoms)
    ids = np.asarray([r.area_id for r in records])

    def tree_loop(k: int) -> list[int]:
        out = []
        for lon, lat in zip(lons[:k], lats[:k], strict=True):
            hit = tree.query(shapely.Point(lon, lat), predicate="covered_by")
            out.append(int(hit[np.argmin(ids[hit])]) if len(hit) else -1)
        return out

    def scan_loop(k: int) -> list[int]:
        out = []
        for lon, lat in zip(lons[:k], lats[:k], strict=True):
            point = shapely.Point(lon, lat)
            out.append(next((c for c, g in enumerate(geoms) if g.covers(point)), -1))
        return out

    tree_rows, tree_s = _timed(tree_loop, n_tree_loop)
    scan_rows, scan_s = _timed(scan_loop, n_scan)
    assert tree_rows == rows[:n_tree_loop].tolist(), "loop+tree disagrees with locate_many"
    assert scan_rows == rows[:n_scan].tolist(), "scan disagrees with locate_many"
    tree_full = tree_s / n_tree_loop * n_points
    scan_full = scan_s / n_scan * n_points
    print(f"\n[1] point -> grid cell: {n_points:,} points, {len(records):,} cells "
          f"({(rows >= 0).mean():.0%} inside), index build {build_s:.2f} s")  # fmt: skip
    print(f"{'method':<34}{'timed on':>12}{'time for all (s)':>18}{'points/s':>14}{'ratio':>9}")
    print(f"{'locate_many (vectorised STRtree)':<34}{n_points:>12,}{vec_s:>18.2f}"
          f"{n_points / vec_s:>14,.0f}{1.0:>9.1f}")  # fmt: skip
    for name, timed_on, full in (
        ("loop + STRtree per point", n_tree_loop, tree_full),
        ("loop scanning all cells", n_scan, scan_full),
    ):
        print(f"{name:<34}{timed_on:>12,}{full:>17.1f}*{n_points / full:>14,.0f}"
              f"{full / vec_s:>9.1f}")  # fmt: skip
    print("* extrapolated linearly from the subsample; ratio = time / vectorised time")
    return records, lons, lats, rows, vec_s


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def bench_postgis(
    records: list[AreaRecord],
    lons: FloatArray,
    lats: FloatArray,
    rows: IntArray,
    vec_s: float,
    n_sql: int,
) -> None:
    """The same lookup in PostGIS (GiST index, ST_Covers, lowest id on borders)."""
    from sqlalchemy import create_engine, text

    name = f"bench_gis_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: say so, do not fail the whole bench
        print(f"\n[1b] PostGIS skipped: {exc.__class__.__name__}")
        return
    engine = create_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION postgis"))
            conn.execute(
                text("CREATE TABLE cells (id int PRIMARY KEY, geom geometry(Polygon, 4326))")
            )
            conn.execute(
                text(
                    "INSERT INTO cells SELECT unnest(CAST(:ids AS int[])), "
                    "ST_GeomFromText(unnest(CAST(:wkts AS text[])), 4326)"
                ),
                {"ids": [r.area_id for r in records], "wkts": [r.geometry.wkt for r in records]},
            )
            conn.execute(text("CREATE INDEX ON cells USING gist (geom)"))
            conn.execute(text("ANALYZE cells"))
        query = text(
            "SELECT p.n, (SELECT min(c.id) FROM cells c WHERE ST_Covers(c.geom, "
            "ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))) FROM unnest(CAST(:lons AS float8[]), "
            "CAST(:lats AS float8[])) "
            "WITH ORDINALITY AS p(lon, lat, n) ORDER BY p.n"
        )
        params = {"lons": lons[:n_sql].tolist(), "lats": lats[:n_sql].tolist()}
        start = time.perf_counter()
        with engine.connect() as conn:
            sql_ids = [-1 if cid is None else cid for _, cid in conn.execute(query, params)]
        sql_s = time.perf_counter() - start
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    ids = np.asarray([r.area_id for r in records])
    want = [int(ids[r]) if r >= 0 else -1 for r in rows[:n_sql]]
    agree = sum(a == b for a, b in zip(sql_ids, want, strict=True)) / n_sql
    full = sql_s / n_sql * len(lons)
    print(f"\n[1b] PostGIS on the same cells, answers agree with locate_many: {agree:.2%}")
    print(
        f"{'PostGIS ST_Covers + GiST':<34}{n_sql:>12,}{full:>17.1f}*{len(lons) / full:>14,.0f}"
        f"{full / vec_s:>9.1f}"
    )


def _nx_graph(net: RoadNetwork) -> nx.DiGraph:
    t = net.table
    graph = nx.DiGraph()
    for k in np.argsort(-net.time_s):  # slowest first: the fastest parallel edge wins
        graph.add_edge(int(t.u[k]), int(t.v[k]), weight=float(net.time_s[k]))
    return graph


def bench_eta(
    n_staff: int, n_cases: int, n_pairs: int, n_sources: int, rng: np.random.Generator
) -> None:
    net, load_s = _timed(RoadNetwork.from_file, GRAPHML)
    t = net.table
    box = (t.node_lon.min(), t.node_lat.min(), t.node_lon.max(), t.node_lat.max())

    def uniform(n: int) -> np.ndarray:
        return np.column_stack([rng.uniform(box[0], box[2], n), rng.uniform(box[1], box[3], n)])

    staff, cases = uniform(n_staff), uniform(n_cases)
    net.eta_matrix(staff[:5], cases[:5])  # warm-up
    eta, cs_s = _timed(net.eta_matrix, staff, cases)
    graph = _nx_graph(net)
    s_nodes, _ = net.nearest_nodes(staff[:, 0], staff[:, 1])
    c_nodes, _ = net.nearest_nodes(cases[:, 0], cases[:, 1])
    pairs = [(int(rng.integers(n_staff)), int(rng.integers(n_cases))) for _ in range(n_pairs)]

    def per_pair() -> None:
        for i, j in pairs:
            with contextlib.suppress(nx.NetworkXNoPath):
                nx.shortest_path_length(graph, int(s_nodes[i]), int(c_nodes[j]), weight="weight")

    def per_source() -> None:
        for i in range(n_sources):
            nx.single_source_dijkstra_path_length(graph, int(s_nodes[i]), weight="weight")

    _, pair_s = _timed(per_pair)
    _, src_s = _timed(per_source)
    total_pairs = n_staff * n_cases
    pair_full = pair_s / n_pairs * total_pairs
    src_full = src_s / n_sources * n_staff
    finite = np.isfinite(eta.seconds).mean()
    print(f"\n[2] ETA matrix {n_staff} staff x {n_cases} cases on the Shenzhen graph "
          f"({net.n_nodes} nodes, {net.n_edges} edges, load {load_s:.2f} s); "
          f"finite {finite:.1%}, median {np.median(eta.seconds):.0f} s")  # fmt: skip
    print(f"{'method':<40}{'timed on':>14}{'time for all (s)':>18}{'pairs/s':>14}{'ratio':>9}")
    print(f"{'csgraph eta_matrix (with snapping)':<40}{total_pairs:>14,}{cs_s:>18.2f}"
          f"{total_pairs / cs_s:>14,.0f}{1.0:>9.1f}")  # fmt: skip
    for name, timed_on, full in (
        ("networkx shortest_path_length per pair", f"{n_pairs:,} pairs", pair_full),
        ("networkx single-source per staff", f"{n_sources} staff", src_full),
    ):
        print(f"{name:<40}{timed_on:>14}{full:>17.1f}*{total_pairs / full:>14,.0f}"
              f"{full / cs_s:>9.1f}")  # fmt: skip
    print("* extrapolated linearly; networkx runs node-to-node (no snapping or partial edges)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, ~10 s")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.quick:
        points = bench_points(100_000, 5_000, 20, rng)
        bench_postgis(*points, n_sql=10_000)
    else:
        points = bench_points(1_000_000, 20_000, 100, rng)
        bench_postgis(*points, n_sql=100_000)
    if not GRAPHML.exists():
        print(f"\n[2] skipped: ../shared/data not present ({GRAPHML})")
        return
    if args.quick:
        bench_eta(100, 200, 300, 10, rng)
    else:
        bench_eta(500, 1000, 2000, 50, rng)


if __name__ == "__main__":
    main()
