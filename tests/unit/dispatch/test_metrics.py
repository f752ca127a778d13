"""Per-case durations from timelines, summaries and indicator ratios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.calendar import WorkCalendar
from dispatch.metrics import CaseDurations, case_durations, rate, summarize
from dispatch.sla import ClockKind, Deadline, DeadlineUnit, SlaTargets
from dispatch.states import CaseAction, CaseState

A = CaseAction
T0 = datetime(2024, 9, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MUCK = SlaTargets(
    discover_s=180,
    arrive_s=600,
    resolve_s=1800,
    handling=Deadline(amount=30, unit=DeadlineUnit.MINUTE),
)


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


SIMPLE = [
    (A.FILE, m(2)),
    (A.DISPATCH, m(3)),
    (A.ACCEPT, m(4)),
    (A.ARRIVE, m(11)),
    (A.HANDLE, m(31)),
]
REDISPATCH = [
    (A.FILE, m(2)),
    (A.DISPATCH, m(3)),
    (A.DECLINE, m(5)),
    (A.DISPATCH, m(6)),
    (A.ACCEPT, m(7)),
    (A.ARRIVE, m(14)),
    (A.HANDLE, m(30)),
]
REWORK = [
    *SIMPLE,
    (A.FAIL_VERIFICATION, m(40)),
    (A.DISPATCH, m(45)),
    (A.ACCEPT, m(46)),
    (A.ARRIVE, m(50)),
    (A.HANDLE, m(70)),
    (A.VERIFY, m(80)),
]


@pytest.mark.parametrize(
    ("timeline", "expected"),
    [
        (SIMPLE, CaseDurations(120, 480, 1200, 1680, True, True, True, True)),
        (list(reversed(SIMPLE)), CaseDurations(120, 480, 1200, 1680, True, True, True, True)),
        (REDISPATCH, CaseDurations(120, 480, 960, 1620, True, True, True, True)),
        (REWORK, CaseDurations(120, 300, 1200, 4020, True, True, True, False)),
        ([(A.FILE, m(5)), (A.DISPATCH, m(6))], CaseDurations(300, None, None, None,
                                                              False, None, None, None)),
        ([(A.SELF_HANDLE, m(1)), (A.CLOSE, m(9))], CaseDurations(60, None, None, None,
                                                                 True, None, None, None)),
        ([(A.ARRIVE, m(1)), (A.HANDLE, m(2))], CaseDurations(None, None, 60, None,
                                                             None, None, True, None)),
        ([(CaseState.FILED, m(2)), (CaseState.DISPATCHED, m(3)), (CaseState.ACCEPTED, m(4)),
          (CaseState.ON_SITE, m(20)), (CaseState.HANDLED, m(60))],
         CaseDurations(120, 1020, 2400, 3420, True, False, False, False)),
        ([("file", m(2)), ("extend", m(3)), ("dispatch", m(4))],
         CaseDurations(120, None, None, None, True, None, None, None)),
    ],
)  # fmt: skip
def test_case_durations(timeline: list[tuple[object, datetime]], expected: CaseDurations) -> None:
    assert case_durations(timeline, occurred_at=T0, targets=MUCK) == expected  # type: ignore[arg-type]


def test_unknown_step_is_refused() -> None:
    with pytest.raises(ValueError, match="neither"):
        case_durations([("teleport", m(1))], occurred_at=T0)


def test_working_clock_durations_skip_lunch_and_nights() -> None:
    cal = WorkCalendar.from_dict({})
    targets = SlaTargets(
        clock=ClockKind.WORKING,
        arrive_s=3600,
        resolve_s=2 * 3600,
        handling=Deadline(amount=5, unit=DeadlineUnit.WORKING_HOUR),
    )
    sh = ZoneInfo("Asia/Shanghai")
    timeline = [
        (A.DISPATCH, datetime(2024, 9, 23, 11, 30, tzinfo=sh)),
        (A.ARRIVE, datetime(2024, 9, 23, 14, 20, tzinfo=sh)),  # 50 working minutes
        (A.HANDLE, datetime(2024, 9, 24, 9, 0, tzinfo=sh)),  # 3h40 + 1h
    ]
    result = case_durations(timeline, occurred_at=None, targets=targets, calendar=cal)
    assert (result.arrive_s, result.resolve_s, result.handling_s) == (
        3000,
        4 * 3600 + 2400,
        5.5 * 3600,
    )
    assert (result.arrive_ok, result.resolve_ok, result.handling_ok) == (True, False, False)


@pytest.mark.parametrize(("handling_due", "ok"), [(m(31), True), (m(30), False)])
def test_extended_due_overrides_the_raw_deadline(handling_due: datetime, ok: bool) -> None:
    result = case_durations(SIMPLE, occurred_at=T0, targets=MUCK, handling_due=handling_due)
    assert result.handling_ok is ok


@pytest.mark.parametrize(
    ("values", "target", "n", "mean", "p50", "p90", "within"),
    [
        ([60.0, 120.0, None, 180.0, 600.0], 180.0, 4, 240.0, 150.0, 474.0, 0.75),
        ([None, None], 10.0, 0, None, None, None, None),
        ([5.0], None, 1, 5.0, 5.0, 5.0, None),
    ],
)
def test_summarize(
    values: list[float | None],
    target: float | None,
    n: int,
    mean: float | None,
    p50: float | None,
    p90: float | None,
    within: float | None,
) -> None:
    s = summarize(values, target)
    assert (s.n, s.mean_s, s.p50_s, s.within_target) == (n, mean, p50, within)
    assert s.p90_s == (pytest.approx(p90) if p90 is not None else None)


@pytest.mark.parametrize(("num", "den", "expected"), [(3, 4, 0.75), (0, 0, None), (0, 5, 0.0)])
def test_rate(num: int, den: int, expected: float | None) -> None:
    assert rate(num, den) == expected


@pytest.mark.parametrize(("num", "den"), [(5, 4), (-1, 3), (1, -1)])
def test_bad_rate(num: int, den: int) -> None:
    with pytest.raises(ValueError, match="bad ratio"):
        rate(num, den)
