"""Road network, snapping and ETA matrices (field staff move on roads, not straight lines).

:class:`RoadNetwork` holds a directed graph as a scipy CSR matrix of travel times. Points are
snapped to the nearest edge in metres (local UTM); an ETA matrix runs
``scipy.sparse.csgraph.dijkstra`` once per unique entry node of the origins and adds the partial
edges at both ends plus the off-network legs at ``offroad_speed_mps``. Unreachable -> inf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from gis.datums import FloatArray, LocalProjection, haversine_m
from gis.road_loaders import EdgeTable, IntArray, load_geojson_lines, load_graphml, load_pbf

EtaMethod = Literal["road", "straight_line"]
DEFAULT_OFFROAD_SPEED_MPS = 1.4  # walking from the kerb to the point
_MIN_EDGE_TIME_S = 1e-3


@dataclass(frozen=True)
class EtaMatrix:
    """Travel time and distance from each origin (rows) to each destination (columns)."""

    seconds: FloatArray
    metres: FloatArray
    method: EtaMethod

    @property
    def approximate(self) -> bool:
        """True when computed without a road graph (straight line x detour factor)."""
        return self.method != "road"


class EtaEstimator(Protocol):
    """Anything that estimates travel times between lon/lat points (WGS84)."""

    def eta_matrix(self, origins_lonlat: FloatArray, dests_lonlat: FloatArray) -> EtaMatrix:
        """(n_origins, 2) x (n_dests, 2) lon/lat -> ETA matrix."""
        ...


def _lonlat(points: FloatArray, what: str) -> FloatArray:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2) if np.size(points) else None
    if pts is None:
        return np.empty((0, 2))
    if (
        not np.all(np.isfinite(pts))
        or np.any(np.abs(pts[:, 0]) > 180)
        or np.any(np.abs(pts[:, 1]) > 90)
    ):
        raise ValueError(f"{what} must be finite lon/lat pairs in range")
    return pts


@dataclass(frozen=True)
class StraightLineEta:
    """Fallback estimator: great-circle distance x detour factor at a constant speed."""

    speed_mps: float = 8.0
    detour_factor: float = 1.4

    def eta_matrix(self, origins_lonlat: FloatArray, dests_lonlat: FloatArray) -> EtaMatrix:
        """Straight-line ETA, flagged ``method="straight_line"``."""
        if self.speed_mps <= 0 or self.detour_factor < 1:
            raise ValueError("speed_mps must be > 0 and detour_factor >= 1")
        o = _lonlat(origins_lonlat, "origins")
        d = _lonlat(dests_lonlat, "destinations")
        dist = haversine_m(o[:, None, 0], o[:, None, 1], d[None, :, 0], d[None, :, 1])
        metres = np.asarray(dist, dtype=np.float64).reshape(len(o), len(d)) * self.detour_factor
        return EtaMatrix(metres / self.speed_mps, metres, "straight_line")


@dataclass(frozen=True)
class Snap:
    """Where points meet the network: edge, fraction along it (from u), distance, position."""

    edge: IntArray
    fraction: FloatArray
    distance_m: FloatArray
    lon: FloatArray
    lat: FloatArray
    node: IntArray  # the nearer end of the edge


@dataclass
class RoadNetwork:
    """A directed road graph with travel-time weights, snapping and ETA matrices."""

    table: EdgeTable
    offroad_speed_mps: float = DEFAULT_OFFROAD_SPEED_MPS
    largest_component: bool = True
    max_snap_m: float | None = None
    projection: LocalProjection = field(init=False)
    time_s: FloatArray = field(init=False)
    graph: csr_matrix = field(init=False)

    def __post_init__(self) -> None:
        if self.offroad_speed_mps <= 0:
            raise ValueError("offroad_speed_mps must be > 0")
        if self.largest_component:
            self.table = _largest_strong_component(self.table)
        t = self.table
        self.projection = LocalProjection.around(t.node_lon, t.node_lat)
        self.time_s = np.maximum(t.length_m / t.speed_mps, _MIN_EDGE_TIME_S)
        n = t.n_nodes
        order = np.lexsort((self.time_s, t.v, t.u))  # best edge first per (u, v)
        keys = t.u[order] * n + t.v[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        best = order[first]
        self._pair_keys = keys[first]  # sorted
        self._pair_len = t.length_m[best]
        self._pair_time = self.time_s[best]
        self.graph = csr_matrix((self._pair_time, (t.u[best], t.v[best])), shape=(n, n))
        self._reverse = self._reverse_edges()
        self._node_x, self._node_y = self.projection.to_metres(t.node_lon, t.node_lat)
        self._node_tree = cKDTree(np.column_stack([self._node_x, self._node_y]))
        self._build_edge_tree()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> RoadNetwork:
        """Load by extension: .graphml, .osm.pbf/.pbf, .geojson/.json/.gpkg/.shp, .npz cache."""
        name = str(path).lower()
        if name.endswith(".graphml"):
            table = load_graphml(path)
        elif name.endswith(".pbf"):
            table = load_pbf(path)
        elif name.endswith(".npz"):
            table = EdgeTable.load_npz(path)
        else:
            table = load_geojson_lines(path)
        return cls(table, **kwargs)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return self.table.n_nodes

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return self.table.n_edges

    def _pair_index(self, u: IntArray, v: IntArray) -> IntArray:
        """Index into the pair arrays of (u, v), -1 if there is no such edge."""
        keys = u * self.n_nodes + v
        pos = np.clip(np.searchsorted(self._pair_keys, keys), 0, len(self._pair_keys) - 1)
        return np.where(self._pair_keys[pos] == keys, pos, -1)

    def _reverse_edges(self) -> IntArray:
        """For each directed edge, the pair index of its reverse (v -> u) or -1."""
        return self._pair_index(self.table.v, self.table.u)

    def _build_edge_tree(self) -> None:
        t = self.table
        x, y = self.projection.to_metres(t.coords[:, 0], t.coords[:, 1])
        lines = shapely.linestrings(np.column_stack([x, y]), indices=_edge_of_coord(t.offsets))
        # Two-way roads are stored twice; index one direction only so snapping is stable.
        canonical = (self._reverse < 0) | (t.u < t.v)
        self._tree_edges = np.flatnonzero(canonical)
        self._edge_lines_m = lines
        self._edge_tree = shapely.STRtree(lines[self._tree_edges])

    def snap(self, lons: FloatArray, lats: FloatArray) -> Snap:
        """Snap WGS84 points to the nearest edge (exact, in metres)."""
        x, y = self.projection.to_metres(np.atleast_1d(lons), np.atleast_1d(lats))
        points = shapely.points(x, y)
        idx, dist = self._edge_tree.query_nearest(points, return_distance=True, all_matches=False)
        edge = np.empty(len(points), dtype=np.int64)
        distance = np.empty(len(points))
        edge[idx[0]] = self._tree_edges[idx[1]]
        distance[idx[0]] = dist
        lines = self._edge_lines_m[edge]
        frac = np.clip(shapely.line_locate_point(lines, points, normalized=True), 0.0, 1.0)
        on_line = shapely.get_coordinates(
            shapely.line_interpolate_point(lines, frac, normalized=True)
        )
        lon, lat = self.projection.to_lonlat(on_line[:, 0], on_line[:, 1])
        node = np.where(frac < 0.5, self.table.u[edge], self.table.v[edge])
        return Snap(edge, frac, distance, lon, lat, node)

    def nearest_nodes(self, lons: FloatArray, lats: FloatArray) -> tuple[IntArray, FloatArray]:
        """Nearest graph node (row index) of each point and its distance in metres (KD-tree)."""
        x, y = self.projection.to_metres(np.atleast_1d(lons), np.atleast_1d(lats))
        dist, idx = self._node_tree.query(np.column_stack([x, y]))
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)

    def eta_matrix(self, origins_lonlat: FloatArray, dests_lonlat: FloatArray) -> EtaMatrix:
        """Road ETA from every origin to every destination (seconds and metres).

        Points farther than ``max_snap_m`` from any road are unreachable (inf).
        """
        o = _lonlat(origins_lonlat, "origins")
        d = _lonlat(dests_lonlat, "destinations")
        if len(o) == 0 or len(d) == 0:
            return EtaMatrix(np.empty((len(o), len(d))), np.empty((len(o), len(d))), "road")
        so, sd = self.snap(o[:, 0], o[:, 1]), self.snap(d[:, 0], d[:, 1])
        o_nodes, o_time, o_len = self._origin_entries(so)
        d_nodes, d_time, d_len = self._dest_entries(sd)
        sources, src_row = np.unique(o_nodes, return_inverse=True)
        src_row = src_row.reshape(o_nodes.shape)
        times, preds = dijkstra(
            self.graph, directed=True, indices=sources, return_predecessors=True
        )
        metres = self._path_metres(preds)
        best_t = np.full((len(o), len(d)), np.inf)
        best_m = np.full((len(o), len(d)), np.inf)
        for a in range(2):  # leave the origin's edge forwards (a=0) or backwards (a=1)
            for b in range(2):  # reach the destination's edge at its start (b=0) or end (b=1)
                rows, cols = src_row[:, a], d_nodes[:, b]
                cand_t = o_time[:, a, None] + times[rows][:, cols] + d_time[None, :, b]
                cand_m = o_len[:, a, None] + metres[rows][:, cols] + d_len[None, :, b]
                better = cand_t < best_t
                best_t = np.where(better, cand_t, best_t)
                best_m = np.where(better, cand_m, best_m)
        best_t, best_m = self._same_edge(so, sd, best_t, best_m)
        leg_m = so.distance_m[:, None] + sd.distance_m[None, :]
        seconds = best_t + leg_m / self.offroad_speed_mps
        if self.max_snap_m is not None:
            too_far = (so.distance_m > self.max_snap_m)[:, None] | (
                sd.distance_m > self.max_snap_m
            )[None, :]
            seconds[too_far] = np.inf
        return EtaMatrix(seconds, np.where(np.isfinite(seconds), best_m + leg_m, np.inf), "road")

    def _origin_entries(self, snap: Snap) -> tuple[IntArray, FloatArray, FloatArray]:
        """Nodes reachable from each snapped origin along its edge (forward to v, back to u)."""
        t, e, f = self.table, snap.edge, snap.fraction
        nodes = np.column_stack([t.v[e], t.u[e]])
        rev_time, rev_len = self._reverse_partial(e, f)
        cost = np.column_stack([(1 - f) * self.time_s[e], rev_time])
        length = np.column_stack([(1 - f) * t.length_m[e], rev_len])
        return nodes, cost, length

    def _reverse_partial(self, edge: IntArray, frac: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Time and length to cover ``frac`` of ``edge`` backwards: on the reverse edge when
        the road is two-way, else off-network at ``offroad_speed_mps`` (walk back to the node).
        """
        rev = self._reverse[edge]
        ok = rev >= 0
        safe = np.maximum(rev, 0)
        back_m = frac * np.where(ok, self._pair_len[safe], self.table.length_m[edge])
        time_s = np.where(ok, frac * self._pair_time[safe], back_m / self.offroad_speed_mps)
        return time_s, back_m

    def _dest_entries(self, snap: Snap) -> tuple[IntArray, FloatArray, FloatArray]:
        """Nodes from which each snapped destination is reached along its edge."""
        t, e, f = self.table, snap.edge, snap.fraction
        nodes = np.column_stack([t.u[e], t.v[e]])
        rev_time, rev_len = self._reverse_partial(e, 1 - f)
        cost = np.column_stack([f * self.time_s[e], rev_time])
        length = np.column_stack([f * t.length_m[e], rev_len])
        return nodes, cost, length

    def _same_edge(
        self, so: Snap, sd: Snap, best_t: FloatArray, best_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Origin and destination on the same edge: drive along it directly when allowed."""
        same = so.edge[:, None] == sd.edge[None, :]
        if not same.any():
            return best_t, best_m
        e = so.edge
        delta = sd.fraction[None, :] - so.fraction[:, None]
        rev_time, rev_len = self._reverse_partial(e, np.ones(len(e)))
        fwd = delta >= 0
        direct_t = np.where(fwd, delta * self.time_s[e][:, None], -delta * rev_time[:, None])
        direct_m = np.where(fwd, delta * self.table.length_m[e][:, None], -delta * rev_len[:, None])
        use = same & (direct_t < best_t)
        return np.where(use, direct_t, best_t), np.where(use, direct_m, best_m)

    def _path_metres(self, preds: npt.NDArray[np.int32]) -> FloatArray:
        """Length of each fastest path, by pointer jumping along the predecessor trees."""
        n_src, n = preds.shape
        cols = np.broadcast_to(np.arange(n), (n_src, n))
        anc = np.where(preds >= 0, preds, cols).astype(np.int64)
        pair = self._pair_index(anc.ravel(), cols.ravel()).reshape(n_src, n)
        acc = np.where(pair >= 0, self._pair_len[np.maximum(pair, 0)], 0.0)
        for _ in range(64):  # 2**64 hops: always enough
            nxt = np.take_along_axis(anc, anc, axis=1)
            if np.array_equal(nxt, anc):
                break
            acc = acc + np.take_along_axis(acc, anc, axis=1)
            anc = nxt
        return acc


def _edge_of_coord(offsets: IntArray) -> IntArray:
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def _largest_strong_component(table: EdgeTable) -> EdgeTable:
    """Keep the edges inside the largest strongly connected component (no one-way traps)."""
    n = table.n_nodes
    adjacency = csr_matrix((np.ones(table.n_edges), (table.u, table.v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    biggest = np.argmax(np.bincount(labels))
    keep = (labels[table.u] == biggest) & (labels[table.v] == biggest)
    return table.subset(keep)
