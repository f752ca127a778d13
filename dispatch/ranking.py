"""Who may take a case, and in which order: eligibility, score and ranking (pure).

Conventions (data-level, so the service and UI agree):

* ``CaseDemand.priority``: 1 is the most urgent (急要件); larger numbers are less urgent.
* ``StaffCandidate.skills`` are category codes; the skill ``"*"`` covers every category.
* ``StaffCandidate.area_ids`` empty means the worker covers every area (e.g. a district team);
  ``CaseDemand.area_ids`` empty means the case is not restricted to an area (area unknown).
* Only ``available`` staff who are on shift and below ``max_load`` are eligible; ETA must be
  finite and non-negative (NaN/inf = no route).
* Score is a cost in "seconds of ETA": ``eta_weight*eta_s + load*load_s + fairness*fairness_s``;
  lower is better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

CaseKey = int | str
ANY_SKILL = "*"


class StaffStatus(StrEnum):
    """Field-unit status (CAD)."""

    AVAILABLE = "available"
    OFFERED = "offered"
    BUSY = "busy"
    OFF_SHIFT = "off_shift"


@dataclass(frozen=True)
class StaffCandidate:
    """A field worker as the assignment code sees them."""

    staff_id: str
    team: str | None
    status: StaffStatus
    skills: frozenset[str]
    area_ids: frozenset[str]
    on_shift: bool
    lon: float | None = None
    lat: float | None = None
    load: int = 0
    assigned_today: int = 0


@dataclass(frozen=True)
class CaseDemand:
    """A case waiting for a worker."""

    case_id: CaseKey
    category: str
    area_ids: frozenset[str]
    lon: float
    lat: float
    priority: int = 2


class Exclusion(StrEnum):
    """Why a worker cannot take a case (first failing rule, in this order)."""

    OFF_SHIFT = "off_shift"
    NOT_AVAILABLE = "not_available"
    MISSING_SKILL = "missing_skill"
    OUTSIDE_AREA = "outside_area"
    AT_CAPACITY = "at_capacity"
    UNREACHABLE = "unreachable"


class RankingWeights(BaseModel):
    """Weights of the score (costs in seconds-of-ETA) and the capacity limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eta_weight: float = Field(default=1.0, ge=0, description="Multiplier on ETA seconds.")
    load_s: float = Field(default=300.0, ge=0, description="Cost of each case already held.")
    fairness_s: float = Field(default=60.0, ge=0, description="Cost of each assignment today.")
    max_load: int = Field(default=3, ge=1, description="Workers holding this many are full.")
    priority_bonus_s: float = Field(
        default=3600.0,
        ge=0,
        description="Batch optimum: bonus per priority level, so urgent cases win scarce staff.",
    )


def covers_skill(staff: StaffCandidate, category: str) -> bool:
    """Whether the worker may handle the category."""
    return category in staff.skills or ANY_SKILL in staff.skills


def covers_area(staff: StaffCandidate, case: CaseDemand) -> bool:
    """Whether the worker's areas intersect the case's (empty sets are unrestricted)."""
    return not staff.area_ids or not case.area_ids or bool(staff.area_ids & case.area_ids)


def eligible(
    staff: StaffCandidate, case: CaseDemand, *, max_load: int = 3
) -> tuple[bool, Exclusion | None]:
    """Whether ``staff`` may be offered ``case``, with the first rule that fails."""
    if staff.status is StaffStatus.OFF_SHIFT or not staff.on_shift:
        return False, Exclusion.OFF_SHIFT
    if staff.status is not StaffStatus.AVAILABLE:
        return False, Exclusion.NOT_AVAILABLE
    if not covers_skill(staff, case.category):
        return False, Exclusion.MISSING_SKILL
    if not covers_area(staff, case):
        return False, Exclusion.OUTSIDE_AREA
    if staff.load >= max_load:
        return False, Exclusion.AT_CAPACITY
    return True, None


def reachable(eta_s: float) -> bool:
    """A usable ETA: finite and not negative."""
    return math.isfinite(eta_s) and eta_s >= 0


def score(eta_s: float, load: int, fairness: int, weights: RankingWeights) -> float:
    """Cost of giving a case to a worker (lower is better); ``fairness`` = assignments today."""
    return weights.eta_weight * eta_s + load * weights.load_s + fairness * weights.fairness_s


@dataclass(frozen=True)
class RankedCandidate:
    """One worker's place for a case; ``score`` is inf when excluded."""

    staff_id: str
    eligible: bool
    score: float
    eta_s: float
    exclusion: Exclusion | None


def rank_candidates(
    case: CaseDemand,
    staff: Sequence[StaffCandidate],
    eta_s_row: Sequence[float],
    weights: RankingWeights | None = None,
) -> list[RankedCandidate]:
    """All workers for one case: eligible ones by score (ties: ETA, then id), then the excluded.

    ``eta_s_row[j]`` is the ETA of ``staff[j]`` to the case.
    """
    if len(eta_s_row) != len(staff):
        raise ValueError(f"{len(eta_s_row)} ETAs for {len(staff)} staff")
    w = weights or RankingWeights()
    out = []
    for worker, eta in zip(staff, eta_s_row, strict=True):
        ok, why = eligible(worker, case, max_load=w.max_load)
        if ok and not reachable(float(eta)):
            ok, why = False, Exclusion.UNREACHABLE
        cost = score(float(eta), worker.load, worker.assigned_today, w) if ok else math.inf
        out.append(RankedCandidate(worker.staff_id, ok, cost, float(eta), why))
    out.sort(key=_rank_key)
    return out


def _rank_key(c: RankedCandidate) -> tuple[bool, float, float, str]:
    eta = c.eta_s if reachable(c.eta_s) else math.inf  # NaN would break the ordering
    return (not c.eligible, c.score, eta, c.staff_id)
