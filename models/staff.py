"""Field staff and their teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_check

STAFF_STATUS = ["available", "offered", "busy", "off_shift"]


class Team(Base):
    """A team of field staff belonging to a unit."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    supervisor_user: Mapped[str | None] = mapped_column(String(64))


class Staff(Base):
    """A field worker: status, skills (category codes), areas covered, last known position."""

    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(enum_check("status", STAFF_STATUS), name="status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="off_shift", index=True)
    skills: Mapped[list[str]] = mapped_column(default=list)
    area_ids: Mapped[list[str]] = mapped_column(default=list)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    position_at: Mapped[datetime | None]
    load: Mapped[int] = mapped_column(default=0)
    assigned_today: Mapped[int] = mapped_column(default=0)
