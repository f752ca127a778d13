"""Greedy vs optimal batch assignment, unassigned reasons, offers and timeouts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dispatch.assignment import (
    AssignmentResult,
    AwaitResponse,
    Escalate,
    MakeOffer,
    OfferAccepted,
    OfferPolicy,
    OfferRecord,
    OfferStatus,
    UnassignedReason,
    assign_batch_optimal,
    assign_greedy,
    expired_offers,
    next_offer,
)
from dispatch.ranking import (
    CaseDemand,
    RankedCandidate,
    RankingWeights,
    StaffCandidate,
    StaffStatus,
)

ETA_ONLY = RankingWeights(load_s=0, fairness_s=0, priority_bonus_s=0)
Assigner = Callable[..., AssignmentResult]
ASSIGNERS: list[Assigner] = [assign_greedy, assign_batch_optimal]


def staff(n: int, **changes: object) -> list[StaffCandidate]:
    base = StaffCandidate("s", "t", StaffStatus.AVAILABLE, frozenset({"*"}), frozenset(), True)
    return [replace(base, staff_id=f"s{j}", **changes) for j in range(n)]  # type: ignore[arg-type]


def cases(n: int, **changes: object) -> list[CaseDemand]:
    base = CaseDemand(0, "c", frozenset(), 114.0, 22.5)
    return [replace(base, case_id=i, **changes) for i in range(n)]  # type: ignore[arg-type]


def pairs(result: AssignmentResult) -> dict[object, str]:
    return {a.case_id: a.staff_id for a in result.assignments}


def test_greedy_is_myopic_and_optimal_is_not() -> None:
    eta = [[1.0, 2.0], [2.0, 100.0]]
    greedy = assign_greedy(cases(2), staff(2), eta, ETA_ONLY)
    optimal = assign_batch_optimal(cases(2), staff(2), eta, ETA_ONLY)
    assert pairs(greedy) == {0: "s0", 1: "s1"}
    assert greedy.total_eta_s == 101.0
    assert pairs(optimal) == {0: "s1", 1: "s0"}
    assert optimal.total_eta_s == 4.0


@pytest.mark.parametrize("assign", ASSIGNERS)
@pytest.mark.parametrize(
    ("n_cases", "n_staff", "assigned"), [(5, 2, 2), (2, 5, 2), (3, 3, 3), (0, 3, 0), (3, 0, 0)]
)
def test_shapes(assign: Assigner, n_cases: int, n_staff: int, assigned: int) -> None:
    eta = np.arange(n_cases * n_staff, dtype=float).reshape(n_cases, n_staff) + 10
    result = assign(cases(n_cases), staff(n_staff), eta, ETA_ONLY)
    assert len(result.assignments) == assigned
    assert len(result.unassigned) == n_cases - assigned
    assert len({a.staff_id for a in result.assignments}) == assigned  # one case per worker


@pytest.mark.parametrize("assign", ASSIGNERS)
def test_unassigned_reasons(assign: Assigner) -> None:
    crew = [
        *staff(1),
        replace(staff(1)[0], staff_id="off", on_shift=False),
        replace(staff(1)[0], staff_id="painter", skills=frozenset({"paint"})),
    ]
    demand = [*cases(2), replace(cases(1)[0], case_id="x", category="c")]
    eta = [[10.0, 1.0, 1.0], [20.0, 1.0, 1.0], [math.inf, 1.0, 1.0]]
    result = assign(demand, crew, eta, ETA_ONLY)
    assert pairs(result) == {0: "s0"}
    left = {u.case_id: u for u in result.unassigned}
    assert left[1].reason is UnassignedReason.STAFF_TAKEN
    assert "1 eligible" in left[1].detail
    assert left["x"].reason is UnassignedReason.NO_ELIGIBLE_STAFF
    assert left["x"].detail == "excluded: off_shift x1, missing_skill x1, unreachable x1"


@pytest.mark.parametrize("assign", ASSIGNERS)
def test_scarce_staff_goes_to_urgent_case(assign: Assigner) -> None:
    demand = [
        replace(cases(1)[0], case_id="routine", priority=3),
        replace(cases(1)[0], case_id="urgent", priority=1),
    ]
    eta = [[10.0], [500.0]]
    result = assign(demand, staff(1), eta, RankingWeights(priority_bonus_s=3600))
    assert pairs(result) == {"urgent": "s0"}


@pytest.mark.parametrize("assign", ASSIGNERS)
def test_load_and_fairness_shift_the_choice(assign: Assigner) -> None:
    crew = [replace(staff(1)[0], staff_id="loaded", load=2), replace(staff(1)[0], staff_id="idle")]
    result = assign(cases(1), crew, [[100.0, 400.0]], RankingWeights(load_s=300))
    assert pairs(result) == {0: "idle"}
    assert result.assignments[0].score == 400.0


def test_eta_matrix_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="shape"):
        assign_greedy(cases(2), staff(2), np.zeros((2, 3)))


@st.composite
def instances(draw: st.DrawFn, allow_infeasible: bool) -> tuple[int, int, np.ndarray]:
    n = draw(st.integers(1, 9))
    m = draw(st.integers(1, 9))
    eta = draw(arrays(np.float64, (n, m), elements=st.floats(1, 5000, allow_nan=False)))
    if allow_infeasible:
        mask = draw(arrays(np.bool_, (n, m)))
        eta = np.where(mask, np.inf, eta)
    return n, m, eta


@settings(max_examples=150, deadline=None)
@given(instances(allow_infeasible=False))
def test_optimal_total_eta_never_exceeds_greedy(inst: tuple[int, int, np.ndarray]) -> None:
    n, m, eta = inst
    greedy = assign_greedy(cases(n), staff(m), eta, ETA_ONLY)
    optimal = assign_batch_optimal(cases(n), staff(m), eta, ETA_ONLY)
    assert len(greedy.assignments) == len(optimal.assignments) == min(n, m)
    assert optimal.total_eta_s <= greedy.total_eta_s + 1e-6


@settings(max_examples=150, deadline=None)
@given(instances(allow_infeasible=True))
def test_optimal_assigns_at_least_as_many(inst: tuple[int, int, np.ndarray]) -> None:
    n, m, eta = inst
    greedy = assign_greedy(cases(n), staff(m), eta, ETA_ONLY)
    optimal = assign_batch_optimal(cases(n), staff(m), eta, ETA_ONLY)
    assert len(optimal.assignments) >= len(greedy.assignments)
    if len(optimal.assignments) == len(greedy.assignments):
        assert optimal.total_eta_s <= greedy.total_eta_s + 1e-6
    assert all(math.isfinite(a.eta_s) for a in optimal.assignments)
    assert len(optimal.assignments) + len(optimal.unassigned) == n


# ---------------------------------------------------------------- offers

T0 = datetime(2024, 9, 23, 2, 0, tzinfo=UTC)
POLICY = OfferPolicy(timeout_s=60, max_attempts=3)
RANKED = [
    RankedCandidate("a", True, 100.0, 100.0, None),
    RankedCandidate("b", True, 200.0, 200.0, None),
    RankedCandidate("c", True, 300.0, 300.0, None),
    RankedCandidate("z", False, math.inf, 50.0, None),
]


def offer(
    staff_id: str, status: OfferStatus, at_s: float, reason: str | None = None
) -> OfferRecord:
    return OfferRecord(staff_id, status, T0 + timedelta(seconds=at_s), reason)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("history", "now_s", "expected"),
    [
        ([], 0, MakeOffer("a", at(60), 1, 100.0)),
        ([offer("a", OfferStatus.OFFERED, 0)], 59, AwaitResponse("a", at(60))),
        ([offer("a", OfferStatus.OFFERED, 0)], 60, MakeOffer("b", at(120), 2, 200.0)),
        ([offer("a", OfferStatus.DECLINED, 0, "busy")], 5, MakeOffer("b", at(65), 2, 200.0)),
        ([offer("a", OfferStatus.CANCELLED, 0)], 5, MakeOffer("a", at(65), 1, 100.0)),
        ([offer("a", OfferStatus.ACCEPTED, 0)], 500, OfferAccepted("a")),
        (
            [offer("a", OfferStatus.DECLINED, 0, "busy"), offer("b", OfferStatus.EXPIRED, 10),
             offer("c", OfferStatus.DECLINED, 80)],
            100,
            Escalate("3 offers without acceptance",
                     (("a", "busy"), ("b", "no answer"), ("c", "declined without a reason"))),
        ),
    ],
)  # fmt: skip
def test_next_offer(history: list[OfferRecord], now_s: float, expected: object) -> None:
    assert next_offer(history, RANKED, at(now_s), POLICY) == expected


def test_escalates_when_no_candidate_is_left() -> None:
    history = [offer("a", OfferStatus.DECLINED, 0, "wrong unit")]
    decision = next_offer(history, RANKED[:1], at(1), OfferPolicy(timeout_s=60, max_attempts=5))
    assert decision == Escalate("no eligible worker left to offer", (("a", "wrong unit"),))


def test_expired_offers_to_mark() -> None:
    history = [offer("a", OfferStatus.OFFERED, 0), offer("b", OfferStatus.OFFERED, 30),
               offer("c", OfferStatus.DECLINED, 0)]  # fmt: skip
    assert [o.staff_id for o in expired_offers(history, at(60), POLICY)] == ["a"]
    assert [o.staff_id for o in expired_offers(history, at(90), POLICY)] == ["a", "b"]
