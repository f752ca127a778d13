"""Aggregation in the database: PostgreSQL (GROUPING SETS, percentile_cont) and SQLite (window
functions for the percentiles), both from one temporary facts table, same numbers as the pure path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.sql.elements import TextClause

from dispatch.reports.config import CLOCKS, Clock, Measure
from dispatch.reports.facts import OUTCOMES
from dispatch.reports.model import Breakdown, ClockAgg, Dimension, GroupAgg, HistogramBin
from dispatch.reports.periods import Granularity, period_bounds
from dispatch.reports.sql_facts import facts_sql, period_params
from models.base import UTCDateTime

_PERIODS = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH)
_HAS_TARGET: dict[Clock, bool] = {
    "discover": True,
    "arrive": True,
    "resolve": True,
    "handling": False,
}


def typed_text(sql: str, params: dict[str, Any]) -> TextClause:
    """``text(sql)`` with its datetime parameters bound as UTC timestamps (SQLite keeps text)."""
    clause = text(sql)
    stamps = [
        bindparam(k, type_=UTCDateTime()) for k, v in params.items() if isinstance(v, datetime)
    ]
    return clause.bindparams(*stamps) if stamps else clause


@contextmanager
def facts_table(
    conn: Connection,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime,
    tz: str,
    granularities: Sequence[Granularity],
) -> Iterator[str]:
    """Create a temporary facts table for the range; yields its name, drops it afterwards."""
    dialect = conn.dialect.name
    name = f"report_facts_{uuid.uuid4().hex[:10]}"
    params: dict[str, Any] = {"start": start, "end": end, "as_of": as_of}
    periods: dict[str, list[tuple[str, str]]] = {}
    for gran in granularities:
        bounds = period_bounds(start, end, gran, tz)
        params.update(period_params(gran.value, bounds))
        periods[gran.value] = [(f"{gran.value}_{i}", lbl) for i, (_, lbl) in enumerate(bounds)]
    sql = f"CREATE TEMPORARY TABLE {name} AS {facts_sql(dialect, periods)}"
    if dialect == "postgresql":
        # JIT-compiling these wide CASE expressions costs seconds and saves less than it costs;
        # the aggregates and percentile sorts should stay in memory.
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
    conn.execute(typed_text(sql, params), params)
    try:
        yield name
    finally:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _agg_columns(dialect: str) -> list[str]:
    cols = ["COUNT(*) AS cases"]
    cols += [f"SUM({m.value}) AS {m.value}" for m in Measure if m is not Measure.CASES]
    cols += [
        f"SUM(CASE WHEN outcome = {i} THEN 1 ELSE 0 END) AS o_{o}" for i, o in enumerate(OUTCOMES)
    ]
    for c in CLOCKS:
        cols += [f"COUNT({c}_s) AS {c}_n", f"AVG({c}_s) AS {c}_mean"]
        if _HAS_TARGET[c]:
            cols += [f"COUNT({c}_ok) AS {c}_wt", f"SUM({c}_ok) AS {c}_within"]
        if dialect == "postgresql":
            cols.append(f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {c}_s) AS {c}_q")
    return cols


Percentiles = dict[tuple[str | None, ...], tuple[float | None, float | None]]


def _group_agg(
    row: Any, dims: Sequence[Dimension], pct: Callable[[Clock], tuple[float | None, float | None]]
) -> GroupAgg:
    data = row._mapping
    counts = {m: int(data[m.value] or 0) for m in Measure}
    outcomes = {o: int(data[f"o_{o}"] or 0) for o in OUTCOMES}
    clocks: dict[Clock, ClockAgg] = {}
    for c in CLOCKS:
        p50, p90 = pct(c)
        with_target = int(data[f"{c}_wt"] or 0) if _HAS_TARGET[c] else 0
        within = int(data[f"{c}_within"] or 0) if _HAS_TARGET[c] else 0
        mean = None if data[f"{c}_mean"] is None else float(data[f"{c}_mean"])
        clocks[c] = ClockAgg.of(int(data[f"{c}_n"]), mean, p50, p90, with_target, within)
    keys = {d.value: data[d.value] for d in dims}
    return GroupAgg(keys=keys, counts=counts, outcomes=outcomes, clocks=clocks)


def _pg_pct(row: Any, clock: Clock) -> tuple[float | None, float | None]:
    values = row._mapping[f"{clock}_q"]
    if values is None or values[0] is None:
        return None, None
    return float(values[0]), float(values[1])


def aggregate_postgres(
    conn: Connection, table: str, breakdowns: Sequence[Breakdown]
) -> dict[Breakdown, list[GroupAgg]]:
    """Every breakdown (and the overall row, ``()``) in one GROUPING SETS query."""
    dims = sorted({d for b in breakdowns for d in b}, key=list(Dimension).index)
    sets = ", ".join("(" + ", ".join(d.value for d in b) + ")" for b in breakdowns)
    grouping = f"GROUPING({', '.join(d.value for d in dims)})" if dims else "0"
    select_dims = "".join(f"{d.value}, " for d in dims)
    group_by = f"GROUP BY GROUPING SETS ({sets})" if dims else ""
    sql = f"""SELECT {grouping} AS gid, {select_dims}{", ".join(_agg_columns("postgresql"))}
