"""Violation categories (matters) with their SLA targets: data a city edits, not code."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_check

CLOCKS = ["continuous", "working"]
DEADLINE_UNITS = ["minute", "hour", "working_hour", "working_day"]


class Category(Base):
    """One violation category: national/local codes, names, SLA targets and dedup settings."""

    __tablename__ = "categories"
    __table_args__ = (
        CheckConstraint(enum_check("clock", CLOCKS), name="clock"),
        CheckConstraint(enum_check("deadline_unit", DEADLINE_UNITS), name="deadline_unit"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    national_code: Mapped[str | None] = mapped_column(String(16))
    local_code: Mapped[str | None] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    class_zh: Mapped[str | None] = mapped_column(String(50))
    clock: Mapped[str] = mapped_column(String(16), default="continuous")
    discover_target_s: Mapped[int | None]
    arrive_target_s: Mapped[int | None]
    resolve_target_s: Mapped[int | None]
    handling_deadline: Mapped[float | None]
    deadline_unit: Mapped[str] = mapped_column(String(16), default="minute")
    default_priority: Mapped[int] = mapped_column(default=2)
    dedup_radius_m: Mapped[float] = mapped_column(default=50.0)
    dedup_window_s: Mapped[int] = mapped_column(default=1800)
    department: Mapped[str | None] = mapped_column(String(100))
    open311: Mapped[bool] = mapped_column(default=False)
