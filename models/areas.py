"""Areas (districts, streets, communities, unit grid cells), responsible units and the
responsibility table (category x area -> unit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_check

AREA_KINDS = [
    "district",
    "street",
    "community",
    "grid",
    "responsibility",
    "restricted",
    "permitted",
]


class Area(Base):
    """A polygon area in WGS84 (EPSG:4326). ``geom_wkt`` is the source of truth; PostgreSQL adds
    a generated PostGIS column ``geom`` with a GiST index (see the migration)."""

    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint(enum_check("kind", AREA_KINDS), name="kind"),
        Index("ix_areas_kind_code", "kind", "code", unique=True),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    geom_wkt: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime]


class Unit(Base):
    """A responsible unit (department, company, street office) that handles cases."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    supervisor_contact: Mapped[str | None] = mapped_column(String(200))


class Responsibility(Base):
    """Who handles a category in an area; a NULL category means every category."""

    __tablename__ = "responsibilities"
    __table_args__ = (Index("ix_resp_area_category", "area_id", "category_code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(default=0)
