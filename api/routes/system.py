"""Health, scene-event intake and staff listing (readiness and metrics: routes/ops.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from api.auth import Principal
from api.deps import ContainerDep, SessionDep, require
from api.schemas import EventAccepted, HealthPublic, Page, StaffPublic
from core.bus import SCENE_EVENTS
from models import Staff
from scenes.events import SceneEvent

router = APIRouter(tags=["system"])
VERSION = "0.1.0"


@router.get("/health", response_model=HealthPublic)
def health(container: ContainerDep) -> HealthPublic:
    """Liveness and readiness: database reachable, which bus."""
    db_ok = container.database_ok()
    bus = type(container.bus).__name__
    return HealthPublic(
        status="ok" if db_ok else "degraded", database=db_ok, bus=bus, version=VERSION
    )


@router.post("/events", response_model=EventAccepted, status_code=202, tags=["events"])
def post_event(
    event: SceneEvent,
    container: ContainerDep,
    _: Annotated[Principal, Depends(require("device", "integrator", "operator"))],
) -> EventAccepted:
    """Queue a scene or sensor event for intake (idempotent on ``event_id``)."""
    container.bus.publish(SCENE_EVENTS, event.model_dump(mode="json"))
    return EventAccepted(event_id=str(event.event_id))


@router.get("/staff", response_model=Page[StaffPublic], tags=["staff"])
def list_staff(
    session: SessionDep, _: Annotated[Principal, Depends(require("operator", "manager"))]
) -> Page[StaffPublic]:
    """All field staff with status and last position."""
    rows = session.scalars(select(Staff).order_by(Staff.id)).all()
    return Page[StaffPublic](data=[StaffPublic.model_validate(s) for s in rows], count=len(rows))
