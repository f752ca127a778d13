"""API schemas: the XCreate / XUpdate / XPublic / XsPublic family."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of results with the total count and a cursor for the next page."""

    data: list[T]
    count: int = Field(description="Rows matching the filters (all pages).")
    next_cursor: str | None = Field(None, description="Pass as ``cursor`` for the next page.")


class Token(BaseModel):
    """OAuth2 bearer token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    role: str


class ErrorPublic(BaseModel):
    """The error shape of every 4xx/5xx."""

    code: str
    message: str
    details: Any = None


class CasePublic(BaseModel):
    """A case as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    state: str
    category_code: str
    priority: int
    source: str
    description: str
    lon: float | None
    lat: float | None
    grid_id: str | None
    district_id: str | None
    unit_id: str | None
    triage: bool
    camera_id: str | None
    assigned_staff_id: str | None
    event_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    filed_at: datetime | None
    dispatched_at: datetime | None
    on_site_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    arrive_due_at: datetime | None
    resolve_due_at: datetime | None
    handling_due_at: datetime | None
    discover_s: float | None
    arrive_s: float | None
    resolve_s: float | None
    sla_status: str = Field("on_time", description="on_time, warning or breached.")
    merged_into_id: int | None = Field(None, description="Set when merged into another case.")
    version: int


class CaseEventPublic(BaseModel):
    """A timeline entry."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor_type: str
    actor_id: str
    source: str
    details: dict[str, Any]


class DispatchPublic(BaseModel):
    """An offer and how it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    staff_id: str
    status: str
    offered_at: datetime
    expires_at: datetime
    responded_at: datetime | None
    reason: str | None
    eta_s: float | None
    eta_method: str | None
    rank: int


class EvidencePublic(BaseModel):
    """An evidence file's record."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    path: str
    sha256: str
    media_type: str
    created_at: datetime


class CaseDetailPublic(CasePublic):
    """A case with its timeline, offers and evidence."""

    timeline: list[CaseEventPublic]
    dispatches: list[DispatchPublic]
    evidence: list[EvidencePublic]


class DeclineIn(BaseModel):
    """Why an offer is declined."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=500)


class ArriveIn(BaseModel):
    """An on-site check-in with the device's GPS fix."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float = Field(10.0, ge=0, le=5000)


class HandleIn(BaseModel):
    """Handling report."""

    model_config = ConfigDict(extra="forbid")
    notes: str = Field("", max_length=4000)


class PositionFix(BaseModel):
    """One GPS fix from a field device."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float = Field(10.0, ge=0, le=5000)
    at: AwareDatetime


class PositionsIn(BaseModel):
    """A batch of GPS fixes (the newest wins)."""

    model_config = ConfigDict(extra="forbid")
    fixes: list[PositionFix] = Field(min_length=1, max_length=500)


class CaseActionIn(BaseModel):
    """An operator action on a case."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=4000)
    expected_version: int | None = Field(None, description="Optimistic lock: fail if changed.")
    extra_minutes: float | None = Field(None, gt=0, le=60 * 24 * 30, description="For extend.")


class ManualDispatchIn(BaseModel):
    """Dispatch or reassign a case to a named worker."""

    model_config = ConfigDict(extra="forbid")
    staff_id: str = Field(min_length=1, max_length=64)


class StaffPublic(BaseModel):
    """A field worker."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    team_id: str | None
    status: str
    skills: list[str]
    area_ids: list[str]
    lon: float | None
    lat: float | None
    position_at: datetime | None
    load: int


class EventAccepted(BaseModel):
    """A scene event queued for intake."""

    event_id: str
    queued: bool = True


class HealthPublic(BaseModel):
    """Liveness/readiness."""

    status: Literal["ok", "degraded"]
    database: bool
    bus: str
    version: str
