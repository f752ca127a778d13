"""Point -> area lookup (districts, streets, communities, unit grids, responsibility areas).

Areas are WGS84 polygons indexed per kind with a shapely 2 STRtree. A point on a shared border
is covered by several areas; it is given to the one with the lowest ``area_id`` so every point
belongs to exactly one area of a kind. A point inside a hole is outside the polygon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gis.datums import Coord, Datum, require_same_datum

IntArray = npt.NDArray[np.int64]


class AreaKind(StrEnum):
    """Kinds of area, from the broadest to the most specific."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    RESPONSIBILITY = "responsibility"

    @classmethod
    def parse(cls, value: str) -> AreaKind:
        """Parse a kind name, with the valid names in the error message."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown area kind {value!r}; expected one of {names}") from None

    @property
    def specificity(self) -> int:
        """Higher is more specific (responsibility areas are drawn explicitly, so they win)."""
        return list(AreaKind).index(self)


@dataclass(frozen=True, slots=True)
class AreaRecord:
    """One area polygon (WGS84) with its identity."""

    area_id: int
    kind: AreaKind
    code: str
    name: str
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True)
class AreaHit:
    """The area a point falls in."""

    area_id: int
    kind: AreaKind
    code: str
    name: str
    row: int


class AreaIndex:
    """Spatial index over area records, one STRtree per kind."""

    datum = Datum.WGS84

    def __init__(self, records: Iterable[AreaRecord]) -> None:
        self._records: list[AreaRecord] = list(records)
        ids = [r.area_id for r in self._records]
        if len(set(ids)) != len(ids):
            raise ValueError("area ids must be unique")
        for rec in self._records:
            if rec.geometry.geom_type not in ("Polygon", "MultiPolygon") or rec.geometry.is_empty:
                raise ValueError(f"area {rec.area_id} is not a non-empty (multi)polygon")
        self._ids = np.asarray(ids, dtype=np.int64)
        self._by_kind: dict[AreaKind, tuple[shapely.STRtree, IntArray]] = {}
        for kind in AreaKind:
            rows = np.asarray(
                [i for i, r in enumerate(self._records) if r.kind is kind], dtype=np.int64
            )
            if rows.size:
                geoms = [self._records[i].geometry for i in rows]
                shapely.prepare(geoms)
                self._by_kind[kind] = (shapely.STRtree(geoms), rows)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def kinds(self) -> list[AreaKind]:
        """Kinds present in the index."""
        return list(self._by_kind)

    def record(self, row: int) -> AreaRecord:
        """The record at a row index returned by :meth:`locate_many`."""
        return self._records[row]

    def locate_many(
        self, lons: Coord, lats: Coord, kind: AreaKind | str, *, datum: Datum = Datum.WGS84
    ) -> IntArray:
        """Row index of the area of ``kind`` covering each point, -1 outside (vectorised)."""
        require_same_datum(datum, self.datum, what="points and areas")
        lon_a = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        if lon_a.shape != lat_a.shape:
            raise ValueError(f"lons and lats shapes differ: {lon_a.shape} vs {lat_a.shape}")
        out = np.full(lon_a.shape, -1, dtype=np.int64)
        entry = self._by_kind.get(AreaKind.parse(kind))
        if entry is None or lon_a.size == 0:
            return out
        tree, rows = entry
        # Two phases: bounding boxes through the tree, then the exact test on coordinates
        # (intersects_xy on a point == covered_by: borders count, holes do not), vectorised.
        point_idx, tree_idx = tree.query(shapely.points(lon_a, lat_a))
        geoms = tree.geometries.take(tree_idx)
        exact = shapely.intersects_xy(geoms, lon_a[point_idx], lat_a[point_idx])
        point_idx, tree_idx = point_idx[exact], tree_idx[exact]
        if point_idx.size == 0:
            return out
        cand_rows = rows[tree_idx]
        order = np.lexsort((self._ids[cand_rows], point_idx))
        point_idx, cand_rows = point_idx[order], cand_rows[order]
        first = np.ones(point_idx.size, dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        out[point_idx[first]] = cand_rows[first]
        return out

    def locate(
        self, lon: float, lat: float, *, datum: Datum = Datum.WGS84
    ) -> dict[AreaKind, AreaHit]:
        """All areas (one per kind) covering a point."""
        hits: dict[AreaKind, AreaHit] = {}
        for kind in self._by_kind:
            row = int(self.locate_many([lon], [lat], kind, datum=datum)[0])
            if row >= 0:
                rec = self._records[row]
                hits[kind] = AreaHit(rec.area_id, rec.kind, rec.code, rec.name, row)
        return hits


_GRID_CODE = re.compile(r"[0-9]{15}")
# GB/T 2260 province-level prefixes.
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)


class GridCodeError(ValueError):
    """A unit-grid code is malformed."""


@dataclass(frozen=True, slots=True)
class GridCode:
    """A 15-digit unit-grid code: 6 county (GB/T 2260) + 3 street + 3 community + 3 cell."""

    county: str
    street: str
    community: str
    cell: str

    @property
    def code(self) -> str:
        """The full 15-digit code."""
        return self.county + self.street + self.community + self.cell

    @property
    def community_code(self) -> str:
        """The 12-digit prefix identifying the community."""
        return self.county + self.street + self.community


def parse_grid_code(code: str) -> GridCode:
    """Parse and validate a unit-grid code, raising :class:`GridCodeError` with the reason."""
    if not isinstance(code, str) or not _GRID_CODE.fullmatch(code):
        raise GridCodeError(f"grid code {code!r} must be exactly 15 ASCII digits")
    if int(code[:2]) not in _PROVINCES:
        raise GridCodeError(f"grid code {code!r}: {code[:2]} is not a GB/T 2260 province prefix")
    if code[4:6] == "00":
        raise GridCodeError(f"grid code {code!r}: {code[:6]} is not a county-level code")
    for name, part in (("street", code[6:9]), ("community", code[9:12]), ("cell", code[12:])):
        if part == "000":
            raise GridCodeError(f"grid code {code!r}: {name} part must not be 000")
    return GridCode(code[:6], code[6:9], code[9:12], code[12:])


def is_valid_grid_code(code: str) -> bool:
    """True when :func:`parse_grid_code` accepts ``code``."""
    try:
        parse_grid_code(code)
    except GridCodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Responsibility:
    """A unit responsible for a category in an area."""

    unit: str
    priority: int = 0


@dataclass
class ResponsibilityTable:
    """(category_code, area_id) -> responsible unit with priority."""

    _entries: dict[tuple[str, int], list[Responsibility]] = field(default_factory=dict)

    def add(self, category_code: str, area_id: int, unit: str, priority: int = 0) -> None:
        """Register a unit for a category in an area."""
        self._entries.setdefault((category_code, area_id), []).append(
            Responsibility(unit, priority)
        )

    def lookup(
        self, category_code: str, hits: Mapping[AreaKind, AreaHit] | Sequence[AreaHit]
    ) -> Responsibility | None:
        """The unit for the most specific area kind with an entry, then the highest priority.

        Ties on priority go to the unit registered first. Unknown -> None.
        """
        found = hits.values() if isinstance(hits, Mapping) else hits
        for hit in sorted(found, key=lambda h: h.kind.specificity, reverse=True):
            units = self._entries.get((category_code, hit.area_id))
            if units:
                return max(units, key=lambda r: r.priority)
        return None
