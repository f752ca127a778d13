"""Pure aggregation of per-case facts into groups (the reference for the SQL paths)."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from dispatch.metrics import summarize
from dispatch.reports.config import CLOCKS, Clock, Measure
from dispatch.reports.facts import OUTCOMES, CaseFacts
from dispatch.reports.model import (
    GRID_PREFIXES,
    Breakdown,
    ClockAgg,
    Dimension,
    GroupAgg,
    HistogramBin,
    grid_prefix,
)
from dispatch.reports.periods import Granularity, period_label

_PERIODS = {Dimension.DAY, Dimension.WEEK, Dimension.MONTH}


def dimension_value(
    facts: CaseFacts,
    dim: Dimension,
    tz: str,
    teams: Mapping[str, str | None],
    grid_codes: Mapping[str, str] | None = None,
) -> str | None:
    """The value of one dimension for a case (``grid_codes``: grid area id -> its code)."""
    info = facts.info
    if dim in _PERIODS:
        return period_label(info.reported_at, Granularity(dim.value), tz)
    if dim is Dimension.STAFF:
        return facts.staff
    if dim is Dimension.TEAM:
        return None if facts.staff is None else teams.get(facts.staff)
    if dim in GRID_PREFIXES:
        code = None if info.grid is None else (grid_codes or {}).get(info.grid)
        return grid_prefix(code, GRID_PREFIXES[dim])
    value: str | None = getattr(info, dim.value)
    return value


def _clock_value(facts: CaseFacts, clock: Clock) -> tuple[float | None, bool | None]:
    value: float | None = getattr(facts, f"{clock}_s")
    ok: bool | None = getattr(facts, f"{clock}_ok", None)
    return value, ok


def clock_agg(values: Sequence[float | None], oks: Sequence[bool | None]) -> ClockAgg:
    """Summary of one clock: ``dispatch.metrics.summarize`` plus targets met."""
    summary = summarize(values)
    flags = [ok for ok in oks if ok is not None]
    return ClockAgg.of(
        summary.n, summary.mean_s, summary.p50_s, summary.p90_s, len(flags), sum(flags)
    )


def group_agg(keys: dict[str, str | None], members: Sequence[CaseFacts]) -> GroupAgg:
    """Raw aggregates of one group of cases."""
    counts: Counter[Measure] = Counter()
    outcomes: Counter[str] = Counter()
    for facts in members:
        counts.update(facts.counts)
        outcomes[facts.outcome] += 1
    clocks: dict[Clock, ClockAgg] = {}
    for clock in CLOCKS:
        pairs = [_clock_value(f, clock) for f in members]
        clocks[clock] = clock_agg([v for v, _ in pairs], [ok for _, ok in pairs])
    return GroupAgg(
        keys=keys,
        counts={m: counts[m] for m in Measure},
        outcomes={o: outcomes[o] for o in OUTCOMES},
        clocks=clocks,
    )


def _sort_key(keys: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((k is None, k or "") for k in keys)


def aggregate(
    facts: Iterable[CaseFacts],
    breakdown: Breakdown,
    *,
    tz: str,
    teams: Mapping[str, str | None] | None = None,
    grid_codes: Mapping[str, str] | None = None,
) -> list[GroupAgg]:
    """One ``GroupAgg`` per distinct key of ``breakdown`` (empty breakdown = overall)."""
    team_of = teams or {}
    groups: dict[tuple[str | None, ...], list[CaseFacts]] = defaultdict(list)
    for item in facts:
        key = tuple(dimension_value(item, d, tz, team_of, grid_codes) for d in breakdown)
        groups[key].append(item)
    if not breakdown and not groups:
        groups[()] = []
    names = [d.value for d in breakdown]
    return [
        group_agg(dict(zip(names, key, strict=True)), groups[key])
        for key in sorted(groups, key=_sort_key)
    ]


def histograms(
    facts: Sequence[CaseFacts], edges_s: Sequence[float]
) -> dict[str, list[HistogramBin]]:
    """Per clock, cases per bin ``(edge[i-1], edge[i]]``; the last bin has no upper bound."""
    out: dict[str, list[HistogramBin]] = {}
    for clock in CLOCKS:
        bins = [0] * (len(edges_s) + 1)
        for item in facts:
            value, _ = _clock_value(item, clock)
            if value is not None:
                bins[bisect_left(edges_s, value)] += 1
        uppers: list[float | None] = [*edges_s, None]
        out[clock] = [HistogramBin(upper_s=u, count=c) for u, c in zip(uppers, bins, strict=True)]
    return out
