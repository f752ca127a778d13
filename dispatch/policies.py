"""Pure case policies: geo-verified arrival, camera re-check verification, duplicate detection.

Distances are great-circle (haversine) metres on WGS84 lon/lat, good to ~0.5% at city scale,
which is far below GPS accuracy. Coordinates must already be WGS84 (convert GCJ-02 / BD-09 at
the edge, see ``gis.datums``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from core.clock import ensure_utc
from gis.datums import haversine_m

CaseKey = int | str


def haversine_matrix_m(lonlat_a: npt.ArrayLike, lonlat_b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Pairwise distances (len(a) x len(b)) in metres between (N, 2) lon/lat arrays."""
    a = np.asarray(lonlat_a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(lonlat_b, dtype=np.float64).reshape(-1, 2)
    out = haversine_m(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])
    return np.asarray(out, dtype=np.float64).reshape(len(a), len(b))


def valid_lonlat(lon: float, lat: float) -> bool:
    """Finite, in range, and not the (0, 0) 'null island' that broken GPS fixes report."""
    finite = math.isfinite(lon) and math.isfinite(lat)
    return finite and -180 <= lon <= 180 and -90 <= lat <= 90 and (lon, lat) != (0.0, 0.0)


# ---------------------------------------------------------------- geo-verified arrival


class ArrivalReason(StrEnum):
    """Why a check-in was accepted or refused."""

    WITHIN_RADIUS = "within_radius"
    TOO_FAR = "too_far"
    ABSURD_ACCURACY = "absurd_accuracy"
    BAD_COORDINATES = "bad_coordinates"


@dataclass(frozen=True)
class ArrivalCheck:
    """Outcome of a check-in: ``distance_m`` is NaN when coordinates were unusable."""

    ok: bool
    distance_m: float
    reason: ArrivalReason
    message: str


def check_arrival(
    worker_lonlat: tuple[float, float],
    accuracy_m: float,
    case_lonlat: tuple[float, float],
    radius_m: float,
    *,
    accuracy_cap_m: float = 50.0,
    max_accuracy_m: float = 1000.0,
) -> ArrivalCheck:
    """Accept a check-in when ``distance - min(accuracy, cap) <= radius``.

    The reported accuracy gives the worker the benefit of the doubt, but only up to
    ``accuracy_cap_m`` so that a vague fix cannot check in from far away; accuracy that is
    negative, non-finite or above ``max_accuracy_m`` (cell-tower fixes) is refused outright.
    """
    if not (valid_lonlat(*worker_lonlat) and valid_lonlat(*case_lonlat)):
        msg = f"unusable coordinates: worker {worker_lonlat}, case {case_lonlat}"
        return ArrivalCheck(False, math.nan, ArrivalReason.BAD_COORDINATES, msg)
    distance_m = haversine_m(*worker_lonlat, *case_lonlat)
    if not (math.isfinite(accuracy_m) and 0 <= accuracy_m <= max_accuracy_m):
        msg = f"position accuracy {accuracy_m} m is not usable (limit {max_accuracy_m:.0f} m)"
        return ArrivalCheck(False, distance_m, ArrivalReason.ABSURD_ACCURACY, msg)
    slack_m = min(accuracy_m, accuracy_cap_m)
    if distance_m - slack_m <= radius_m:
        msg = f"checked in {distance_m:.0f} m from the incident (radius {radius_m:.0f} m)"
        return ArrivalCheck(True, distance_m, ArrivalReason.WITHIN_RADIUS, msg)
    msg = (
        f"{distance_m:.0f} m from the incident: move within {radius_m:.0f} m "
        f"(accuracy {accuracy_m:.0f} m, at most {accuracy_cap_m:.0f} m credited)"
    )
    return ArrivalCheck(False, distance_m, ArrivalReason.TOO_FAR, msg)


# ---------------------------------------------------------------- camera re-check verification


class VerificationDecision(StrEnum):
    """Outcome of a camera re-check after handling (核查)."""

    VERIFIED = "verified"
    REWORK = "rework"
    UNDECIDED = "undecided"


