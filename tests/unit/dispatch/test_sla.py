"""SLA due times, status, extensions and the breach sweep."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from dispatch.calendar import ContinuousCalendar, WorkCalendar
from dispatch.sla import (
    Breach,
    CaseSlaRow,
    ClockKind,
    Deadline,
    DeadlineUnit,
    EscalationAction,
    EscalationPolicy,
    SlaKind,
    SlaStatus,
    SlaTargets,
    SlaWindow,
    apply_extension,
    due_times,
    sla_status,
    sweep_breaches,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN, H = 60, 3600
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
CAL = WorkCalendar.from_dict(
    {"holidays": [f"2024-10-0{d}" for d in range(1, 8)], "extra_workdays": ["2024-10-12"]}
)
MUCK = SlaTargets(
    clock=ClockKind.CONTINUOUS,
    discover_s=3 * MIN,
    arrive_s=10 * MIN,
    resolve_s=30 * MIN,
    handling=Deadline(amount=30, unit=DeadlineUnit.MINUTE),
)


def sh(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def working(amount: float, unit: DeadlineUnit) -> SlaTargets:
    return SlaTargets(clock=ClockKind.WORKING, handling=Deadline(amount=amount, unit=unit))


def test_muck_truck_3_10_30_on_a_continuous_clock_even_on_saturday_night() -> None:
    occurred = sh(9, 21, 23, 58)  # Saturday night: continuous clocks do not care
    due = due_times(
        MUCK,
        CAL,
        filed_at=sh(9, 21, 23, 59),
        occurred_at=occurred,
        dispatched_at=sh(9, 22, 0, 1),
        on_site_at=sh(9, 22, 0, 9),
    )
    assert due.discover_due == sh(9, 22, 0, 1)
    assert due.arrive_due == sh(9, 22, 0, 11)
    assert due.resolve_due == sh(9, 22, 0, 39)
    assert due.handling_due == sh(9, 22, 0, 31)
    assert due.arrive == SlaWindow(sh(9, 22, 0, 1), sh(9, 22, 0, 9), sh(9, 22, 0, 11))


def test_clocks_not_started_have_no_due_time() -> None:
    due = due_times(MUCK, CAL, filed_at=sh(9, 23, 9), occurred_at=None)
    assert (due.discover, due.arrive, due.resolve, due.handling) == (None, None, None, None)
    assert due.get(SlaKind.ARRIVE) is None


@pytest.mark.parametrize(
    ("targets", "dispatched", "due", "case"),
    [
        (working(5, DeadlineUnit.WORKING_HOUR), sh(9, 20, 16), sh(9, 23, 11), "道路不洁 5 wh, Fri"),
        (working(4, DeadlineUnit.WORKING_HOUR), sh(9, 30, 17), sh(10, 8, 11), "满溢 over holiday"),
        (working(1, DeadlineUnit.WORKING_DAY), sh(9, 23, 10), sh(9, 24, 10), "暴露垃圾 1 wd"),
        (working(4, DeadlineUnit.WORKING_DAY), sh(9, 20, 17), sh(9, 26, 17), "积存垃圾 4 wd"),
        (working(2, DeadlineUnit.WORKING_HOUR), sh(10, 11, 17), sh(10, 12, 9), "make-up Sat"),
        (working(2, DeadlineUnit.HOUR), sh(9, 20, 17), sh(9, 20, 19), "hour unit is wall time"),
    ],
)
def test_working_hour_handling_deadlines(
    targets: SlaTargets, dispatched: datetime, due: datetime, case: str
) -> None:
    result = due_times(targets, CAL, filed_at=None, occurred_at=None, dispatched_at=dispatched)
    assert result.handling_due == due, case


def test_handling_counts_from_first_dispatch_and_arrive_from_latest() -> None:
    due = due_times(
        MUCK,
        CAL,
        filed_at=sh(9, 23, 9),
        occurred_at=None,
        dispatched_at=sh(9, 23, 10),
        first_dispatched_at=sh(9, 23, 9, 5),
    )
    assert due.arrive_due == sh(9, 23, 10, 10)
    assert due.handling_due == sh(9, 23, 9, 35)


def test_handling_can_count_from_filing() -> None:
    targets = working(1, DeadlineUnit.WORKING_HOUR).model_copy(update={"handling_from": "filing"})
    due = due_times(targets, CAL, filed_at=sh(9, 23, 11, 30), occurred_at=None)
    assert due.handling_due == sh(9, 23, 14, 30)


def test_working_clock_targets_and_warning_point() -> None:
    targets = SlaTargets(clock=ClockKind.WORKING, arrive_s=2 * H, warn_fraction=0.5)
    due = due_times(targets, CAL, filed_at=None, occurred_at=None, dispatched_at=sh(9, 23, 11))
    assert due.arrive == SlaWindow(sh(9, 23, 11), sh(9, 23, 12), sh(9, 23, 15))


WINDOW = SlaWindow(start=sh(9, 23, 10), warn_at=sh(9, 23, 10, 8), due=sh(9, 23, 10, 10))


@pytest.mark.parametrize(
    ("now", "due", "done_at", "status"),
    [
        (sh(9, 23, 10, 1), WINDOW, None, SlaStatus.ON_TIME),
        (sh(9, 23, 10, 8), WINDOW, None, SlaStatus.WARNING),
        (sh(9, 23, 10, 10), WINDOW, None, SlaStatus.WARNING),  # due instant is still in time
        (sh(9, 23, 10, 10, 1), WINDOW, None, SlaStatus.BREACHED),
        (sh(9, 23, 11), WINDOW, sh(9, 23, 10, 10), SlaStatus.MET),
        (sh(9, 23, 11), WINDOW, sh(9, 23, 10, 11), SlaStatus.MISSED),
        (sh(9, 23, 10, 9), WINDOW.due, None, SlaStatus.ON_TIME),  # bare due: no warning phase
        (sh(9, 23, 10, 11), WINDOW.due, None, SlaStatus.BREACHED),
    ],
)
def test_sla_status(
    now: datetime, due: SlaWindow | datetime, done_at: datetime | None, status: SlaStatus
) -> None:
    assert sla_status(now, due, done_at) is status


@pytest.mark.parametrize(
    ("due", "extra", "calendar", "new_due"),
    [
        (sh(9, 23, 18), Deadline(amount=2, unit=DeadlineUnit.WORKING_HOUR), CAL, sh(9, 24, 10)),
        (sh(9, 27, 16), Deadline(amount=1, unit=DeadlineUnit.WORKING_DAY), CAL, sh(9, 30, 16)),
        (sh(9, 23, 18), Deadline(amount=30, unit=DeadlineUnit.MINUTE), CAL, sh(9, 23, 18, 30)),
        (sh(9, 23, 18), Deadline(amount=1, unit=DeadlineUnit.WORKING_DAY), ContinuousCalendar(),
         sh(9, 24, 18)),
    ],
)  # fmt: skip
def test_apply_extension(
    due: datetime, extra: Deadline, calendar: WorkCalendar, new_due: datetime
) -> None:
    assert apply_extension(due, extra, calendar) == new_due


@pytest.mark.parametrize(
    "data", [{"amount": 0, "unit": "minute"}, {"amount": 1, "unit": "fortnight"}, {"amount": -2}]
)
def test_bad_deadlines_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Deadline.model_validate(data)


def test_bad_targets_are_refused() -> None:
    with pytest.raises(ValidationError):
        SlaTargets.model_validate({"warn_fraction": 1.5})
    with pytest.raises(ValidationError):
        SlaTargets.model_validate({"arrive_s": 0})


# ---------------------------------------------------------------- breach sweep

NOW = sh(9, 23, 11)
A, R, HD = SlaKind.ARRIVE, SlaKind.RESOLVE, SlaKind.HANDLING


def row(case_id: int, **kw: object) -> CaseSlaRow:
    return CaseSlaRow(case_id=case_id, **kw)  # type: ignore[arg-type]


SWEEP_ROWS = [
    row(1, due={A: sh(9, 23, 10, 50)}),  # running, overdue -> breach + escalate
    row(2, due={A: sh(9, 23, 11, 5)}, warn_at={A: sh(9, 23, 10, 59)}),  # warning only
    row(3, due={A: sh(9, 23, 10)}, done_at={A: sh(9, 23, 10, 30)}),  # done late, never marked
    row(4, due={A: sh(9, 23, 10)}, done_at={A: sh(9, 23, 9, 59)}),  # done in time
    row(5, due={A: sh(9, 23, 10), R: sh(9, 23, 10, 40)}, breached=frozenset({A})),
    row(6, due={A: None, HD: sh(9, 23, 11)}),  # due exactly now: not yet
    row(1, due={A: sh(9, 23, 10, 50)}),  # the same case twice in one batch
]


def test_sweep_finds_each_breach_and_escalation() -> None:
    result = sweep_breaches(SWEEP_ROWS, NOW)
    assert [(b.case_id, b.kind, b.completed_late) for b in result.breaches] == [
        (1, A, False),
        (3, A, True),
        (5, R, False),
    ]
    assert result.breaches[0] == Breach(1, A, sh(9, 23, 10, 50), 600.0, False)
    assert [(e.case_id, e.kind, e.actions) for e in result.escalations] == [
        (1, A, (EscalationAction.NOTIFY_SUPERVISOR, EscalationAction.OFFER_REASSIGNMENT)),
        (5, R, (EscalationAction.NOTIFY_SUPERVISOR,)),
    ]
    assert [(w.case_id, w.kind) for w in result.warnings] == [(2, A)]


def _mark(rows: list[CaseSlaRow], now: datetime) -> list[CaseSlaRow]:
    """What the service does with a sweep result: set the flags."""
    result = sweep_breaches(rows, now)
    breached = {(b.case_id, b.kind) for b in result.breaches}
    warned = {(w.case_id, w.kind) for w in result.warnings}
    out = []
    for r in rows:
        new_b = frozenset(k for k in r.due if (r.case_id, k) in breached)
        new_w = frozenset(k for k in r.due if (r.case_id, k) in warned)
        out.append(
            CaseSlaRow(r.case_id, r.due, r.done_at, r.warn_at, r.breached | new_b, r.warned | new_w)
        )
    return out


@pytest.mark.parametrize(
    ("later_s", "newly_breached"),
    [(0, set()), (60, {(6, HD)}), (3600, {(2, A), (6, HD)})],
)
def test_sweep_is_idempotent_once_flags_are_set(
    later_s: int, newly_breached: set[tuple[int, SlaKind]]
) -> None:
    marked = _mark(SWEEP_ROWS, NOW)
    again = sweep_breaches(marked, NOW + timedelta(seconds=later_s))
    # Only clocks that were not yet due at NOW may appear later; nothing is repeated.
    assert {(b.case_id, b.kind) for b in again.breaches} == newly_breached
    assert again.warnings == []


def test_escalation_policy_is_data() -> None:
    policy = EscalationPolicy.model_validate({"on_breach": {"arrive": ["notify_supervisor"]}})
    result = sweep_breaches([row(1, due={A: sh(9, 23, 10), R: sh(9, 23, 10)})], NOW, policy)
    assert len(result.breaches) == 2
    assert [(e.kind, e.actions) for e in result.escalations] == [
        (A, (EscalationAction.NOTIFY_SUPERVISOR,))
    ]


# ---------------------------------------------------------------- the seed category table


def _category_rows() -> list[dict[str, str]]:
    path = DATA / "categories" / "categories_example.csv"
    if not path.exists():
        pytest.skip(f"../shared/data not present: {path}")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _targets(r: dict[str, str]) -> SlaTargets:
    def minutes(key: str) -> float | None:
        return float(r[key]) * 60 if r[key] else None

    return SlaTargets.from_category_fields(
        clock=r["clock"],
        discover_target_s=minutes("discover_target_min"),
        arrive_target_s=minutes("arrive_target_min"),
        resolve_target_s=minutes("resolve_target_min"),
        handling_deadline=float(r["handling_deadline"]) if r["handling_deadline"] else None,
        deadline_unit=r["deadline_unit"],
    )


@pytest.mark.shared_data
def test_every_seed_category_yields_due_times() -> None:
    rows = _category_rows()
    assert rows
    dispatched = sh(9, 27, 17)  # Friday evening before a make-up Sunday
    for r in rows:
        targets = _targets(r)
        due = due_times(targets, CAL, sh(9, 27, 16), sh(9, 27, 15), dispatched_at=dispatched)
        assert due.handling_due is not None, r["name_en"]
        assert due.handling_due > dispatched, r["name_en"]
        if r["name_zh"] == "渣土运输车辆未密闭":
            assert (targets.discover_s, targets.resolve_s) == (3 * MIN, 30 * MIN)
            assert due.arrive_due == dispatched + timedelta(minutes=10)
        if r["deadline_unit"] == "working_hour":
            assert CAL.working_seconds_between(dispatched, due.handling_due) == pytest.approx(
                float(r["handling_deadline"]) * H
            )
