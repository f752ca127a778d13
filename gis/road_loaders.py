"""Road-network loaders: OSMnx GraphML, OSM PBF (pyrosm) and GeoJSON lines -> :class:`EdgeTable`.

An :class:`EdgeTable` is a plain set of arrays of *directed* edges (two-way roads appear twice),
with lengths, speeds and geometries, that :class:`gis.roads.RoadNetwork` turns into a graph.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gis.datums import FloatArray, LocalProjection

IntArray = npt.NDArray[np.int64]

# Default free-flow urban speeds by OSM highway class (km/h) when maxspeed is missing.
DEFAULT_SPEED_KPH: dict[str, float] = {
    "motorway": 90.0, "motorway_link": 50.0, "trunk": 70.0, "trunk_link": 40.0,
    "primary": 50.0, "primary_link": 35.0, "secondary": 40.0, "secondary_link": 30.0,
    "tertiary": 35.0, "tertiary_link": 25.0, "unclassified": 30.0, "residential": 25.0,
    "living_street": 10.0, "service": 15.0, "road": 25.0,
}  # fmt: skip
DRIVE_CLASSES = frozenset(DEFAULT_SPEED_KPH)
_FALLBACK_KPH = 20.0
_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_MPH = 1.609344


class RoadImportError(ValueError):
    """A road file cannot be turned into a network."""


@dataclass(frozen=True)
class EdgeTable:
    """Directed road edges as arrays; node coordinates in WGS84."""

    node_ids: IntArray
    node_lon: FloatArray
    node_lat: FloatArray
    u: IntArray  # row index into the node arrays
    v: IntArray
    length_m: FloatArray
    speed_mps: FloatArray
    highway: npt.NDArray[np.str_]
    coords: FloatArray  # (K, 2) lon/lat of all edge polylines, oriented u -> v
    offsets: IntArray  # edge i's polyline is coords[offsets[i]:offsets[i + 1]]

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.u)

    def subset(self, edge_mask: npt.NDArray[np.bool_]) -> EdgeTable:
        """The edges selected by ``edge_mask`` and the nodes they use (re-indexed)."""
        if edge_mask.all():
            return self
        edges = np.flatnonzero(edge_mask)
        used = np.unique(np.concatenate([self.u[edges], self.v[edges]]))
        remap = np.full(self.n_nodes, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        sizes = np.diff(self.offsets)[edges]
        coord_idx = (
            np.concatenate([np.arange(self.offsets[e], self.offsets[e + 1]) for e in edges])
            if len(edges)
            else np.empty(0, dtype=np.int64)
        )
        return EdgeTable(
            node_ids=self.node_ids[used],
            node_lon=self.node_lon[used],
            node_lat=self.node_lat[used],
            u=remap[self.u[edges]], v=remap[self.v[edges]], length_m=self.length_m[edges],
            speed_mps=self.speed_mps[edges], highway=self.highway[edges],
            coords=self.coords[coord_idx], offsets=np.concatenate([[0], np.cumsum(sizes)]),
        )  # fmt: skip

    def save_npz(self, path: str | Path) -> None:
        """Write a compact cache file (numpy .npz, compressed)."""
        np.savez_compressed(Path(path), **{k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def load_npz(cls, path: str | Path) -> EdgeTable:
        """Read a cache written by :meth:`save_npz`."""
        with np.load(Path(path), allow_pickle=False) as data:
            missing = set(cls.__dataclass_fields__) - set(data.files)
            if missing:
                raise RoadImportError(f"{path}: not a road cache (missing {sorted(missing)})")
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def parse_highway(value: Any) -> list[str]:
    """OSMnx stores merged ways' classes as a list or its string form "['a', 'b']"."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in ast.literal_eval(text)]
        except (ValueError, SyntaxError):
            return re.findall(r"[a-z_]+", text)
    return [text]


def parse_maxspeed_kph(value: Any) -> float | None:
    """First usable number of an OSM maxspeed ("50", "30 mph", "['40', '60']"), in km/h."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]
    numbers = [n for n in numbers if n > 0]
    if not numbers:
        return None
    kph = min(numbers)
    return kph * _MPH if "mph" in text.lower() else kph


def speed_mps(highway: Sequence[str], maxspeed: Any) -> float:
    """Speed from maxspeed, else the fastest known default of the edge's classes."""
    kph = parse_maxspeed_kph(maxspeed)
    if kph is None:
        known = [DEFAULT_SPEED_KPH[h] for h in highway if h in DEFAULT_SPEED_KPH]
        kph = max(known) if known else _FALLBACK_KPH
    return kph / 3.6