FROM {table} {group_by}"""
    masks = {_mask(b, dims): b for b in breakdowns}
    out: dict[Breakdown, list[GroupAgg]] = {b: [] for b in breakdowns}
    for row in conn.execute(text(sql)):
        b = masks[int(row.gid)]
        out[b].append(_group_agg(row, b, partial(_pg_pct, row)))
    return out


def _mask(breakdown: Breakdown, dims: Sequence[Dimension]) -> int:
    """GROUPING() bit mask of a grouping set: 1 bits for the dimensions not grouped by."""
    n = len(dims)
    return sum(1 << (n - 1 - i) for i, d in enumerate(dims) if d not in breakdown)


def _sqlite_percentiles(
    conn: Connection, table: str, breakdown: Breakdown, clock: Clock
) -> Percentiles:
    """p50/p90 per group with ROW_NUMBER/COUNT windows and linear interpolation."""
    keys = ", ".join(d.value for d in breakdown)
    part = f"PARTITION BY {keys} " if breakdown else ""
    select_keys = f"{keys}, " if breakdown else ""
    sql = f"""
SELECT {select_keys}q.p AS p,
  SUM(r.v * CASE WHEN r.rn = CAST(q.p * (r.n - 1) AS INTEGER)
                 THEN 1 - (q.p * (r.n - 1) - CAST(q.p * (r.n - 1) AS INTEGER))
                 ELSE q.p * (r.n - 1) - CAST(q.p * (r.n - 1) AS INTEGER) END) AS value
FROM (SELECT {select_keys}{clock}_s AS v,
        ROW_NUMBER() OVER ({part}ORDER BY {clock}_s) - 1 AS rn,
        COUNT(*) OVER ({part.strip()}) AS n
      FROM {table} WHERE {clock}_s IS NOT NULL) r
CROSS JOIN (SELECT 0.5 AS p UNION ALL SELECT 0.9) q
WHERE r.rn IN (CAST(q.p * (r.n - 1) AS INTEGER), CAST(q.p * (r.n - 1) AS INTEGER) + 1)
GROUP BY {select_keys}q.p"""
    found: dict[tuple[str | None, ...], dict[float, float]] = {}
    for row in conn.execute(text(sql)):
        data = row._mapping
        key = tuple(data[d.value] for d in breakdown)
        found.setdefault(key, {})[float(data["p"])] = float(data["value"])
    return {k: (v.get(0.5), v.get(0.9)) for k, v in found.items()}


def _lookup(
    pct: dict[Clock, Percentiles], key: tuple[str | None, ...], clock: Clock
) -> tuple[float | None, float | None]:
    return pct[clock].get(key, (None, None))


def aggregate_sqlite(
    conn: Connection, table: str, breakdowns: Sequence[Breakdown]
) -> dict[Breakdown, list[GroupAgg]]:
    """One GROUP BY per breakdown, percentiles from window functions."""
    out: dict[Breakdown, list[GroupAgg]] = {}
    for b in breakdowns:
        keys = ", ".join(d.value for d in b)
        select_keys = f"{keys}, " if b else ""
        group_by = f"GROUP BY {keys}" if b else ""
        sql = f"SELECT {select_keys}{', '.join(_agg_columns('sqlite'))} FROM {table} {group_by}"
        pct = {c: _sqlite_percentiles(conn, table, b, c) for c in CLOCKS}
        rows = []
        for row in conn.execute(text(sql)):
            key = tuple(row._mapping[d.value] for d in b)
            rows.append(_group_agg(row, b, partial(_lookup, pct, key)))
        out[b] = rows
    return out


def histograms_sql(
    conn: Connection, table: str, edges_s: Sequence[float]
) -> dict[str, list[HistogramBin]]:
    """Per clock, cases per bin ``(edge[i-1], edge[i]]``, the last bin unbounded."""
    out: dict[str, list[HistogramBin]] = {}
    uppers: list[float | None] = [*edges_s, None]
    for clock in CLOCKS:
        whens = " ".join(f"WHEN {clock}_s <= {float(e)!r} THEN {i}" for i, e in enumerate(edges_s))
        sql = f"""SELECT CASE {whens} ELSE {len(edges_s)} END AS b, COUNT(*) AS n
FROM {table} WHERE {clock}_s IS NOT NULL GROUP BY 1"""
        counts = {int(r.b): int(r.n) for r in conn.execute(text(sql))}
        out[clock] = [HistogramBin(upper_s=u, count=counts.get(i, 0)) for i, u in enumerate(uppers)]
    return out
