"""Periodic sweeps over stored cases: SLA warnings and breaches (each marked exactly once, with
escalation) and the automatic camera re-check after handling (核查)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatch.actors import Actor
from dispatch.calendar import SlaCalendar
from dispatch.lifecycle import append_event, apply_action
from dispatch.notify import Notification, Notifier
from dispatch.policies import (
    Observation,
    VerificationDecision,
    VerificationPolicy,
    verify_by_camera,
)
from dispatch.sla import CaseSlaRow, EscalationAction, EscalationPolicy, SlaKind, sweep_breaches
from dispatch.sla_service import due_times_of
from dispatch.states import OPEN_STATES, CaseAction, CaseState
from models import Case, Category, Dispatch, SceneEventRecord, Unit

logger = logging.getLogger(__name__)
_BREACH_COLUMN = {
    SlaKind.DISCOVER: "discover_breached_at",
    SlaKind.ARRIVE: "arrive_breached_at",
    SlaKind.RESOLVE: "resolve_breached_at",
    SlaKind.HANDLING: "handling_breached_at",
}
_DONE_COLUMN = {
    SlaKind.DISCOVER: "filed_at",
    SlaKind.ARRIVE: "on_site_at",
    SlaKind.RESOLVE: "handled_at",
    SlaKind.HANDLING: "handled_at",
}


@dataclass
class SweepReport:
    """What one sweep did."""

    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    reoffered: list[int] = field(default_factory=list)


def _row(case: Case, category: Category, calendar: SlaCalendar) -> CaseSlaRow:
    due = due_times_of(case, category, calendar)
    windows = {kind: due.get(kind) for kind in SlaKind}
    deadline = {k: (w.due if w else None) for k, w in windows.items()}
    if case.handling_due_at is not None:  # an extension may have moved it
        deadline[SlaKind.HANDLING] = case.handling_due_at
    return CaseSlaRow(
        case_id=case.id,
        due=deadline,
        done_at={k: getattr(case, c) for k, c in _DONE_COLUMN.items()},
        warn_at={k: (w.warn_at if w else None) for k, w in windows.items()},
        breached=frozenset(k for k, c in _BREACH_COLUMN.items() if getattr(case, c) is not None),
        warned=frozenset(SlaKind(k) for k in case.sla_warned or []),
    )


def sweep_sla(
    session: Session,
    *,
    now: datetime,
    calendar: SlaCalendar,
    notifier: Notifier,
    policy: EscalationPolicy | None = None,
) -> SweepReport:
    """Mark new warnings and breaches on open cases, escalate, notify. Idempotent. Commits."""
    report = SweepReport()
    cases = session.scalars(
        select(Case).where(
            Case.state.in_([s.value for s in OPEN_STATES]),
            or_(
                Case.discover_due_at <= now,
                Case.arrive_due_at.is_not(None),
                Case.handling_due_at.is_not(None),
                Case.resolve_due_at.is_not(None),
            ),
        )
    ).all()
    categories = {c.code: c for c in session.scalars(select(Category))}
    rows = [_row(c, categories[c.category_code], calendar) for c in cases]
    result = sweep_breaches(rows, now, policy)
    by_id = {c.id: c for c in cases}
    for warning in result.warnings:
        case = by_id[int(warning.case_id)]
        case.sla_warned = sorted({*(case.sla_warned or []), warning.kind.value})
        _note(
            session,
            case,
            "sla_warning",
            now,
            {"clock": warning.kind.value, "due": warning.due.isoformat()},
        )
        notifier.notify(
            _notification(case, "sla_warning", f"{warning.kind.value} due soon", now, "operators")
        )
        report.warnings += 1
    for breach in result.breaches:
        case = by_id[int(breach.case_id)]
        setattr(case, _BREACH_COLUMN[breach.kind], now)
        details = {
            "clock": breach.kind.value,
            "due": breach.due.isoformat(),
            "overdue_s": breach.overdue_s,
            "completed_late": breach.completed_late,
        }
        _note(session, case, "sla_breach", now, details)
        report.breaches += 1
    for escalation in result.escalations:
        case = by_id[int(escalation.case_id)]
        _escalate(session, case, escalation.kind, escalation.actions, now, notifier, report)
    session.commit()
    return report


def _escalate(
    session: Session,
    case: Case,
    kind: SlaKind,
    actions: tuple[EscalationAction, ...],
    now: datetime,
    notifier: Notifier,
    report: SweepReport,
) -> None:
    names = [a.value for a in actions]
    apply_action(
        session,
        case=case,
        action=CaseAction.ESCALATE,
        actor=Actor.system("sla"),
        at=now,
        details={"clock": kind.value, "actions": names},
    )
    report.escalations += 1
    if EscalationAction.NOTIFY_SUPERVISOR in actions:
        unit = session.get(Unit, case.unit_id) if case.unit_id else None
        recipient = f"supervisor:{unit.id}" if unit else "operators"
        notifier.notify(
            _notification(case, "escalation", f"{kind.value} deadline breached", now, recipient)
        )
    waiting = CaseState(case.state) is CaseState.DISPATCHED
    if EscalationAction.OFFER_REASSIGNMENT in actions and waiting:
        for offer in session.scalars(
            select(Dispatch).where(Dispatch.case_id == case.id, Dispatch.status == "offered")
        ):
            offer.status, offer.responded_at, offer.reason = (
                "cancelled",
                now,
                "SLA breach: reassigning",
            )
        report.reoffered.append(case.id)


def _note(
    session: Session, case: Case, action: str, now: datetime, details: Mapping[str, Any]
) -> None:
    append_event(
        session,
        case=case,
        action=action,
        before=case.state,
        actor=Actor.system("sla"),
        at=now,
        details=dict(details),
    )


def _notification(
    case: Case, kind: str, message: str, now: datetime, recipient: str
) -> Notification:
    return Notification(
        kind=kind,
        case_id=case.id,
        recipient=recipient,
        message=f"{case.code}: {message}",  # type: ignore[arg-type]
        at=now,
        details={"state": case.state, "category": case.category_code},
    )


def recheck_handled_camera_cases(
    session: Session, *, now: datetime, policy: VerificationPolicy, sample_period_s: float = 60.0
) -> dict[int, VerificationDecision]:
    """Verify or rework handled camera cases from what the same camera saw afterwards.

    Events that merged into the case after ``handled_at`` are looks with the violation present.
    Each sampling period in which the camera was online and raised nothing counts as a clear look.
    """
    decided: dict[int, VerificationDecision] = {}
    handled = session.scalars(
        select(Case).where(Case.state == CaseState.HANDLED.value, Case.source == "camera")
    ).all()
    for case in handled:
        if case.handled_at is None:
            continue
        looks = _observations(session, case, now, policy, sample_period_s)
        outcome = verify_by_camera(looks, case.handled_at, now, policy)
        if outcome.decision is VerificationDecision.UNDECIDED:
            continue
        action = (
            CaseAction.VERIFY
            if outcome.decision is VerificationDecision.VERIFIED
            else CaseAction.FAIL_VERIFICATION
        )
        apply_action(
            session,
            case=case,
            action=action,
            actor=Actor.system("camera-recheck"),
            at=now,
            details={"observations": outcome.observations, "reason": outcome.reason},
        )
        if action is CaseAction.FAIL_VERIFICATION:
            case.assigned_staff_id = None
        decided[case.id] = outcome.decision
    session.commit()
    return decided


def _observations(
    session: Session, case: Case, now: datetime, policy: VerificationPolicy, period_s: float
) -> list[Observation]:
    assert case.handled_at is not None
    end = min(now, case.handled_at + timedelta(seconds=policy.window_s))
    seen = list(
        session.scalars(
            select(SceneEventRecord.occurred_at).where(
                SceneEventRecord.case_id == case.id, SceneEventRecord.occurred_at > case.handled_at
            )
        )
    )
    looks = [Observation(at, True) for at in seen]
    camera_online = case.camera_id is not None and _camera_online_since(session, case)
    t = case.handled_at + timedelta(seconds=period_s)
    while camera_online and t <= end:
        if not any(abs((at - t).total_seconds()) < period_s / 2 for at in seen):
            looks.append(Observation(t, False))
        t += timedelta(seconds=period_s)
    return looks


def _camera_online_since(session: Session, case: Case) -> bool:
    from models import Camera

    camera = session.get(Camera, case.camera_id)
    return bool(
        camera
        and camera.health == "online"
        and camera.last_frame_at
        and case.handled_at
        and camera.last_frame_at >= case.handled_at
    )
