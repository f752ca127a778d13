"""Cases, their append-only timeline, dispatch attempts, evidence and received scene events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_check

# Mirrors dispatch.states.CaseState (models may not import dispatch); a test keeps them equal.
CASE_STATES = [
    "reported",
    "filed",
    "dispatched",
    "accepted",
    "en_route",
    "on_site",
    "handled",
    "verified",
    "closed",
    "voided",
    "rejected",
    "returned",
    "reworked",
    "parked",
    "self_handled",
]
SOURCES = ["camera", "sensor", "inspector", "citizen", "operator"]
OFFER_STATUS = ["offered", "accepted", "declined", "expired", "cancelled"]
ACTOR_TYPES = ["user", "system", "device"]
EVIDENCE_KINDS = ["snapshot", "clip", "photo"]


class Case(Base):
    """A violation being handled. One timestamp column per state; SLA due times are indexed."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(enum_check("state", CASE_STATES), name="state"),
        CheckConstraint(enum_check("source", SOURCES), name="source"),
        Index("ix_cases_state_category", "state", "category_code"),
        Index("ix_cases_open_dues", "state", "arrive_due_at", "resolve_due_at"),
        Index("ix_cases_lonlat", "lon", "lat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    priority: Mapped[int] = mapped_column(default=2)
    source: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(String(300))
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"), index=True)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"), index=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    triage: Mapped[bool] = mapped_column(default=False, index=True)
    camera_id: Mapped[str | None] = mapped_column(ForeignKey("cameras.id", ondelete="SET NULL"))
    assigned_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    event_count: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    # One timestamp per state (first time reached, except where the service says otherwise).
    reported_at: Mapped[datetime]
    filed_at: Mapped[datetime | None] = mapped_column(index=True)
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    en_route_at: Mapped[datetime | None]
    on_site_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    reworked_at: Mapped[datetime | None]
    parked_at: Mapped[datetime | None]
    self_handled_at: Mapped[datetime | None]
    # SLA: due times set at filing/dispatch; breaches marked once by the sweep.
    discover_due_at: Mapped[datetime | None]
    arrive_due_at: Mapped[datetime | None] = mapped_column(index=True)
    resolve_due_at: Mapped[datetime | None] = mapped_column(index=True)
    handling_due_at: Mapped[datetime | None] = mapped_column(index=True)
    discover_breached_at: Mapped[datetime | None]
    arrive_breached_at: Mapped[datetime | None]
    resolve_breached_at: Mapped[datetime | None]
    handling_breached_at: Mapped[datetime | None]
    sla_warned: Mapped[list[str]] = mapped_column(default=list)
    discover_s: Mapped[float | None]
    arrive_s: Mapped[float | None]
    resolve_s: Mapped[float | None]
    extension_count: Mapped[int] = mapped_column(default=0)
    escalation_count: Mapped[int] = mapped_column(default=0)
    rework_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy idiom)


class CaseEvent(Base):
    """Append-only timeline entry: who did what to a case, when, from where."""

    __tablename__ = "case_events"
    __table_args__ = (
        CheckConstraint(enum_check("actor_type", ACTOR_TYPES), name="actor_type"),
        Index("ix_case_events_case_seq", "case_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_type: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Dispatch(Base):
    """One offer of a case to a field worker, and how it ended."""

    __tablename__ = "dispatches"
    __table_args__ = (
        CheckConstraint(enum_check("status", OFFER_STATUS), name="status"),
        Index("ix_dispatches_staff_status", "staff_id", "status"),
        Index("ix_dispatches_open_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default="offered")
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    eta_s: Mapped[float | None]
    eta_method: Mapped[str | None] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(default=0)
    by_actor: Mapped[str] = mapped_column(String(64), default="system")


class Evidence(Base):
    """A stored evidence file with its hash for custody."""

    __tablename__ = "evidence"
    __table_args__ = (CheckConstraint(enum_check("kind", EVIDENCE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int | None]
    created_at: Mapped[datetime]
    uploaded_by: Mapped[str | None] = mapped_column(String(64))


class SceneEventRecord(Base):
    """Every scene event received, keyed by its id so a redelivery is recognised."""

    __tablename__ = "scene_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    camera_id: Mapped[str | None] = mapped_column(String(64), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    category_code: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16), default="new_case")
