"""Build a report from the database: from the facts table, in SQL over the timeline, or in
Python from the loaded timelines.

Cohort: the cases whose report (``cases.reported_at``, the time of their ``report`` entry) falls
in ``[start, end)``. Outcomes are judged from the timeline entries at or before ``as_of``
(default ``end``), so the same inputs always give the same numbers.

Engines: ``"facts"`` reads ``case_facts`` (``dispatch.reports.store``) and aggregates with numpy
(``vector``); cases whose timeline moved after ``as_of`` are recomputed from the timeline as of
``as_of``, so every ``as_of`` gives the timeline's numbers. ``"timeline"`` derives the facts in
SQL from the timeline (PostgreSQL: GROUPING SETS and percentile_cont; SQLite: window functions).
``"sql"`` (default) is ``"facts"`` when the table has been built by the current definition
(``store.facts_ready``), else ``"timeline"``. ``"python"`` is the pure reference.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.reports.aggregate import aggregate, histograms
from dispatch.reports.columns import UnreadableFacts, fetch_columns
from dispatch.reports.config import ReportConfig, default_config
from dispatch.reports.facts import CaseInfo, ClockTargets, TimelineEvent
from dispatch.reports.model import (
    DEFAULT_BREAKDOWNS,
    GRID_PREFIXES,
    Breakdown,
    Dimension,
    GroupAgg,
    HistogramBin,
    Report,
)
from dispatch.reports.periods import Granularity, period_bounds
from dispatch.reports.pure import assemble, check_window, facts_in_range, unique_breakdowns
from dispatch.reports.sql import aggregate_postgres, aggregate_sqlite, facts_table, histograms_sql
from dispatch.reports.store import facts_ready
from dispatch.reports.vector import aggregate_columns, histogram_columns
from models import Area, Case, CaseEvent, Category, Staff

Engine = Literal["sql", "facts", "timeline", "python"]
log = logging.getLogger(__name__)


class FactsNotBuilt(RuntimeError):
    """``engine="facts"`` was asked for before ``rebuild_case_facts`` ran."""


Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def _targets(category: Category) -> ClockTargets | None:
    if category.clock != "continuous":
        return None
    return ClockTargets(
        discover_s=category.discover_target_s or None,
        arrive_s=category.arrive_target_s or None,
        resolve_s=category.resolve_target_s or None,
    )


def load_timelines(
    session: Session, *, start: datetime, end: datetime
) -> tuple[list[tuple[CaseInfo, list[TimelineEvent]]], dict[str, str | None]]:
    """The cases reported in ``[start, end)`` with their timelines, and the staff -> team map."""
    categories = {c.code: c for c in session.scalars(select(Category))}
    in_range = (Case.reported_at >= start, Case.reported_at < end)
    cases = session.scalars(select(Case).where(*in_range).order_by(Case.id)).all()
    events: dict[int, list[TimelineEvent]] = defaultdict(list)
    rows = session.scalars(
        select(CaseEvent).join(Case, Case.id == CaseEvent.case_id).where(*in_range)
    )
    for e in rows:
        events[e.case_id].append(
            TimelineEvent(e.seq, e.at, e.action, e.from_state, e.to_state, e.actor_id)
        )
    teams = {s.id: s.team_id for s in session.scalars(select(Staff))}
    return [(_info(c, categories[c.category_code]), events[c.id]) for c in cases], teams


def _info(case: Case, category: Category) -> CaseInfo:
    return CaseInfo(
        case_id=case.id,
        category=case.category_code,
        source=case.source,
        reported_at=case.reported_at,
        first_seen_at=case.first_seen_at,
        handling_due_at=case.handling_due_at,
        district=case.district_id,
        grid=case.grid_id,
        unit=case.unit_id,
        camera=case.camera_id,
        targets=_targets(category),
    )


def grid_codes(session: Session) -> dict[str, str]:
    """Grid area id -> grid code (the street and community breakdowns read the code)."""
    rows = session.execute(select(Area.id, Area.code).where(Area.kind == "grid"))
    return {area_id: code for area_id, code in rows}


def _granularities(breakdowns: Sequence[Breakdown]) -> list[Granularity]:
    used = {d for b in breakdowns for d in b}
    periods = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH)
    return [Granularity(d.value) for d in periods if d in used]


Window = tuple[datetime, datetime, datetime]
Aggs = tuple[dict[Breakdown, list[GroupAgg]], dict[str, list[HistogramBin]], str]


def _timeline_aggs(
    session: Session, breakdowns: list[Breakdown], window: Window, config: ReportConfig,
    progress: Progress,
) -> Aggs:  # fmt: skip
    start, end, as_of = window
    conn = session.connection()
    dialect = conn.dialect.name
    grans = _granularities(breakdowns)
    progress("facts")
    with facts_table(
        conn, start=start, end=end, as_of=as_of, tz=config.timezone, granularities=grans
    ) as table:
        progress("breakdowns")
        if dialect == "postgresql":
            aggs = aggregate_postgres(conn, table, breakdowns)
        else:
            aggs = aggregate_sqlite(conn, table, breakdowns)
        progress("distributions")
        hist = histograms_sql(conn, table, config.histogram_edges_s)
    return aggs, hist, dialect


def _facts_aggs(
    session: Session, breakdowns: list[Breakdown], window: Window, config: ReportConfig,
    progress: Progress,
) -> Aggs:  # fmt: skip
    start, end, _ = window
    session.flush()  # pending timeline entries refresh their cases' facts
    conn = session.connection()
    if not facts_ready(conn):
        raise FactsNotBuilt("case_facts has not been built: run dispatch.reports.store rebuild")
    progress("facts")
    periods = {
        g.value: period_bounds(start, end, g, config.timezone) for g in _granularities(breakdowns)
    }
    dims = [d.value for b in breakdowns for d in b if d.value not in periods]
    read_as = {Dimension.TEAM.value: "staff", **{d.value: "grid" for d in GRID_PREFIXES}}
    wanted = [read_as.get(d, d) for d in dims]
    cols = fetch_columns(conn, window=window, dims=wanted, periods=periods)
    categories = {c.code: _targets(c) for c in session.scalars(select(Category))}
    teams: dict[str, str | None] = {}
    if Dimension.TEAM.value in dims:
        teams = {sid: team for sid, team in session.execute(select(Staff.id, Staff.team_id))}
    progress("breakdowns")
    aggs = aggregate_columns(
        cols, breakdowns, targets=categories, teams=teams, grid_codes=grid_codes(session)
    )
    progress("distributions")
    return aggs, histogram_columns(cols, config.histogram_edges_s), f"{conn.dialect.name}+facts"


def _sql_aggs(
    session: Session, breakdowns: list[Breakdown], window: Window, config: ReportConfig,
    progress: Progress,
) -> Aggs:  # fmt: skip
    if facts_ready(session.connection()):
        try:
            return _facts_aggs(session, breakdowns, window, config, progress)
        except UnreadableFacts:
            log.warning("case_facts keys are ambiguous for this range; reading the timeline")
    return _timeline_aggs(session, breakdowns, window, config, progress)


def _python_aggs(
    session: Session, breakdowns: list[Breakdown], window: Window, config: ReportConfig,
    progress: Progress,
) -> Aggs:  # fmt: skip
    start, end, as_of = window
    progress("facts")
    cases, teams = load_timelines(session, start=start, end=end)
    facts = facts_in_range(cases, start, end, as_of)
    progress("breakdowns")
    codes = grid_codes(session)
    aggs = {
        b: aggregate(facts, b, tz=config.timezone, teams=teams, grid_codes=codes)
        for b in breakdowns
    }
    progress("distributions")
    return aggs, histograms(facts, config.histogram_edges_s), "python"


_ENGINES = {
    "sql": _sql_aggs,
    "facts": _facts_aggs,
    "timeline": _timeline_aggs,
    "python": _python_aggs,
}


def build_report(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    breakdowns: Sequence[Breakdown] = DEFAULT_BREAKDOWNS,
    config: ReportConfig | None = None,
    engine: Engine = "sql",
    progress: Progress = _noop,
) -> Report:
    """The report of cases reported in ``[start, end)``, judged as of ``as_of`` (default end).

    ``engine``: ``"sql"`` (facts table when built, else the timeline in SQL), ``"facts"``,
    ``"timeline"`` or ``"python"`` (module docstring). ``progress`` is called with each step's
    name (facts, breakdowns, ...).
    """
    cfg = config or default_config()
    window = check_window(start, end, as_of)
    run = _ENGINES[engine]
    aggs, hist, used = run(session, unique_breakdowns(breakdowns), window, cfg, progress)
    progress("indicators")
    return assemble(window, aggs, hist, cfg, used)
