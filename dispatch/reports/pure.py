"""A whole report from in-memory timelines (no database): the reference implementation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from core.clock import ensure_utc
from dispatch.reports.aggregate import aggregate, histograms
from dispatch.reports.config import ReportConfig, default_config
from dispatch.reports.facts import CaseFacts, CaseInfo, TimelineEvent, case_facts
from dispatch.reports.model import (
    DEFAULT_BREAKDOWNS,
    Breakdown,
    GroupAgg,
    HistogramBin,
    Report,
    breakdown_name,
    finalize,
)


def check_window(
    start: datetime, end: datetime, as_of: datetime | None
) -> tuple[datetime, datetime, datetime]:
    """``(start, end, as_of)`` in UTC; ValueError for an empty range or as_of before end."""
    lo, hi = ensure_utc(start), ensure_utc(end)
    at = ensure_utc(as_of) if as_of is not None else hi
    if hi <= lo:
        raise ValueError("the report range is empty: end must be after start")
    if at < hi:
        raise ValueError("as_of must not be before the end of the range")
    return lo, hi, at


def unique_breakdowns(breakdowns: Sequence[Breakdown]) -> list[Breakdown]:
    """The overall row ``()`` first, then each distinct set of dimensions once."""
    seen: set[frozenset[object]] = set()
    out: list[Breakdown] = []
    for b in [(), *breakdowns]:
        if frozenset(b) not in seen:
            seen.add(frozenset(b))
            out.append(b)
    return out


def assemble(
    window: tuple[datetime, datetime, datetime],
    aggs: Mapping[Breakdown, list[GroupAgg]],
    hist: dict[str, list[HistogramBin]],
    config: ReportConfig,
    engine: str,
) -> Report:
    """The public report from raw aggregates (rows sorted by key, missing values last)."""
    start, end, as_of = window

    def ordered(rows: list[GroupAgg], b: Breakdown) -> list[GroupAgg]:
        return sorted(
            rows, key=lambda r: tuple((r.keys[d.value] is None, r.keys[d.value] or "") for d in b)
        )

    overall = aggs[()][0] if aggs.get(()) else aggregate([], (), tz=config.timezone)[0]
    return Report(
        start=start,
        end=end,
        as_of=as_of,
        timezone=config.timezone,
        engine=engine,
        overall=finalize(overall, config),
        breakdowns={
            breakdown_name(b): [finalize(g, config) for g in ordered(rows, b)]
            for b, rows in aggs.items()
            if b
        },
        histograms=hist,
        config=config,
    )


def facts_in_range(
    cases: Iterable[tuple[CaseInfo, Sequence[TimelineEvent]]],
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> list[CaseFacts]:
    """Facts of the cases reported in ``[start, end)``."""
    return [case_facts(i, ev, as_of) for i, ev in cases if start <= i.reported_at < end]


def report_from_timelines(
    cases: Iterable[tuple[CaseInfo, Sequence[TimelineEvent]]],
    *,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    teams: Mapping[str, str | None] | None = None,
    breakdowns: Sequence[Breakdown] = DEFAULT_BREAKDOWNS,
    config: ReportConfig | None = None,
    grid_codes: Mapping[str, str] | None = None,
) -> Report:
    """The report of the given cases' timelines, computed in Python (``grid_codes``: grid area
    id -> grid code, for the street and community breakdowns)."""
    cfg = config or default_config()
    window = check_window(start, end, as_of)
    facts = facts_in_range(cases, *window)
    aggs = {
        b: aggregate(facts, b, tz=cfg.timezone, teams=teams, grid_codes=grid_codes)
        for b in unique_breakdowns(breakdowns)
    }
    return assemble(window, aggs, histograms(facts, cfg.histogram_edges_s), cfg, "python")
