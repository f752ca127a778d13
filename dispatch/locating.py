"""The Locator adapter: areas and the responsibility table from the database into gis indexes."""

from __future__ import annotations

import threading

from shapely import wkt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.ports import Location
from gis.areas import AreaHit, AreaIndex, AreaKind, AreaRecord, ResponsibilityTable
from models import Area, Category, Responsibility


class AreaLocator:
    """Point -> grid, district, responsible unit, from an in-memory STRtree index.

    ``reload()`` rebuilds the index after areas or responsibilities change.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._index = AreaIndex([])
        self._table = ResponsibilityTable()
        self._ids: list[str] = []
        self.reload()

    def reload(self) -> None:
        """Read areas and responsibilities again."""
        with self._sessions() as session:
            # Python's code-point order, as PostGIS lookups use COLLATE "C": same border winner.
            kinds = [k.value for k in AreaKind]  # truck zones (restricted/permitted) live elsewhere
            areas = sorted(
                session.scalars(select(Area).where(Area.kind.in_(kinds))), key=lambda a: a.id
            )
            ids = [a.id for a in areas]
            row_of = {area_id: n for n, area_id in enumerate(ids)}
            records = [
                AreaRecord(row_of[a.id], AreaKind(a.kind), a.code, a.name, wkt.loads(a.geom_wkt))
                for a in areas
            ]
            table = ResponsibilityTable()
            codes = list(session.scalars(select(Category.code)))
            for resp in session.scalars(select(Responsibility).order_by(Responsibility.id)):
                for code in [resp.category_code] if resp.category_code else codes:
                    table.add(code, row_of[resp.area_id], resp.unit_id, resp.priority)
        with self._lock:
            self._index, self._table, self._ids = AreaIndex(records), table, ids

    def locate(self, lon: float, lat: float, category_code: str) -> Location:
        """Grid cell, district and responsible unit of a WGS84 point (None where unknown)."""
        with self._lock:
            index, table, ids = self._index, self._table, self._ids
        hits = index.locate(lon, lat)
        unit = table.lookup(category_code, hits)
        grid = hits.get(AreaKind.GRID)
        district = hits.get(AreaKind.DISTRICT)
        return Location(
            grid_id=_id(ids, grid),
            district_id=_id(ids, district),
            unit_id=unit.unit if unit else None,
            area_ids=tuple(ids[h.area_id] for h in hits.values()),
            county_code=(grid.code[:6] if grid else district.code[:6] if district else None),
        )


def _id(ids: list[str], hit: AreaHit | None) -> str | None:
    return ids[hit.area_id] if hit is not None else None
