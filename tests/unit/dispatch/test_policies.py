"""Geo-verified arrival, camera re-check verification and duplicate detection."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from dispatch.policies import (
    ArrivalReason,
    DedupEvent,
    DedupRule,
    DedupRules,
    Observation,
    OpenCaseRef,
    VerificationDecision,
    VerificationPolicy,
    check_arrival,
    find_duplicate,
    haversine_matrix_m,
    verify_by_camera,
)
from gis.datums import EARTH_RADIUS_M, haversine_m

CASE = (114.0579, 22.5431)  # Shenzhen, Futian
M_PER_DEG_LAT = 2 * math.pi * EARTH_RADIUS_M / 360


def north(metres: float, origin: tuple[float, float] = CASE) -> tuple[float, float]:
    return origin[0], origin[1] + metres / M_PER_DEG_LAT


@pytest.mark.parametrize(
    ("lon1", "lat1", "lon2", "lat2", "expected_m", "tol_m"),
    [
        (0.0, 0.0, 0.0, 1.0, 111_195.0, 1.0),  # one degree of latitude
        (0.0, 0.0, 1.0, 0.0, 111_195.0, 1.0),  # one degree of longitude on the equator
        (114.0, 60.0, 115.0, 60.0, 55_597.5, 1.0),  # half of that at 60 degrees north
        (116.3975, 39.9087, 121.4737, 31.2304, 1_067_000.0, 2_000.0),  # Beijing - Shanghai
        (*CASE, *CASE, 0.0, 1e-9),
    ],
)
def test_haversine(
    lon1: float, lat1: float, lon2: float, lat2: float, expected_m: float, tol_m: float
) -> None:
    assert haversine_m(lon1, lat1, lon2, lat2) == pytest.approx(expected_m, abs=tol_m)
    assert haversine_m(lon2, lat2, lon1, lat1) == pytest.approx(expected_m, abs=tol_m)


def test_haversine_matrix_matches_scalar() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform([113.8, 22.4], [114.4, 22.8], (7, 2))
    b = rng.uniform([113.8, 22.4], [114.4, 22.8], (5, 2))
    matrix = haversine_matrix_m(a, b)
    assert matrix.shape == (7, 5)
    expected = [[haversine_m(*p, *q) for q in b] for p in a]
    np.testing.assert_allclose(matrix, expected, rtol=1e-9)


@pytest.mark.parametrize(
    ("worker", "accuracy_m", "radius_m", "ok", "reason"),
    [
        (north(30), 10.0, 50.0, True, ArrivalReason.WITHIN_RADIUS),
        (north(50), 0.0, 50.0, True, ArrivalReason.WITHIN_RADIUS),  # boundary is inside
        (north(70), 25.0, 50.0, True, ArrivalReason.WITHIN_RADIUS),  # accuracy gives slack
        (north(70), 15.0, 50.0, False, ArrivalReason.TOO_FAR),
        (north(200), 400.0, 50.0, False, ArrivalReason.TOO_FAR),  # slack capped at 50 m
        (north(99), 400.0, 50.0, True, ArrivalReason.WITHIN_RADIUS),  # 99 - 50 <= 50
        (north(2_000), 5.0, 50.0, False, ArrivalReason.TOO_FAR),
        (north(10), -1.0, 50.0, False, ArrivalReason.ABSURD_ACCURACY),
        (north(10), math.nan, 50.0, False, ArrivalReason.ABSURD_ACCURACY),
        (north(10), math.inf, 50.0, False, ArrivalReason.ABSURD_ACCURACY),
        (north(10), 5_000.0, 50.0, False, ArrivalReason.ABSURD_ACCURACY),
        ((0.0, 0.0), 5.0, 50.0, False, ArrivalReason.BAD_COORDINATES),  # null island
        ((114.0, 95.0), 5.0, 50.0, False, ArrivalReason.BAD_COORDINATES),
        ((math.nan, 22.5), 5.0, 50.0, False, ArrivalReason.BAD_COORDINATES),
    ],
)
def test_check_arrival(
    worker: tuple[float, float], accuracy_m: float, radius_m: float, ok: bool, reason: ArrivalReason
) -> None:
    result = check_arrival(worker, accuracy_m, CASE, radius_m, accuracy_cap_m=50.0)
    assert (result.ok, result.reason) == (ok, reason)
    assert result.message
    if reason is not ArrivalReason.BAD_COORDINATES:
        assert result.distance_m == pytest.approx(haversine_m(*worker, *CASE))


def test_refusal_message_tells_the_worker_how_far_to_go() -> None:
    result = check_arrival(north(300), 10.0, CASE, 100.0)
    assert "300 m from the incident" in result.message
    assert "within 100 m" in result.message


# ---------------------------------------------------------------- verification

HANDLED = datetime(2024, 9, 23, 3, 0, tzinfo=UTC)
POLICY = VerificationPolicy(
    window_s=600, min_observations=4, verified_clear_fraction=0.9, rework_present_fraction=0.5
)


def looks(pattern: str, every_s: int = 60, offset_s: int = 0) -> list[Observation]:
    """'x' = violation present, '.' = clear."""
    return [
        Observation(HANDLED + timedelta(seconds=offset_s + i * every_s), ch == "x")
        for i, ch in enumerate(pattern)
    ]


@pytest.mark.parametrize(
    ("observations", "now_s", "decision"),
    [
        (looks(".........."), 600, VerificationDecision.VERIFIED),
        (looks(".........."), 300, VerificationDecision.UNDECIDED),  # window still open
        (looks("xx.x"), 200, VerificationDecision.REWORK),  # early rework allowed
        (looks("x........."), 600, VerificationDecision.VERIFIED),  # one glitch tolerated
        (looks("xx........"), 600, VerificationDecision.UNDECIDED),  # 80% clear: mixed
        (looks("..."), 600, VerificationDecision.UNDECIDED),  # too few looks
        (looks("xxxx", offset_s=-3600), 600, VerificationDecision.UNDECIDED),  # before handling
        (looks("....", every_s=600), 2000, VerificationDecision.UNDECIDED),  # mostly after window
        ([], 600, VerificationDecision.UNDECIDED),
    ],
)
def test_verify_by_camera(
    observations: list[Observation], now_s: int, decision: VerificationDecision
) -> None:
    outcome = verify_by_camera(observations, HANDLED, HANDLED + timedelta(seconds=now_s), POLICY)
    assert outcome.decision is decision, outcome.reason


def test_verification_reports_its_evidence() -> None:
    outcome = verify_by_camera(looks("x..."), HANDLED, HANDLED + timedelta(hours=1), POLICY)
    assert (outcome.observations, outcome.present_fraction) == (4, 0.25)


# ---------------------------------------------------------------- dedup

T0 = datetime(2024, 9, 23, 3, 0, tzinfo=UTC)
RULES = DedupRules(
    default_radius_m=50,
    default_window_s=1800,
    rules=[DedupRule(category="200312", radius_m=200, window_s=600)],
)


def case_at(
    case_id: int, metres_north: float, category: str = "06010", ago_s: float = 60
) -> OpenCaseRef:
    lon, lat = north(metres_north)
    return OpenCaseRef(case_id, category, lon, lat, T0 - timedelta(seconds=ago_s))


def event(category: str = "06010", at_s: float = 0) -> DedupEvent:
    return DedupEvent(category, CASE[0], CASE[1], T0 + timedelta(seconds=at_s))


@pytest.mark.parametrize(
    ("ev", "open_cases", "expected"),
    [
        (event(), [case_at(1, 30)], 1),
        (event(), [case_at(1, 70)], None),  # default radius 50 m
        (event(), [case_at(1, 30, category="09006")], None),  # other category
        (event(), [case_at(1, 30, ago_s=1801)], None),  # default window 30 min
        (event(at_s=-120), [case_at(1, 30, ago_s=60)], 1),  # late delivery, inside window
        (event(), [case_at(1, 40), case_at(2, 10), case_at(3, 45)], 2),  # nearest wins
        (event(), [case_at(1, 10, ago_s=900), case_at(2, 10, ago_s=30)], 2),  # then most recent
        (event("200312"), [case_at(1, 150, category="200312")], 1),  # muck: 200 m
        (event("200312"), [case_at(1, 150, category="200312", ago_s=700)], None),  # muck: 10 min
        (event(), [], None),
    ],
)
def test_find_duplicate(
    ev: DedupEvent, open_cases: list[OpenCaseRef], expected: int | None
) -> None:
    assert find_duplicate(ev, open_cases, RULES) == expected


def test_dedup_rules_are_data() -> None:
    rules = DedupRules.model_validate({"rules": [{"category": "x", "radius_m": 10, "window_s": 5}]})
    assert rules.rule_for("x").radius_m == 10
    assert rules.rule_for("y") == DedupRule(category="y", radius_m=50.0, window_s=1800.0)
    with pytest.raises(ValidationError):
        DedupRule.model_validate({"category": "x", "radius_m": 0, "window_s": 5})