class VerificationPolicy(BaseModel):
    """How a camera re-check decides whether the handled violation is really gone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_s: float = Field(
        default=600, gt=0, description="Re-check period after handling is reported."
    )
    min_observations: int = Field(
        default=5, ge=1, description="Observations needed for any decision."
    )
    verified_clear_fraction: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Share of observations without the violation to verify.",
    )
    rework_present_fraction: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of observations still showing it to order rework.",
    )


@dataclass(frozen=True)
class Observation:
    """One re-check look at the scene: whether the violation is still visible."""

    at: datetime
    violation_present: bool


@dataclass(frozen=True)
class VerificationOutcome:
    """Decision with the evidence it rests on."""

    decision: VerificationDecision
    observations: int
    present_fraction: float
    reason: str


def verify_by_camera(
    observations: Iterable[Observation],
    handled_at: datetime,
    now: datetime,
    policy: VerificationPolicy | None = None,
) -> VerificationOutcome:
    """Decide from observations in ``[handled_at, handled_at + window_s]``.

    Rework as soon as enough observations show the violation persisting; verify only once the
    whole window has elapsed with the violation (almost) never seen; otherwise undecided (the
    caller falls back to an inspector when the window ends undecided).
    """
    rules = policy or VerificationPolicy()
    start = ensure_utc(handled_at)
    end = start + timedelta(seconds=rules.window_s)
    looks = [o for o in observations if start <= ensure_utc(o.at) <= end]
    n = len(looks)
    present = sum(o.violation_present for o in looks) / n if n else math.nan

    def outcome(decision: VerificationDecision, reason: str) -> VerificationOutcome:
        return VerificationOutcome(decision, n, present, reason)

    if n < rules.min_observations:
        return outcome(VerificationDecision.UNDECIDED, f"{n} of {rules.min_observations} looks")
    if present >= rules.rework_present_fraction:
        return outcome(VerificationDecision.REWORK, f"violation still seen in {present:.0%}")
    if ensure_utc(now) < end:
        return outcome(VerificationDecision.UNDECIDED, "re-check window still open")
    if 1 - present >= rules.verified_clear_fraction:
        return outcome(VerificationDecision.VERIFIED, f"clear in {1 - present:.0%} of looks")
    return outcome(VerificationDecision.UNDECIDED, f"mixed evidence ({present:.0%} present)")


# ---------------------------------------------------------------- duplicate detection


class DedupRule(BaseModel):
    """Events of ``category`` within ``radius_m`` and ``window_s`` of an open case join it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(min_length=1, description="Category code the rule applies to.")
    radius_m: float = Field(gt=0, description="Max distance from the case location.")
    window_s: float = Field(gt=0, description="Max time since the case was last seen.")


class DedupRules(BaseModel):
    """Per-category rules with a default for categories not listed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_radius_m: float = Field(
        default=50.0, gt=0, description="Radius for unlisted categories."
    )
    default_window_s: float = Field(
        default=1800.0, gt=0, description="Window for unlisted categories."
    )
    rules: list[DedupRule] = Field(default_factory=list, description="Per-category overrides.")

    def rule_for(self, category: str) -> DedupRule:
        """The rule for a category (the default when none is listed)."""
        for rule in self.rules:
            if rule.category == category:
                return rule
        return DedupRule(
            category=category, radius_m=self.default_radius_m, window_s=self.default_window_s
        )


@dataclass(frozen=True)
class DedupEvent:
    """The parts of an incoming event that dedup looks at."""

    category: str
    lon: float
    lat: float
    at: datetime


@dataclass(frozen=True)
class OpenCaseRef:
    """An open case that a new event could belong to."""

    case_id: CaseKey
    category: str
    lon: float
    lat: float
    last_seen: datetime


def find_duplicate(
    event: DedupEvent, open_cases: Sequence[OpenCaseRef], rules: DedupRules
) -> CaseKey | None:
    """The open case the event duplicates (nearest; then most recently seen), or None.

    A match has the same category, lies within ``radius_m`` and was last seen no more than
    ``window_s`` before (or after, for late deliveries) the event.
    """
    rule = rules.rule_for(event.category)
    at = ensure_utc(event.at)
    best: tuple[float, float, CaseKey] | None = None
    for case in open_cases:
        if case.category != event.category:
            continue
        age_s = abs((at - ensure_utc(case.last_seen)).total_seconds())
        if age_s > rule.window_s:
            continue
        distance_m = haversine_m(event.lon, event.lat, case.lon, case.lat)
        if distance_m <= rule.radius_m and (best is None or (distance_m, age_s) < best[:2]):
            best = (distance_m, age_s, case.case_id)
    return None if best is None else best[2]
