"""Keep ``case_facts`` (``models.reports``) derived from the timeline: per case as entries are
appended, or rebuilt entirely.

Incremental upkeep
    ``dispatch.lifecycle.append_event`` calls ``note_timeline_entry``: the case is refreshed at
    the end of every flush of that session in which its timeline or one of its report
    attributes (``REPORT_ATTRIBUTES``, e.g. the handling due time the SLA service moves right
    after filing, dispatch or an extension) changed, so the row is current inside the same
    transaction and rolls back with it. A writer that changes those attributes in a session
    without appending a timeline entry calls ``refresh_case_facts`` itself.

Full rebuild
    ``rebuild_case_facts`` empties the table, derives every case's row from the timeline and
    records the build with ``FACTS_VERSION``. Reports read the table only when the latest build
    carries the current version (``facts_ready``); bump the version whenever the derivation
    changes so that reports fall back to the timeline until the table is rebuilt. On PostgreSQL
    the rebuild blocks timeline appends while it runs (``SHARE`` lock on ``case_events``).
    From a shell: ``python -m dispatch.reports.store [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, event, func, inspect, select, text
from sqlalchemy.orm import Session

from core.clock import Clock, SystemClock
from core.settings import Settings
from dispatch.reports.store_sql import rebuild_sql, upsert_sql
from models import Case, CaseFact, CaseFactsBuild
from models.engine import make_engine, make_session_factory

log = logging.getLogger(__name__)
_T = TypeVar("_T")
FACTS_VERSION = 1
REPORT_ATTRIBUTES: tuple[str, ...] = (
    "reported_at",
    "first_seen_at",
    "category_code",
    "source",
    "district_id",
    "grid_id",
    "unit_id",
    "camera_id",
    "handling_due_at",
)
_PENDING = "dispatch.reports.case_facts_pending"


def refresh_case_facts(session: Session, case_ids: Iterable[int]) -> None:
    """Recompute the facts of ``case_ids`` from their (flushed) timelines now."""
    ids = sorted(set(case_ids))
    if not ids:
        return
    conn = session.connection()
    stmt = text(upsert_sql(conn.dialect.name)).bindparams(bindparam("ids", expanding=True))
    conn.execute(stmt, {"ids": ids})


def note_timeline_entry(session: Session, case_id: int) -> None:
    """Refresh ``case_id``'s facts when the session next flushes (called per timeline entry)."""
    pending: set[int] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = set()
        event.listen(session, "before_flush", _note_changed_cases)
        event.listen(session, "after_flush_postexec", _refresh_pending)
    pending.add(case_id)


def _note_changed_cases(session: Session, _context: Any, _instances: Any) -> None:
    pending: set[int] = session.info[_PENDING]
    for obj in session.dirty:
        if isinstance(obj, Case) and obj.id is not None and _report_attribute_changed(obj):
            pending.add(obj.id)


def _report_attribute_changed(case: Case) -> bool:
    attrs = inspect(case).attrs
    return any(attrs[name].history.has_changes() for name in REPORT_ATTRIBUTES)


def _refresh_pending(session: Session, _context: Any) -> None:
    pending: set[int] = session.info[_PENDING]
    if pending:
        ids = list(pending)
        pending.clear()
        refresh_case_facts(session, ids)


def rebuild_case_facts(session: Session, *, clock: Clock | None = None) -> int:
    """Derive every case's facts from the timeline again; returns the number of cases."""
    session.flush()
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("LOCK TABLE case_events IN SHARE MODE"))
        # one grouping over the whole timeline: keep it in memory, skip JIT compilation
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text("TRUNCATE case_facts"))
    else:
        conn.execute(text("DELETE FROM case_facts"))
    cases = int(conn.execute(text(rebuild_sql(dialect))).rowcount or 0)
    session.add(
        CaseFactsBuild(version=FACTS_VERSION, built_at=(clock or SystemClock()).now(), cases=cases)
    )
    session.flush()
    if dialect == "postgresql":
        conn.execute(text("ANALYZE case_facts"))
    log.info("case_facts rebuilt: %d cases (version %d)", cases, FACTS_VERSION)
    return cases


def facts_ready(conn: Connection) -> bool:
    """Whether the latest full rebuild used the current derivation (``FACTS_VERSION``)."""
    latest = conn.execute(
        select(CaseFactsBuild.version).order_by(CaseFactsBuild.id.desc()).limit(1)
    ).scalar_one_or_none()
    if latest != FACTS_VERSION:
        return False
    # Guard against writers that bypassed the timeline hook (bulk imports, raw SQL): a case
    # without its facts row means the cache is incomplete, so reports read the timeline.
    cases = conn.execute(select(func.count()).select_from(Case)).scalar_one()
    facts = conn.execute(select(func.count()).select_from(CaseFact)).scalar_one()
    return bool(cases == facts)


def ensure_case_facts(session: Session, *, clock: Clock | None = None) -> int | None:
    """Rebuild ``case_facts`` unless it is already trusted (``facts_ready``); returns the number
    of cases rebuilt, or None when nothing had to be done. Run after every migration so reports
    use the cache without a manual step (instant on a new database)."""
    if facts_ready(session.connection()):
        return None
    return rebuild_case_facts(session, clock=clock)


def _committed(database_url: str | None, work: Callable[[Session], _T]) -> _T:
    """Run ``work`` in one session on the configured (or given) database and commit."""
    engine = make_engine(database_url or Settings().resolved_database_url())
    try:
        with make_session_factory(engine)() as session:
            result = work(session)
            session.commit()
    finally:
        engine.dispose()
    return result


def rebuild_cli(database_url: str | None = None) -> int:
    """Rebuild ``case_facts`` in the configured (or given) database and commit."""
    return _committed(database_url, rebuild_case_facts)


def ensure_cli(database_url: str | None = None) -> int | None:
    """``ensure_case_facts`` on the configured (or given) database, committed."""
    return _committed(database_url, ensure_case_facts)


def main(argv: list[str] | None = None) -> None:
    """``python -m dispatch.reports.store``: rebuild the report facts from the timeline."""
    parser = argparse.ArgumentParser(description="Rebuild case_facts from the case timeline.")
    parser.add_argument("--database-url", default=None, help="Default: the configured database.")
    args = parser.parse_args(argv)
    cases = rebuild_cli(args.database_url)
    print(f"case_facts rebuilt: {cases} cases")  # noqa: T201 (CLI output)


if __name__ == "__main__":
    main()
