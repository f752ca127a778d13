"""Ports the dispatch service needs from the outside: locating and travel times."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Location:
    """Where a case is in the city's administrative geography."""

    grid_id: str | None = None
    district_id: str | None = None
    unit_id: str | None = None
    area_ids: tuple[str, ...] = field(default_factory=tuple)
    county_code: str | None = None

    @property
    def known(self) -> bool:
        """True when a responsible unit was found."""
        return self.unit_id is not None


class Locator(Protocol):
    """Maps a point and category to grid, district and responsible unit."""

    def locate(self, lon: float, lat: float, category_code: str) -> Location:
        """Return the location; unknown parts are None."""
        ...


@dataclass(frozen=True)
class TravelTimes:
    """Seconds from each origin to each destination, and how they were computed."""

    seconds: list[list[float]]
    method: str


class TravelTimeEstimator(Protocol):
    """Many-to-many travel times (road network, or straight line as a flagged fallback)."""

    def travel_times(
        self, origins: Sequence[tuple[float, float]], destinations: Sequence[tuple[float, float]]
    ) -> TravelTimes:
        """Return an origins x destinations matrix in seconds (inf when unreachable)."""
        ...