def _primary_class(classes: Sequence[str], allowed: frozenset[str]) -> str | None:
    kept = [c for c in classes if c in allowed]
    if not kept:
        return None
    return max(kept, key=lambda c: DEFAULT_SPEED_KPH.get(c, 0.0))


@dataclass
class _Builder:
    """Accumulates nodes and directed edges, then freezes them into an EdgeTable."""

    node_index: dict[int, int]
    node_xy: list[tuple[float, float]]
    rows: list[tuple[int, int, float, float, str]]
    lines: list[FloatArray]

    @classmethod
    def empty(cls) -> _Builder:
        return cls({}, [], [], [])

    def node(self, node_id: int, lon: float, lat: float) -> int:
        idx = self.node_index.get(node_id)
        if idx is None:
            idx = self.node_index[node_id] = len(self.node_xy)
            self.node_xy.append((lon, lat))
        return idx

    def edge(self, u: int, v: int, length: float, speed: float, hw: str, line: FloatArray) -> None:
        if u == v:  # self-loops never help a route
            return
        self.rows.append((u, v, length, speed, hw))
        self.lines.append(line)

    def table(self, source: str) -> EdgeTable:
        if not self.rows:
            raise RoadImportError(f"{source}: no drivable edges found")
        u, v, length, speed, hw = zip(*self.rows, strict=True)
        sizes = np.asarray([len(line) for line in self.lines], dtype=np.int64)
        xy = np.asarray(self.node_xy, dtype=np.float64)
        ids = np.empty(len(self.node_index), dtype=np.int64)
        ids[list(self.node_index.values())] = list(self.node_index.keys())
        return EdgeTable(
            node_ids=ids, node_lon=xy[:, 0], node_lat=xy[:, 1],
            u=np.asarray(u, dtype=np.int64), v=np.asarray(v, dtype=np.int64),
            length_m=np.asarray(length, dtype=np.float64),
            speed_mps=np.asarray(speed, dtype=np.float64), highway=np.asarray(hw, dtype=str),
            coords=np.concatenate(self.lines), offsets=np.concatenate([[0], np.cumsum(sizes)]),
        )  # fmt: skip


def load_graphml(path: str | Path, *, classes: frozenset[str] = DRIVE_CLASSES) -> EdgeTable:
    """Load an OSMnx GraphML (already directed: one-way streets have a single edge)."""
    try:
        graph = nx.read_graphml(Path(path))
    except (OSError, nx.NetworkXError, ValueError) as exc:
        raise RoadImportError(f"{path}: cannot read GraphML: {exc}") from exc
    build = _Builder.empty()
    for u_id, v_id, data in graph.edges(data=True):
        cls = _primary_class(parse_highway(data.get("highway")), classes)
        if cls is None:
            continue
        nu, nv = graph.nodes[u_id], graph.nodes[v_id]
        u_xy = (float(nu["x"]), float(nu["y"]))
        v_xy = (float(nv["x"]), float(nv["y"]))
        u = build.node(int(u_id), *u_xy)
        v = build.node(int(v_id), *v_xy)
        line = _line_coords(data.get("geometry"), u_xy, v_xy)
        speed = speed_mps(parse_highway(data.get("highway")), data.get("maxspeed"))
        build.edge(u, v, float(data["length"]), speed, cls, line)
    return build.table(str(path))


def _line_coords(wkt: Any, start: tuple[float, float], end: tuple[float, float]) -> FloatArray:
    if isinstance(wkt, str) and wkt:
        coords = shapely.get_coordinates(shapely.from_wkt(wkt))
        if len(coords) >= 2:
            return np.asarray(coords, dtype=np.float64)
    return np.asarray([start, end], dtype=np.float64)


def _oneway_mode(value: Any, highway: str) -> int:
    """+1 forward only, -1 reverse only, 0 both ways (motorways are one-way by default)."""
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    text = text.strip().lower()
    if text in _ONEWAY_FORWARD:
        return 1
    if text in _ONEWAY_REVERSE:
        return -1
    return 1 if not text and highway == "motorway" else 0


def _add_undirected(
    build: _Builder,
    u: int,
    v: int,
    length: float,
    speed: float,
    hw: str,
    line: FloatArray,
    oneway: int,
) -> None:
    if oneway >= 0:
        build.edge(u, v, length, speed, hw, line)
    if oneway <= 0:
        build.edge(v, u, length, speed, hw, line[::-1].copy())


