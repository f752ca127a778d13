"""Cameras (with health and calibration) and the scene configured on each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_check

HEALTH = ["unknown", "online", "degraded", "offline"]


class Camera(Base):
    """A video source and where it stands."""

    __tablename__ = "cameras"
    __table_args__ = (CheckConstraint(enum_check("health", HEALTH), name="health"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(Text)
    sample_fps: Mapped[float] = mapped_column(default=2.0)
    enabled: Mapped[bool] = mapped_column(default=True)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    calibration: Mapped[dict[str, Any] | None]
    health: Mapped[str] = mapped_column(String(16), default="unknown")
    last_frame_at: Mapped[datetime | None]
    health_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Scene(Base):
    """The scene (zones, lines, rules) attached to a camera, as validated JSON."""

    __tablename__ = "scenes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]
