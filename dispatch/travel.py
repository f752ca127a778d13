"""Travel times for assignment: the gis ETA estimators behind the dispatch port."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch.ports import TravelTimes
from gis.roads import EtaEstimator, StraightLineEta


class EtaTravel:
    """Adapts a gis ``EtaEstimator`` (road network, or straight line as a flagged fallback)."""

    def __init__(self, estimator: EtaEstimator) -> None:
        self.estimator = estimator

    def travel_times(
        self, origins: Sequence[tuple[float, float]], destinations: Sequence[tuple[float, float]]
    ) -> TravelTimes:
        """Seconds from each origin to each destination (inf when unreachable)."""
        if not origins or not destinations:
            return TravelTimes([[] for _ in origins], "none")
        eta = self.estimator.eta_matrix(
            np.asarray(origins, dtype=np.float64), np.asarray(destinations, dtype=np.float64)
        )
        return TravelTimes(np.asarray(eta.seconds).tolist(), str(eta.method))


def StraightLineTravel(speed_mps: float = 8.0, detour_factor: float = 1.4) -> EtaTravel:  # noqa: N802
    """The fallback when no road network is loaded: great-circle distance x detour factor at a
    fixed speed, flagged ``straight_line`` so nobody mistakes it for a routed ETA."""
    return EtaTravel(StraightLineEta(speed_mps=speed_mps, detour_factor=detour_factor))
