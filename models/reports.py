"""Report caches derived from the append-only case timeline (never a source of truth).

``case_facts`` holds one narrow row per case: what the efficiency report needs of it, computed
from the case's timeline entries and its fixed attributes. ``dispatch.reports.store`` keeps it
current (same transaction as each timeline entry) and rebuilds it from scratch;
``case_facts_builds`` records each full rebuild and the definition version it used, so reports
only trust a table built by the current definition.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CaseFact(Base):
    """The report's view of one case (see ``dispatch.reports.store`` for each column's rule)."""

    __tablename__ = "case_facts"
    __table_args__ = (
        # The report scans one range of report times; the second column finds the cases whose
        # timeline moved after the report's as_of without touching the table.
        Index("ix_case_facts_reported_at_last_event_at", "reported_at", "last_event_at"),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    reported_at: Mapped[datetime]
    last_event_at: Mapped[datetime | None]
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(64))
    grid: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(64))
    camera: Mapped[str | None] = mapped_column(String(64))
    staff: Mapped[str | None] = mapped_column(String(64))
    final_state: Mapped[str] = mapped_column(String(16))
    filed_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    discover_s: Mapped[float | None]
    arrive_s: Mapped[float | None]
    resolve_s: Mapped[float | None]
    handling_s: Mapped[float | None]
    dispatch_actions: Mapped[int]
    reoffers: Mapped[int]
    returns: Mapped[int]
    reworks: Mapped[int]
    extensions: Mapped[int]
    self_handles: Mapped[int]
    merged_reports: Mapped[int]
    # PostgreSQL only (NULL on SQLite): the columns above in the fixed binary layout the report
    # reads in bulk (``dispatch.reports.store_sql.RECORD_LAYOUT``), written by the same statement.
    report_record: Mapped[bytes | None] = mapped_column(LargeBinary)


class CaseFactsBuild(Base):
    """One full rebuild of ``case_facts``: when, how many cases, which definition version."""

    __tablename__ = "case_facts_builds"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version: Mapped[int]
    built_at: Mapped[datetime]
    cases: Mapped[int]
