"""Travel-time adapters for assignment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch.ports import TravelTimes
from gis.datums import haversine_m


class StraightLineTravel:
    """Fallback when no road network is loaded: great-circle distance x detour factor at a
    fixed speed. Flagged as ``straight_line`` so nobody mistakes it for a routed ETA."""

    def __init__(self, speed_mps: float = 8.0, detour_factor: float = 1.4) -> None:
        if speed_mps <= 0 or detour_factor < 1:
            raise ValueError("speed must be positive and the detour factor at least 1")
        self.speed_mps, self.detour_factor = speed_mps, detour_factor

    def travel_times(
        self, origins: Sequence[tuple[float, float]], destinations: Sequence[tuple[float, float]]
    ) -> TravelTimes:
        """Seconds from each origin to each destination."""
        if not origins or not destinations:
            return TravelTimes([[] for _ in origins], "straight_line")
        o = np.asarray(origins, dtype=np.float64)
        d = np.asarray(destinations, dtype=np.float64)
        dist = haversine_m(o[:, None, 0], o[:, None, 1], d[None, :, 0], d[None, :, 1])
        seconds = np.asarray(dist) * self.detour_factor / self.speed_mps
        return TravelTimes(seconds.tolist(), "straight_line")
