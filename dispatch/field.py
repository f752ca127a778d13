"""What field staff and operators do to a case after it is offered: accept, decline, depart,
arrive (geo-verified), handle, verify, close and the other operator actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import Clock
from dispatch import sla_service
from dispatch.actors import Actor
from dispatch.calendar import ContinuousCalendar, SlaCalendar
from dispatch.errors import ArrivalRefused, Conflict, Forbidden, NotFound
from dispatch.lifecycle import append_event, apply_action
from dispatch.policies import check_arrival
from dispatch.sla import Deadline, DeadlineUnit, apply_extension
from dispatch.states import CaseAction, CaseState
from models import Case, Dispatch, Staff


def get_case(session: Session, case_id: int) -> Case:
    """Return the case or raise ``NotFound``."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def _open_offer(session: Session, case_id: int, staff_id: str) -> Dispatch:
    offer = session.scalars(
        select(Dispatch).where(
            Dispatch.case_id == case_id, Dispatch.staff_id == staff_id, Dispatch.status == "offered"
        )
    ).first()
    if offer is None:
        raise Conflict(f"case {case_id} has no open offer for staff {staff_id}")
    return offer


def accept(session: Session, *, case_id: int, staff_id: str, clock: Clock) -> Case:
    """Accept an open offer. Exactly one of two racing accepts wins (conditional UPDATE)."""
    now = clock.now()
    offer = _open_offer(session, case_id, staff_id)
    if offer.expires_at <= now:
        raise Conflict(f"the offer of case {case_id} expired at {offer.expires_at.isoformat()}")
    won = session.execute(
        update(Dispatch)
        .where(Dispatch.id == offer.id, Dispatch.status == "offered")
        .values(status="accepted", responded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        session.rollback()
        raise Conflict(f"the offer of case {case_id} was already answered")
    case = get_case(session, case_id)
    apply_action(
        session,
        case=case,
        action=CaseAction.ACCEPT,
        actor=Actor("user", staff_id, "field"),
        at=now,
        details={"dispatch_id": offer.id},
    )
    case.assigned_staff_id = staff_id
    _set_staff_status(session, staff_id, "busy", load_delta=1)
    session.commit()
    return case


def decline(
    session: Session, *, case_id: int, staff_id: str, reason: str, clock: Clock
) -> Dispatch:
    """Decline an offer with a reason; the caller then offers the case to the next candidate."""
    if not reason.strip():
        raise Conflict("a decline needs a reason")
    now = clock.now()
    offer = _open_offer(session, case_id, staff_id)
    offer.status, offer.responded_at, offer.reason = "declined", now, reason
    case = get_case(session, case_id)
    append_event(
        session,
        case=case,
        action="offer_declined",
        before=case.state,
        actor=Actor("user", staff_id, "field"),
        at=now,
        details={"dispatch_id": offer.id, "reason": reason},
    )
    _set_staff_status(session, staff_id, "available")
    session.commit()
    return offer


def own_case(session: Session, *, case_id: int, staff_id: str) -> Case:
    """Return the case if it is assigned to ``staff_id``, else raise ``Forbidden``."""
    case = get_case(session, case_id)
    if case.assigned_staff_id != staff_id:
        raise Forbidden(f"case {case_id} is not assigned to staff {staff_id}")
    return case


def depart(session: Session, *, case_id: int, staff_id: str, clock: Clock) -> Case:
    """The worker is on the way."""
    case = own_case(session, case_id=case_id, staff_id=staff_id)
    apply_action(
        session,
        case=case,
        action=CaseAction.DEPART,
        actor=Actor("user", staff_id, "field"),
        at=clock.now(),
    )
    session.commit()
    return case


def arrive(
    session: Session,
    *,
    case_id: int,
    staff_id: str,
    lon: float,
    lat: float,
    accuracy_m: float,
    radius_m: float,
    clock: Clock,
    calendar: SlaCalendar,
) -> Case:
    """Check in on site, accepted only within ``radius_m`` of the case; refusals are recorded."""
    case = own_case(session, case_id=case_id, staff_id=staff_id)
    now, actor = clock.now(), Actor("user", staff_id, "field")
    fix = {"lon": lon, "lat": lat, "accuracy_m": accuracy_m}
    if case.lon is not None and case.lat is not None:
        check = check_arrival((lon, lat), accuracy_m, (case.lon, case.lat), radius_m)
        if not check.ok:
            append_event(
                session,
                case=case,
                action="arrive_refused",
                before=case.state,
                actor=actor,
                at=now,
                details={**fix, "distance_m": check.distance_m, "reason": check.reason.value},
            )
            session.commit()
            raise ArrivalRefused(check.message)
        fix["distance_m"] = check.distance_m
    apply_action(session, case=case, action=CaseAction.ARRIVE, actor=actor, at=now, details=fix)
    sla_service.refresh_dues(session, case, calendar)
    session.commit()
    return case


def handle(session: Session, *, case_id: int, staff_id: str, notes: str, clock: Clock) -> Case:
    """Report handling done (处置完成); frees the worker."""
    case = own_case(session, case_id=case_id, staff_id=staff_id)
    apply_action(
        session,
        case=case,
        action=CaseAction.HANDLE,
        actor=Actor("user", staff_id, "field"),
        at=clock.now(),
        details={"notes": notes},
    )
    _set_staff_status(session, staff_id, "available", load_delta=-1)
    session.commit()
    return case


def operator_action(
    session: Session,
    *,
    case_id: int,
    action: CaseAction,
    actor: Actor,
    clock: Clock,
    details: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Apply an operator/supervisor action (file, void, verify, close, escalate, ...)."""
    case = get_case(session, case_id)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            f"case {case_id} changed (version {case.version}, you had {expected_version})"
        )
    apply_action(session, case=case, action=action, actor=actor, at=clock.now(), details=details)
    if action is CaseAction.EXTEND:
        _extend(case, float((details or {}).get("extra_minutes", 0)))
    if action is CaseAction.FAIL_VERIFICATION and case.assigned_staff_id:
        case.assigned_staff_id = None
    if CaseState(case.state) in {CaseState.VOIDED, CaseState.RETURNED} and case.assigned_staff_id:
        _set_staff_status(session, case.assigned_staff_id, "available", load_delta=-1)
        case.assigned_staff_id = None
    session.commit()
    return case


def _extend(case: Case, extra_minutes: float) -> None:
    """Move the running deadlines later (延期); the count was bumped by ``apply_action``."""
    if extra_minutes <= 0:
        raise Conflict("an extension needs a positive number of minutes")
    extra = Deadline(amount=extra_minutes, unit=DeadlineUnit.MINUTE)
    for column in ("handling_due_at", "resolve_due_at", "arrive_due_at"):
        due = getattr(case, column)
        if due is not None:
            setattr(case, column, apply_extension(due, extra, ContinuousCalendar()))


def _set_staff_status(session: Session, staff_id: str, status: str, load_delta: int = 0) -> None:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"staff {staff_id} does not exist")
    staff.status = status
    staff.load = max(0, staff.load + load_delta)
