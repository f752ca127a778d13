"""SLA clocks on stored cases: targets from the category row, due times on the case columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.calendar import SlaCalendar
from dispatch.sla import ClockKind, Deadline, DeadlineUnit, DueTimes, SlaStatus, SlaTargets
from dispatch.sla import due_times as compute_due_times
from dispatch.sla import sla_status as clock_status
from dispatch.states import OPEN_STATES, CaseState
from models import Case, Category

_SEVERITY = {SlaStatus.ON_TIME: 0, SlaStatus.MET: 0, SlaStatus.WARNING: 1}


def targets_for(category: Category) -> SlaTargets:
    """The SLA targets a category row describes."""
    handling = None
    if category.handling_deadline:
        unit = DeadlineUnit(category.deadline_unit)
        handling = Deadline(amount=category.handling_deadline, unit=unit)
    return SlaTargets(
        clock=ClockKind(category.clock),
        discover_s=category.discover_target_s or None,
        arrive_s=category.arrive_target_s or None,
        resolve_s=category.resolve_target_s or None,
        handling=handling,
    )


def due_times_of(case: Case, category: Category, calendar: SlaCalendar) -> DueTimes:
    """Every clock the case has started so far."""
    return compute_due_times(
        targets_for(category),
        calendar,
        case.filed_at,
        case.first_seen_at,
        dispatched_at=case.dispatched_at,
        on_site_at=case.on_site_at,
    )


def refresh_dues(session: Session, case: Case, calendar: SlaCalendar) -> None:
    """Recompute the indexed due-time columns after filing, dispatch or check-in.

    An extension already granted keeps its later handling due time.
    """
    category = session.get(Category, case.category_code)
    if category is None:
        return
    due = due_times_of(case, category, calendar)
    case.discover_due_at = due.discover_due
    case.arrive_due_at = due.arrive_due
    case.resolve_due_at = due.resolve_due
    if case.extension_count == 0 or case.handling_due_at is None:
        case.handling_due_at = due.handling_due


def case_sla_status(case: Case, now: datetime) -> str:
    """The worst status among the case's running clocks: on_time, warning or breached."""
    if CaseState(case.state) not in OPEN_STATES:
        return "closed" if case.state == "closed" else "on_time"
    clocks = [
        (case.arrive_due_at, case.on_site_at),
        (case.resolve_due_at, case.handled_at),
        (case.handling_due_at, case.handled_at),
    ]
    worst = SlaStatus.ON_TIME
    for due, done in clocks:
        if due is None:
            continue
        status = clock_status(now, due, done)
        if status in (SlaStatus.BREACHED, SlaStatus.MISSED):
            return "breached"
        if _SEVERITY.get(status, 0) > _SEVERITY[worst]:
            worst = status
    return worst.value
