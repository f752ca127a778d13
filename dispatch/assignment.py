"""Batch assignment of cases to field staff, and the offer/timeout sequence (pure).

Both assigners give each worker at most one case per batch and use the ``ranking`` rules.

* ``assign_greedy``: cases in priority order (1 first, then input order), each takes the
  best-scoring free eligible worker. What a dispatcher does by hand; O(cases x staff).
* ``assign_batch_optimal``: one ``scipy.optimize.linear_sum_assignment`` over the score matrix.
  Infeasible pairs get a cost so large that the optimum first maximises the number of feasible
  assignments, then (with ``priority_bonus_s``) prefers urgent cases when staff are scarce, then
  minimises the total score.

``eta_matrix[i, j]`` is the ETA in seconds of ``staff[j]`` to ``cases[i]`` (inf/NaN = no route).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import linear_sum_assignment

from core.clock import ensure_utc
from dispatch.ranking import (
    ANY_SKILL,
    CaseDemand,
    CaseKey,
    Exclusion,
    RankedCandidate,
    RankingWeights,
    StaffCandidate,
    StaffStatus,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class UnassignedReason(StrEnum):
    """Why a case got nobody in this batch."""

    NO_ELIGIBLE_STAFF = "no_eligible_staff"
    STAFF_TAKEN = "staff_taken"


@dataclass(frozen=True)
class Assignment:
    """A case given to a worker."""

    case_id: CaseKey
    staff_id: str
    eta_s: float
    score: float


@dataclass(frozen=True)
class Unassigned:
    """A case left over, with a reason a human can read."""

    case_id: CaseKey
    reason: UnassignedReason
    detail: str


@dataclass(frozen=True)
class AssignmentResult:
    """Assignments (in case order of the input) and the cases left over."""

    assignments: list[Assignment] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)

    @property
    def total_eta_s(self) -> float:
        """Sum of the ETAs of the assignments."""
        return float(sum(a.eta_s for a in self.assignments))


@dataclass(frozen=True)
class _Problem:
    """Feasibility split by rule (for reasons) and the score matrix."""

    rule_masks: dict[Exclusion, BoolArray]  # (n_cases, n_staff) True = rule passes
    feasible: BoolArray
    cost: FloatArray  # score; inf where infeasible
    eta: FloatArray


def _rule_masks(
    cases: Sequence[CaseDemand], staff: Sequence[StaffCandidate], eta: FloatArray, max_load: int
) -> dict[Exclusion, BoolArray]:
    n = len(cases)
    status = np.array([s.status for s in staff], dtype=object)
    on_shift = np.array([s.on_shift for s in staff], dtype=bool) & (status != StaffStatus.OFF_SHIFT)
    available = status == StaffStatus.AVAILABLE
    load_ok = np.array([s.load < max_load for s in staff], dtype=bool)
    skill_rows: dict[str, BoolArray] = {}
    for c in {c.category for c in cases}:
        skill_rows[c] = np.array([c in s.skills or ANY_SKILL in s.skills for s in staff], bool)
    roaming = np.array([not s.area_ids for s in staff], dtype=bool)
    area_cache: dict[str, BoolArray] = {}

    def area_row(case: CaseDemand) -> BoolArray:
        if not case.area_ids:
            return np.ones(len(staff), dtype=bool)
        row = roaming.copy()
        for a in case.area_ids:
            if a not in area_cache:
                area_cache[a] = np.array([a in s.area_ids for s in staff], dtype=bool)
            row |= area_cache[a]
        return row

    with np.errstate(invalid="ignore"):
        reachable = np.isfinite(eta) & (eta >= 0)
    return {
        Exclusion.OFF_SHIFT: np.broadcast_to(on_shift, (n, len(staff))),
        Exclusion.NOT_AVAILABLE: np.broadcast_to(available, (n, len(staff))),
        Exclusion.MISSING_SKILL: np.stack([skill_rows[c.category] for c in cases])
        if n
        else np.zeros((0, len(staff)), dtype=bool),
        Exclusion.OUTSIDE_AREA: np.stack([area_row(c) for c in cases])
        if n
        else np.zeros((0, len(staff)), dtype=bool),
        Exclusion.AT_CAPACITY: np.broadcast_to(load_ok, (n, len(staff))),
        Exclusion.UNREACHABLE: reachable,
    }


def _problem(
    cases: Sequence[CaseDemand],
    staff: Sequence[StaffCandidate],
    eta_matrix: npt.ArrayLike,
    w: RankingWeights,
) -> _Problem:
    eta = np.asarray(eta_matrix, dtype=np.float64)
    if eta.shape != (len(cases), len(staff)):
        raise ValueError(f"eta_matrix shape {eta.shape} != ({len(cases)}, {len(staff)})")
    masks = _rule_masks(cases, staff, eta, w.max_load)
    feasible = np.ones(eta.shape, dtype=bool)
    for mask in masks.values():
        feasible &= mask
    load = np.array([s.load for s in staff], dtype=np.float64)
    today = np.array([s.assigned_today for s in staff], dtype=np.float64)
    per_staff = load * w.load_s + today * w.fairness_s
    with np.errstate(invalid="ignore"):
        cost = np.where(feasible, w.eta_weight * eta + per_staff[None, :], np.inf)
    return _Problem(masks, feasible, cost, eta)


def _why_unassigned(problem: _Problem, i: int, n_staff: int) -> tuple[UnassignedReason, str]:
    n_ok = int(problem.feasible[i].sum())
    if n_ok:
        return UnassignedReason.STAFF_TAKEN, f"all {n_ok} eligible staff went to other cases"
    if n_staff == 0:
        return UnassignedReason.NO_ELIGIBLE_STAFF, "no staff in the batch"
    still = np.ones(n_staff, dtype=bool)
    counts = []
    for rule, mask in problem.rule_masks.items():
        failed = int((still & ~mask[i]).sum())
        still &= mask[i]
        if failed:
            counts.append(f"{rule.value} x{failed}")
    return UnassignedReason.NO_ELIGIBLE_STAFF, "excluded: " + ", ".join(counts)


def _result(
    cases: Sequence[CaseDemand],
    staff: Sequence[StaffCandidate],
    problem: _Problem,
    chosen: dict[int, int],
) -> AssignmentResult:
    result = AssignmentResult()
    for i, case in enumerate(cases):
        j = chosen.get(i)
        if j is None:
            reason, detail = _why_unassigned(problem, i, len(staff))
            result.unassigned.append(Unassigned(case.case_id, reason, detail))
        else:
            eta, cost = float(problem.eta[i, j]), float(problem.cost[i, j])
            result.assignments.append(Assignment(case.case_id, staff[j].staff_id, eta, cost))
    return result


def assign_greedy(
    cases: Sequence[CaseDemand],
    staff: Sequence[StaffCandidate],
    eta_matrix: npt.ArrayLike,
    weights: RankingWeights | None = None,
) -> AssignmentResult:
    """Each case in priority order takes its best-scoring free eligible worker."""
    problem = _problem(cases, staff, eta_matrix, weights or RankingWeights())
    free = np.ones(len(staff), dtype=bool)
    chosen: dict[int, int] = {}
    order = sorted(range(len(cases)), key=lambda i: (cases[i].priority, i))
    for i in order:
        row = np.where(free, problem.cost[i], np.inf)
        if len(row) == 0:
            continue
        j = int(np.argmin(row))
        if np.isfinite(row[j]):
            chosen[i] = j
            free[j] = False
    return _result(cases, staff, problem, chosen)


def assign_batch_optimal(
    cases: Sequence[CaseDemand],
    staff: Sequence[StaffCandidate],
    eta_matrix: npt.ArrayLike,
    weights: RankingWeights | None = None,
) -> AssignmentResult:
    """Minimum total score over the batch (most feasible assignments first, urgent cases next)."""
    w = weights or RankingWeights()
    problem = _problem(cases, staff, eta_matrix, w)
    if not problem.feasible.any():
        return _result(cases, staff, problem, {})
    priority = np.array([c.priority for c in cases], dtype=np.float64)
    bonus = (priority - priority.min()) * w.priority_bonus_s  # urgent (low number) = 0 extra
    finite = np.where(problem.feasible, problem.cost + bonus[:, None], np.nan)
    low, high = float(np.nanmin(finite)), float(np.nanmax(finite))
    span = high - low + 1.0
    big = (min(problem.cost.shape) + 2) * span  # one more feasible pair always pays off
    matrix = np.where(problem.feasible, finite - low + 1.0, big)
    rows, cols = linear_sum_assignment(matrix)
    chosen = {int(i): int(j) for i, j in zip(rows, cols, strict=True) if problem.feasible[i, j]}
    return _result(cases, staff, problem, chosen)


# ---------------------------------------------------------------- offers and timeouts


class OfferPolicy(BaseModel):
    """How long a worker has to answer an offer, and how many offers before escalating."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(default=60.0, gt=0, description="Seconds to accept an offer.")
    max_attempts: int = Field(default=3, ge=1, description="Offers before escalating.")


