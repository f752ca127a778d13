"""Cases: list, detail, and operator actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import ContainerDep, SessionDep, require
from api.errors import ApiError
from api.schemas import (
    CaseActionIn,
    CaseDetailPublic,
    CaseEventPublic,
    CasePublic,
    DispatchPublic,
    EvidencePublic,
    ManualDispatchIn,
    Page,
)
from api.schemas_resources import MergeIn
from dispatch import field, offers
from dispatch.actors import Actor
from dispatch.lifecycle import append_event
from dispatch.sla_service import case_sla_status
from dispatch.states import OPEN_STATES, CaseAction, CaseState
from models import Case, CaseEvent, Dispatch, Evidence

router = APIRouter(prefix="/cases", tags=["cases"])
Reader = Annotated[Principal, Depends(require("operator", "manager"))]
Operator = Annotated[Principal, Depends(require("operator"))]
OPERATOR_ACTIONS = {
    CaseAction.FILE,
    CaseAction.VOID,
    CaseAction.REJECT,
    CaseAction.VERIFY,
    CaseAction.FAIL_VERIFICATION,
    CaseAction.CLOSE,
    CaseAction.RETURN,
    CaseAction.PARK,
    CaseAction.UNPARK,
    CaseAction.ESCALATE,
    CaseAction.EXTEND,
    CaseAction.SELF_HANDLE,
}
CaseId = Annotated[int, Path(ge=1, le=2_147_483_647, description="Case id.")]
BBOX = r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?$"


def _bbox(text: str) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in text.split(","))
    if not (-180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90):
        raise ApiError(422, "invalid_bbox", "bbox is minLon,minLat,maxLon,maxLat within range")
    return x1, y1, x2, y2


def _sla_filter(status: str, now: datetime) -> ColumnElement[bool]:
    late = or_(
        and_(Case.arrive_due_at < now, Case.on_site_at.is_(None)),
        and_(Case.resolve_due_at < now, Case.handled_at.is_(None)),
        and_(Case.handling_due_at < now, Case.handled_at.is_(None)),
    )
    is_open = Case.state.in_([s.value for s in OPEN_STATES])
    return and_(is_open, late) if status == "breached" else and_(is_open, ~late)


def to_public(case: Case, now: datetime) -> CasePublic:
    """A case row as the API shows it, with its live SLA status."""
    public = CasePublic.model_validate(case)
    public.sla_status = case_sla_status(case, now)
    return public


@router.get("", response_model=Page[CasePublic])
def list_cases(
    container: ContainerDep,
    session: SessionDep,
    _: Reader,
    state: Annotated[list[CaseState] | None, Query(description="Filter by state.")] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    district_id: Annotated[str | None, Query(max_length=64)] = None,
    area_id: Annotated[str | None, Query(max_length=64, description="Grid or district.")] = None,
    sla_status: Annotated[
        Literal["breached", "not_breached"] | None, Query(description="Open cases only.")
    ] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    bbox: Annotated[
        str | None, Query(pattern=BBOX, description="minLon,minLat,maxLon,maxLat")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        int | None, Query(ge=0, le=2_147_483_647, description="Last id of the previous page.")
    ] = None,
) -> Page[CasePublic]:
    """Cases, newest first, with filters and cursor pagination."""
    query = select(Case)
    if area_id:
        query = query.where(or_(Case.grid_id == area_id, Case.district_id == area_id))
    if sla_status:
        query = query.where(_sla_filter(sla_status, container.clock.now()))
    if state:
        query = query.where(Case.state.in_([s.value for s in state]))
    if category:
        query = query.where(Case.category_code == category)
    if district_id:
        query = query.where(Case.district_id == district_id)
    if since:
        query = query.where(Case.first_seen_at >= since)
    if until:
        query = query.where(Case.first_seen_at < until)
    if bbox:
        x1, y1, x2, y2 = _bbox(bbox)
        query = query.where(Case.lon.between(x1, x2), Case.lat.between(y1, y2))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if cursor is not None:
        query = query.where(Case.id < cursor)
    rows = session.scalars(query.order_by(Case.id.desc()).limit(limit)).all()
    now = container.clock.now()
    next_cursor = str(rows[-1].id) if len(rows) == limit else None
    return Page[CasePublic](
        data=[to_public(c, now) for c in rows], count=total, next_cursor=next_cursor
    )


def case_detail(session: Session, case: Case, now: datetime) -> CaseDetailPublic:
    """A case with timeline, offers and evidence."""
    timeline = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    )
    offers_ = session.scalars(
        select(Dispatch).where(Dispatch.case_id == case.id).order_by(Dispatch.id)
    )
    evidence = session.scalars(
        select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)
    )
    return CaseDetailPublic(
        **to_public(case, now).model_dump(),
        timeline=[CaseEventPublic.model_validate(e) for e in timeline],
        dispatches=[DispatchPublic.model_validate(d) for d in offers_],
        evidence=[EvidencePublic.model_validate(e) for e in evidence],
    )


@router.get("/{case_id}", response_model=CaseDetailPublic)
def get_case(
    case_id: CaseId, container: ContainerDep, session: SessionDep, _: Reader
) -> CaseDetailPublic:
    """One case in full."""
    return case_detail(session, field.get_case(session, case_id), container.clock.now())


@router.post("/{case_id}/actions/{action}", response_model=CasePublic)
def act_on_case(
    case_id: CaseId,
    action: CaseAction,
    body: CaseActionIn,
    container: ContainerDep,
    session: SessionDep,
    who: Operator,
) -> CasePublic:
    """Operator actions: file, void, reject, verify, fail_verification, close, return, park,
    unpark, escalate, extend, self_handle."""
    if action not in OPERATOR_ACTIONS:
        raise ApiError(422, "not_an_operator_action", f"{action.value} is not an operator action")
    details: dict[str, object] = {"note": body.note, "operator": who.name}
    if action is CaseAction.EXTEND:
        if body.extra_minutes is None:
            raise ApiError(422, "missing_extra_minutes", "extend needs extra_minutes")
        details["extra_minutes"] = body.extra_minutes
    case = field.operator_action(
        session,
        case_id=case_id,
        action=action,
        actor=Actor("user", who.subject, "api"),
        clock=container.clock,
        details=details,
        expected_version=body.expected_version,
    )
    container.dispatch.notify_case(case.id, action.value)
    return to_public(case, container.clock.now())


@router.post("/{case_id}/dispatch", response_model=DispatchPublic)
def dispatch_case(
    case_id: CaseId,
    body: ManualDispatchIn,
    container: ContainerDep,
    session: SessionDep,
    who: Operator,
) -> DispatchPublic:
    """Dispatch or reassign a case to a named worker."""
    offer = offers.offer_to(
        session,
        case_id=case_id,
        staff_id=body.staff_id,
        actor=Actor("user", who.subject, "api"),
        clock=container.clock,
        calendar=container.calendar,
        settings=container.dispatch.offer_settings,
        travel=container.travel,
    )
    container.dispatch.notify_case(case_id, "dispatched")
    return DispatchPublic.model_validate(offer)


@router.post("/{case_id}/auto-dispatch", response_model=DispatchPublic | None)
def auto_dispatch(
    case_id: CaseId, container: ContainerDep, session: SessionDep, who: Operator
) -> DispatchPublic | None:
    """Offer the case to the best available worker now (the request is stamped with the
    operator; the offer itself is the assignment engine's)."""
    case = field.get_case(session, case_id)
    append_event(
        session, case=case, action="auto_dispatch_requested", before=case.state,
        actor=Actor("user", who.subject, "api"), at=container.clock.now(),
        details={"operator": who.name},
    )  # fmt: skip
    session.commit()
    offer = container.dispatch.offer_next(case_id)
    return DispatchPublic.model_validate(offer) if offer else None


@router.post("/{case_id}/merge", response_model=CasePublic)
def merge_case(
    case_id: CaseId, body: MergeIn, container: ContainerDep, session: SessionDep, who: Operator
) -> CasePublic:
    """Merge a duplicate into another open case: it is voided with ``merged_into_id`` and both
    timelines record the merge. The duplicate must be reported, filed or returned (return a
    case that already has a worker first)."""
    if body.into_case_id == case_id:
        raise ApiError(422, "merge_into_self", "a case cannot be merged into itself")
    case, target = field.get_case(session, case_id), field.get_case(session, body.into_case_id)
    if body.expected_version is not None and case.version != body.expected_version:
        raise ApiError(409, "conflict", f"case {case_id} changed (version {case.version})")
    if CaseState(target.state) not in OPEN_STATES:
        raise ApiError(409, "target_closed", f"case {target.id} is {target.state}")
    actor, now = Actor("user", who.subject, "api"), container.clock.now()
    note = {"note": body.note, "operator": who.name}
    case.merged_into_id = target.id
    target.event_count += case.event_count
    target.first_seen_at = min(target.first_seen_at, case.first_seen_at)
    target.last_seen_at = max(target.last_seen_at, case.last_seen_at)
    target.updated_at = now
    append_event(
        session, case=target, action="merge_case", before=target.state, actor=actor, at=now,
        details={**note, "merged_case_id": case.id, "merged_case_code": case.code},
    )  # fmt: skip
    # Last, so an illegal transition leaves nothing behind (the request session rolls back).
    field.operator_action(
        session, case_id=case_id, action=CaseAction.VOID, actor=actor, clock=container.clock,
        details={**note, "merged_into_id": target.id},
    )  # fmt: skip
    container.dispatch.notify_case(case.id, "merged")
    container.dispatch.notify_case(target.id, "merged_in")
    return to_public(case, now)
