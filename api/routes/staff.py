"""Field staff and teams (the staff list itself is ``GET /staff`` in the system router)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.errors import ApiError
from api.routes.common import (
    Admin,
    IdPath,
    Limit,
    Operator,
    Reader,
    StrCursor,
    get_or_404,
    page_by_key,
)
from api.schemas import Page, StaffPublic
from api.schemas_resources import StaffCreate, StaffUpdate, TeamCreate, TeamPublic, TeamUpdate
from models import Staff, Team, Unit

router = APIRouter(tags=["staff"])


def _check_team(session: Session, team_id: str | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise ApiError(422, "unknown_reference", f"team {team_id!r} does not exist")


@router.post("/staff", response_model=StaffPublic, status_code=201)
def create_staff(body: StaffCreate, session: SessionDep, _: Admin) -> StaffPublic:
    """Add a field worker (link a user to it with ``smartscene users create --staff-id``)."""
    if session.get(Staff, body.id) is not None:
        raise ApiError(409, "conflict", f"staff {body.id} already exists")
    _check_team(session, body.team_id)
    staff = Staff(**body.model_dump(), load=0, assigned_today=0)
    session.add(staff)
    session.commit()
    return StaffPublic.model_validate(staff)


@router.get("/staff/{staff_id}", response_model=StaffPublic)
def get_staff(staff_id: IdPath, session: SessionDep, _: Reader) -> StaffPublic:
    """One field worker with status and last position."""
    return StaffPublic.model_validate(get_or_404(session, Staff, staff_id, "staff"))


@router.patch("/staff/{staff_id}", response_model=StaffPublic)
def update_staff(
    staff_id: IdPath, body: StaffUpdate, session: SessionDep, _: Operator
) -> StaffPublic:
    """Change a worker's team, skills, areas or status (e.g. send someone off shift)."""
    staff = get_or_404(session, Staff, staff_id, "staff")
    values = body.model_dump(exclude_unset=True)
    for key in ("name", "status", "skills", "area_ids"):
        if key in values and values[key] is None:
            raise ApiError(422, "invalid_request", f"{key} cannot be null")
    _check_team(session, values.get("team_id"))
    for key, value in values.items():
        setattr(staff, key, value)
    session.commit()
    return StaffPublic.model_validate(staff)


@router.delete("/staff/{staff_id}", status_code=204, response_class=Response)
def delete_staff(staff_id: IdPath, session: SessionDep, _: Admin) -> Response:
    """Remove a worker (409 while cases or offers refer to them: set off_shift instead)."""
    session.delete(get_or_404(session, Staff, staff_id, "staff"))
    session.commit()
    return Response(status_code=204)


@router.get("/teams", response_model=Page[TeamPublic], tags=["teams"])
def list_teams(
    session: SessionDep, _: Reader, limit: Limit = 100, cursor: StrCursor = None
) -> Page[TeamPublic]:
    """Teams by id."""
    rows, total, nxt = page_by_key(session, select(Team), Team.id, cursor=cursor, limit=limit)
    return Page[TeamPublic](
        data=[TeamPublic.model_validate(t) for t in rows], count=total, next_cursor=nxt
    )


@router.post("/teams", response_model=TeamPublic, status_code=201, tags=["teams"])
def create_team(body: TeamCreate, session: SessionDep, _: Admin) -> TeamPublic:
    """Add a team."""
    if session.get(Team, body.id) is not None:
        raise ApiError(409, "conflict", f"team {body.id} already exists")
    if body.unit_id is not None:
        get_or_404(session, Unit, body.unit_id, "unit")
    team = Team(**body.model_dump())
    session.add(team)
    session.commit()
    return TeamPublic.model_validate(team)


@router.get("/teams/{team_id}", response_model=TeamPublic, tags=["teams"])
def get_team(team_id: IdPath, session: SessionDep, _: Reader) -> TeamPublic:
    """One team."""
    return TeamPublic.model_validate(get_or_404(session, Team, team_id, "team"))


@router.patch("/teams/{team_id}", response_model=TeamPublic, tags=["teams"])
def update_team(team_id: IdPath, body: TeamUpdate, session: SessionDep, _: Admin) -> TeamPublic:
    """Change a team."""
    team = get_or_404(session, Team, team_id, "team")
    values = body.model_dump(exclude_unset=True)
    if "name" in values and values["name"] is None:
        raise ApiError(422, "invalid_request", "name cannot be null")
    if values.get("unit_id") is not None:
        get_or_404(session, Unit, values["unit_id"], "unit")
    for key, value in values.items():
        setattr(team, key, value)
    session.commit()
    return TeamPublic.model_validate(team)


@router.delete("/teams/{team_id}", status_code=204, response_class=Response, tags=["teams"])
def delete_team(team_id: IdPath, session: SessionDep, _: Admin) -> Response:
    """Remove a team (its staff stay, without a team)."""
    session.delete(get_or_404(session, Team, team_id, "team"))
    session.commit()
    return Response(status_code=204)