class OfferStatus(StrEnum):
    """Mirrors ``models.cases.OFFER_STATUS``."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OfferRecord:
    """One past or pending offer of the case; ``reason`` carries a decline's reason."""

    staff_id: str
    status: OfferStatus
    offered_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class MakeOffer:
    """Offer the case to this worker now."""

    staff_id: str
    expires_at: datetime
    attempt: int
    eta_s: float


@dataclass(frozen=True)
class AwaitResponse:
    """An offer is still open: do nothing until it expires."""

    staff_id: str
    expires_at: datetime


@dataclass(frozen=True)
class OfferAccepted:
    """Someone took the case."""

    staff_id: str


@dataclass(frozen=True)
class Escalate:
    """Stop offering: tell a supervisor, with the refusals so far."""

    reason: str
    refusals: tuple[tuple[str, str], ...]


OfferDecision = MakeOffer | AwaitResponse | OfferAccepted | Escalate


def is_expired(offer: OfferRecord, now: datetime, policy: OfferPolicy) -> bool:
    """Whether an open offer ran out of time (an open offer at exactly its expiry has expired)."""
    deadline = ensure_utc(offer.offered_at) + timedelta(seconds=policy.timeout_s)
    return offer.status is OfferStatus.OFFERED and ensure_utc(now) >= deadline


