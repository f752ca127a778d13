"""WGS84 geometries for the sensor rules: restricted zones with time windows, permitted areas."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import shapely
from shapely.geometry.base import BaseGeometry

from scenes.time_window import TimeWindow


@dataclass(frozen=True)
class RestrictedZone:
    """A zone banned to muck trucks, always (no windows) or during any of ``windows``."""

    zone_id: str
    geometry: BaseGeometry
    """Polygon or multipolygon in WGS84 lon/lat (EPSG:4326)."""
    windows: tuple[TimeWindow, ...] = ()
    name: str = ""

    def active(self, instant: datetime) -> bool:
        """True when the ban applies at ``instant``."""
        return not self.windows or any(w.contains(instant) for w in self.windows)


def _check_polygons(geoms: Sequence[BaseGeometry], what: str) -> None:
    for geom in geoms:
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.area <= 0:
            raise ValueError(f"{what} must be non-empty (multi)polygons, got {geom.wkt[:80]}")
        if not geom.is_valid:
            raise ValueError(f"{what} must be valid polygons: {shapely.is_valid_reason(geom)}")
        minx, miny, maxx, maxy = geom.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise ValueError(f"{what} must be WGS84 lon/lat degrees; bounds {geom.bounds}")


class RestrictedZoneIndex:
    """STRtree over restricted zones; a point on the border counts as inside."""

    def __init__(self, zones: Iterable[RestrictedZone] = ()) -> None:
        self.zones = list(zones)
        ids = [z.zone_id for z in self.zones]
        if len(set(ids)) != len(ids):
            raise ValueError("restricted zone ids must be unique")
        geoms = [z.geometry for z in self.zones]
        _check_polygons(geoms, "restricted zones")
        shapely.prepare(geoms)
        self._tree = shapely.STRtree(geoms)

    def at(self, lon: float, lat: float) -> list[RestrictedZone]:
        """Zones covering the point, whatever the time."""
        if not self.zones:
            return []
        hits = self._tree.query(shapely.Point(lon, lat), predicate="covered_by")
        return [self.zones[int(i)] for i in sorted(hits)]

    def active_at(self, lon: float, lat: float, instant: datetime) -> list[RestrictedZone]:
        """Zones covering the point whose ban applies at ``instant``."""
        return [z for z in self.at(lon, lat) if z.active(instant)]


class PermittedAreas:
    """Where a muck truck may stop: construction sites, disposal sites, depots (WGS84)."""

    def __init__(self, areas: Iterable[BaseGeometry] = ()) -> None:
        self._areas = list(areas)
        _check_polygons(self._areas, "permitted areas")
        shapely.prepare(self._areas)
        self._tree = shapely.STRtree(self._areas)

    def covers(self, lon: float, lat: float) -> bool:
        """True when the point is inside (or on the border of) a permitted area."""
        if not self._areas:
            return False
        return bool(self._tree.query(shapely.Point(lon, lat), predicate="covered_by").size)
