"""Eligibility, score and ranking of field staff for a case."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from dispatch.ranking import (
    CaseDemand,
    Exclusion,
    RankingWeights,
    StaffCandidate,
    StaffStatus,
    eligible,
    rank_candidates,
    score,
)

CASE = CaseDemand(case_id=7, category="200312", area_ids=frozenset({"g1"}), lon=114.0, lat=22.5)
BASE = StaffCandidate(
    staff_id="s",
    team="t1",
    status=StaffStatus.AVAILABLE,
    skills=frozenset({"200312"}),
    area_ids=frozenset({"g1", "g2"}),
    on_shift=True,
)


@pytest.mark.parametrize(
    ("changes", "case_changes", "expected"),
    [
        ({}, {}, (True, None)),
        ({"status": StaffStatus.OFF_SHIFT}, {}, (False, Exclusion.OFF_SHIFT)),
        ({"on_shift": False}, {}, (False, Exclusion.OFF_SHIFT)),
        ({"status": StaffStatus.BUSY}, {}, (False, Exclusion.NOT_AVAILABLE)),
        ({"status": StaffStatus.OFFERED}, {}, (False, Exclusion.NOT_AVAILABLE)),
        ({"skills": frozenset({"06010"})}, {}, (False, Exclusion.MISSING_SKILL)),
        ({"skills": frozenset()}, {}, (False, Exclusion.MISSING_SKILL)),
        ({"skills": frozenset({"*"})}, {}, (True, None)),
        ({"area_ids": frozenset({"g9"})}, {}, (False, Exclusion.OUTSIDE_AREA)),
        ({"area_ids": frozenset()}, {}, (True, None)),  # roaming worker
        ({"area_ids": frozenset({"g9"})}, {"area_ids": frozenset()}, (True, None)),  # area unknown
        ({}, {"area_ids": frozenset({"g9", "g2"})}, (True, None)),  # any overlap suffices
        ({"load": 3}, {}, (False, Exclusion.AT_CAPACITY)),
        ({"load": 2}, {}, (True, None)),
        ({"on_shift": False, "skills": frozenset()}, {}, (False, Exclusion.OFF_SHIFT)),  # order
    ],
)
def test_eligible(
    changes: dict[str, object], case_changes: dict[str, object], expected: tuple[bool, object]
) -> None:
    staff = replace(BASE, **changes)  # type: ignore[arg-type]
    case = replace(CASE, **case_changes)  # type: ignore[arg-type]
    assert eligible(staff, case, max_load=3) == expected


@pytest.mark.parametrize(
    ("eta_s", "load", "fairness", "weights", "expected"),
    [
        (100.0, 0, 0, RankingWeights(), 100.0),
        (100.0, 2, 0, RankingWeights(load_s=300), 700.0),
        (100.0, 0, 5, RankingWeights(fairness_s=60), 400.0),
        (100.0, 1, 1, RankingWeights(eta_weight=2, load_s=10, fairness_s=1), 211.0),
    ],
)
def test_score(
    eta_s: float, load: int, fairness: int, weights: RankingWeights, expected: float
) -> None:
    assert score(eta_s, load, fairness, weights) == expected


def test_rank_orders_eligible_by_score_then_lists_exclusions() -> None:
    staff = [
        replace(BASE, staff_id="far", load=0),
        replace(BASE, staff_id="near-busy", load=2),
        replace(BASE, staff_id="near", load=0),
        replace(BASE, staff_id="off", on_shift=False),
        replace(BASE, staff_id="no-route"),
        replace(BASE, staff_id="tired", assigned_today=20),
    ]
    etas = [900.0, 60.0, 120.0, 10.0, math.inf, 100.0]
    ranked = rank_candidates(CASE, staff, etas, RankingWeights(load_s=600, fairness_s=60))
    assert [c.staff_id for c in ranked] == ["near", "far", "near-busy", "tired", "off", "no-route"]
    assert [c.eligible for c in ranked] == [True, True, True, True, False, False]
    assert ranked[0].score == 120.0
    assert [c.exclusion for c in ranked[-2:]] == [Exclusion.OFF_SHIFT, Exclusion.UNREACHABLE]
    assert all(math.isinf(c.score) for c in ranked[-2:])


@pytest.mark.parametrize("bad_eta", [math.nan, -1.0, math.inf])
def test_unusable_eta_excludes(bad_eta: float) -> None:
    (only,) = rank_candidates(CASE, [BASE], [bad_eta])
    assert (only.eligible, only.exclusion) == (False, Exclusion.UNREACHABLE)


def test_ties_break_on_eta_then_id() -> None:
    staff = [replace(BASE, staff_id="b"), replace(BASE, staff_id="a")]
    ranked = rank_candidates(CASE, staff, [50.0, 50.0])
    assert [c.staff_id for c in ranked] == ["a", "b"]


def test_row_length_must_match() -> None:
    with pytest.raises(ValueError, match="2 ETAs for 1 staff"):
        rank_candidates(CASE, [BASE], [1.0, 2.0])
