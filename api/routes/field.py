"""The field-staff API: my offers and cases, accept/decline, position, depart, arrive, handle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from api.deps import ContainerDep, SessionDep, require_staff
from api.routes.cases import CaseId, case_detail, to_public
from api.schemas import (
    ArriveIn,
    CaseDetailPublic,
    CasePublic,
    DeclineIn,
    DispatchPublic,
    HandleIn,
    Page,
    PositionsIn,
    StaffPublic,
)
from api.schemas_resources import ShiftIn
from core.bus import STAFF_POSITIONS
from dispatch import field
from dispatch.errors import Conflict, NotFound
from dispatch.states import OPEN_STATES
from models import Case, Dispatch, Staff

router = APIRouter(tags=["field"])
StaffId = Annotated[str, Depends(require_staff)]


@router.get("/me/offers", response_model=Page[DispatchPublic])
def my_offers(session: SessionDep, staff_id: StaffId) -> Page[DispatchPublic]:
    """Offers waiting for my answer."""
    rows = session.scalars(
        select(Dispatch).where(Dispatch.staff_id == staff_id, Dispatch.status == "offered")
    ).all()
    return Page[DispatchPublic](
        data=[DispatchPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get("/me/cases", response_model=Page[CasePublic])
def my_cases(container: ContainerDep, session: SessionDep, staff_id: StaffId) -> Page[CasePublic]:
    """My open cases."""
    rows = session.scalars(
        select(Case).where(
            Case.assigned_staff_id == staff_id, Case.state.in_([s.value for s in OPEN_STATES])
        )
    ).all()
    now = container.clock.now()
    return Page[CasePublic](data=[to_public(c, now) for c in rows], count=len(rows))


@router.get("/me/cases/{case_id}", response_model=CaseDetailPublic)
def my_case(
    case_id: CaseId, container: ContainerDep, session: SessionDep, staff_id: StaffId
) -> CaseDetailPublic:
    """One of my cases in full (offered or assigned)."""
    offered = session.scalar(
        select(Dispatch.id).where(Dispatch.case_id == case_id, Dispatch.staff_id == staff_id)
    )
    case = (
        field.get_case(session, case_id)
        if offered
        else field.own_case(session, case_id=case_id, staff_id=staff_id)
    )
    return case_detail(session, case, container.clock.now())


@router.post("/me/position", response_model=StaffPublic)
def post_position(
    body: PositionsIn, container: ContainerDep, session: SessionDep, staff_id: StaffId
) -> StaffPublic:
    """Report GPS fixes; the newest one becomes my position."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"staff {staff_id} does not exist")
    newest = max(body.fixes, key=lambda f: f.at)
    if staff.position_at is None or newest.at > staff.position_at:
        staff.lon, staff.lat, staff.accuracy_m, staff.position_at = (
            newest.lon,
            newest.lat,
            newest.accuracy_m,
            newest.at,
        )
    session.commit()
    at = staff.position_at.isoformat() if staff.position_at else None
    position = {"staff_id": staff_id, "lon": staff.lon, "lat": staff.lat, "at": at}
    container.bus.publish(STAFF_POSITIONS, position)
    return StaffPublic.model_validate(staff)


@router.post("/cases/{case_id}/accept", response_model=CasePublic)
def accept(
    case_id: CaseId, container: ContainerDep, session: SessionDep, staff_id: StaffId
) -> CasePublic:
    """Accept my offer of this case."""
    case = field.accept(session, case_id=case_id, staff_id=staff_id, clock=container.clock)
    container.dispatch.notify_case(case_id, "accepted")
    return to_public(case, container.clock.now())


@router.post("/cases/{case_id}/decline", response_model=DispatchPublic)
def decline(
    case_id: CaseId,
    body: DeclineIn,
    container: ContainerDep,
    session: SessionDep,
    staff_id: StaffId,
) -> DispatchPublic:
    """Decline my offer with a reason; the case goes to the next candidate."""
    offer = field.decline(
        session, case_id=case_id, staff_id=staff_id, reason=body.reason, clock=container.clock
    )
    public = DispatchPublic.model_validate(offer)
    container.dispatch.offer_next(case_id)
    return public


@router.post("/cases/{case_id}/depart", response_model=CasePublic)
def depart(
    case_id: CaseId, container: ContainerDep, session: SessionDep, staff_id: StaffId
) -> CasePublic:
    """I am on my way."""
    case = field.depart(session, case_id=case_id, staff_id=staff_id, clock=container.clock)
    container.dispatch.notify_case(case_id, "en_route")
    return to_public(case, container.clock.now())


@router.post("/cases/{case_id}/arrive", response_model=CasePublic)
def arrive(
    case_id: CaseId, body: ArriveIn, container: ContainerDep, session: SessionDep, staff_id: StaffId
) -> CasePublic:
    """Check in on site; refused unless within the configured radius of the case."""
    case = field.arrive(
        session,
        case_id=case_id,
        staff_id=staff_id,
        lon=body.lon,
        lat=body.lat,
        accuracy_m=body.accuracy_m,
        radius_m=container.settings.arrive_radius_m,
        clock=container.clock,
        calendar=container.calendar,
    )
    container.dispatch.notify_case(case_id, "on_site")
    return to_public(case, container.clock.now())


@router.post("/cases/{case_id}/handle", response_model=CasePublic)
def handle(
    case_id: CaseId, body: HandleIn, container: ContainerDep, session: SessionDep, staff_id: StaffId
) -> CasePublic:
    """Report the case handled (处置完成)."""
    case = field.handle(
        session, case_id=case_id, staff_id=staff_id, notes=body.notes, clock=container.clock
    )
    container.dispatch.notify_case(case_id, "handled")
    return to_public(case, container.clock.now())


@router.get("/me", response_model=StaffPublic)
def me(session: SessionDep, staff_id: StaffId) -> StaffPublic:
    """My staff record: status, position, load."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"staff {staff_id} does not exist")
    return StaffPublic.model_validate(staff)


@router.post("/me/shift", response_model=StaffPublic)
def shift(body: ShiftIn, session: SessionDep, staff_id: StaffId) -> StaffPublic:
    """Go on shift (available) or off shift; refused while I hold an offer or a case."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"staff {staff_id} does not exist")
    if staff.status in ("offered", "busy") and body.status == "off_shift":
        raise Conflict(f"staff {staff_id} is {staff.status}: finish or hand back the work first")
    if staff.status in ("available", "off_shift"):
        staff.status = body.status
    session.commit()
    return StaffPublic.model_validate(staff)