def load_pbf(path: str | Path, *, classes: frozenset[str] = DRIVE_CLASSES) -> EdgeTable:
    """Load the driving network of an OSM PBF extract with pyrosm (optional dependency)."""
    try:
        import pyrosm
    except ImportError as exc:
        raise RoadImportError("reading .osm.pbf needs the optional 'pyrosm' package") from exc
    if not Path(path).exists():
        raise RoadImportError(f"{path}: file not found")
    nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="driving", nodes=True)
    if edges is None or len(edges) == 0:
        raise RoadImportError(f"{path}: no driving network in this extract")
    lon = dict(zip(nodes["id"].to_numpy(), nodes["lon"].to_numpy(), strict=True))
    lat = dict(zip(nodes["id"].to_numpy(), nodes["lat"].to_numpy(), strict=True))
    build = _Builder.empty()
    maxspeed = edges["maxspeed"] if "maxspeed" in edges else [None] * len(edges)
    for row, ms in zip(edges.itertuples(index=False), maxspeed, strict=True):
        cls = _primary_class(parse_highway(row.highway), classes)
        if cls is None:
            continue
        u = build.node(int(row.u), float(lon[row.u]), float(lat[row.u]))
        v = build.node(int(row.v), float(lon[row.v]), float(lat[row.v]))
        line = np.asarray(shapely.get_coordinates(row.geometry), dtype=np.float64)
        speed = speed_mps([cls], ms)
        _add_undirected(
            build, u, v, float(row.length), speed, cls, line, _oneway_mode(row.oneway, cls)
        )
    return build.table(str(path))


def load_geojson_lines(
    path: str | Path, *, classes: frozenset[str] | None = DRIVE_CLASSES, snap_decimals: int = 7
) -> EdgeTable:
    """Load LineStrings (properties highway, oneway, maxspeed optional) as a network.

    Lines meeting at the same end coordinate (rounded to ``snap_decimals``) share a node.
    A line without ``highway`` counts as a generic "road"; ``classes=None`` keeps every class.
    """
    import geopandas as gpd

    try:
        frame = gpd.read_file(Path(path), engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types
        raise RoadImportError(f"{path}: cannot read: {exc}") from exc
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, 4490):
        frame = frame.to_crs(4326)
    build = _Builder.empty()
    end_ids: dict[tuple[float, float], int] = {}
    for props, geom in zip(_props(frame), frame.geometry, strict=True):
        for line in _lines(geom):
            _add_geojson_line(build, end_ids, props, line, classes, snap_decimals)
    return build.table(str(path))


def _props(frame: Any) -> Iterable[dict[str, Any]]:
    cols = [c for c in ("highway", "oneway", "maxspeed") if c in frame.columns]
    for i in range(len(frame)):
        yield {c: frame[c].iat[i] for c in cols}


def _lines(geom: BaseGeometry | None) -> list[FloatArray]:
    if geom is None or geom.is_empty:
        return []
    parts = shapely.get_parts(geom)
    return [
        np.asarray(shapely.get_coordinates(p), dtype=np.float64)
        for p in parts
        if p.geom_type == "LineString" and len(shapely.get_coordinates(p)) >= 2
    ]


def _add_geojson_line(
    build: _Builder,
    end_ids: dict[tuple[float, float], int],
    props: dict[str, Any],
    line: FloatArray,
    classes: frozenset[str] | None,
    decimals: int,
) -> None:
    hw_list = parse_highway(props.get("highway")) or ["road"]
    allowed = classes if classes is not None else frozenset(hw_list)
    cls = _primary_class(hw_list, allowed)
    if cls is None:
        return
    ends = [
        (float(round(line[i, 0], decimals)), float(round(line[i, 1], decimals))) for i in (0, -1)
    ]
    u, v = (build.node(end_ids.setdefault(end, len(end_ids) + 1), *end) for end in ends)
    proj = LocalProjection.around(line[:, 0], line[:, 1])
    x, y = proj.to_metres(line[:, 0], line[:, 1])
    length = float(np.hypot(np.diff(x), np.diff(y)).sum())
    speed = speed_mps(hw_list, props.get("maxspeed"))
    _add_undirected(build, u, v, length, speed, cls, line, _oneway_mode(props.get("oneway"), cls))