def expired_offers(
    history: Sequence[OfferRecord], now: datetime, policy: OfferPolicy
) -> list[OfferRecord]:
    """Open offers that the caller should now mark ``expired``."""
    return [o for o in history if is_expired(o, now, policy)]


def next_offer(
    history: Sequence[OfferRecord],
    ranked: Sequence[RankedCandidate],
    now: datetime,
    policy: OfferPolicy | None = None,
) -> OfferDecision:
    """What to do next for one case, given its offers so far and a fresh ranking.

    Cancelled offers neither count as attempts nor block re-offering the same worker; declined
    and expired ones do both. Open offers past their timeout count as expired.
    """
    rules, at = policy or OfferPolicy(), ensure_utc(now)
    accepted = [o for o in history if o.status is OfferStatus.ACCEPTED]
    if accepted:
        return OfferAccepted(accepted[-1].staff_id)
    for o in history:
        if o.status is OfferStatus.OFFERED and not is_expired(o, at, rules):
            expiry = ensure_utc(o.offered_at) + timedelta(seconds=rules.timeout_s)
            return AwaitResponse(o.staff_id, expiry)
    tried = [o for o in history if o.status is not OfferStatus.CANCELLED]
    refusals = tuple((o.staff_id, _refusal_reason(o)) for o in tried)
    if len(tried) >= rules.max_attempts:
        return Escalate(f"{len(tried)} offers without acceptance", refusals)
    tried_ids = {o.staff_id for o in tried}
    for candidate in ranked:
        if candidate.eligible and candidate.staff_id not in tried_ids:
            expiry = at + timedelta(seconds=rules.timeout_s)
            return MakeOffer(candidate.staff_id, expiry, len(tried) + 1, candidate.eta_s)
    return Escalate("no eligible worker left to offer", refusals)


def _refusal_reason(offer: OfferRecord) -> str:
    if offer.reason:
        return offer.reason
    return "declined without a reason" if offer.status is OfferStatus.DECLINED else "no answer"
