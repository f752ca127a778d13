"""Read the report's cohort out of ``case_facts`` as numpy columns (one entry per case).

What is read: the group keys (category, source, final state and the breakdowns' dimensions),
the period of the report time, a packed integer of flags and counts (``PACK_A``/``PACK_B``) and
the four clocks. Rows whose timeline moved after ``as_of`` are replaced by their facts as of
``as_of``, recomputed from the timeline (``store_sql.stale_facts_sql``), so the columns always
describe the timeline at ``as_of``.

PostgreSQL ships the rows' stored binary records (``dispatch.reports.records``); SQLite returns
rows (it runs in-process). Both read the stale cases as rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from dispatch.reports.config import CLOCKS, Clock
from dispatch.reports.sql import typed_text
from dispatch.reports.store_sql import pack_a, pack_b, stale_facts_sql

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ALWAYS_READ = ("category", "source", "final_state")
_IN_RANGE = "f.reported_at >= {start} AND f.reported_at < {end}"
_CURRENT = "(f.last_event_at IS NULL OR f.last_event_at <= {as_of})"


class UnreadableFacts(RuntimeError):
    """The stored records cannot be read exactly (the caller falls back to the timeline)."""


@dataclass
class KeyColumn:
    """A text column as integer codes into ``labels``."""

    codes: IntArray
    labels: list[str | None]


@dataclass
class FactColumns:
    """One entry per case of the cohort, in no particular order."""

    keys: dict[str, KeyColumn]
    bits: IntArray
    dispatches: IntArray
    returns: IntArray
    merged: IntArray
    clocks: dict[Clock, FloatArray]

    def __len__(self) -> int:
        return int(self.bits.shape[0])


def _unpack(a: IntArray, b: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(bits, dispatches, returns, merged) from the two packed columns."""
    return a & 255, a >> 8, b >> 32, b & 0xFFFFFFFF


def fetch_columns(
    conn: Connection,
    *,
    window: tuple[datetime, datetime, datetime],
    dims: Sequence[str],
    periods: dict[str, list[tuple[datetime, str]]],
) -> FactColumns:
    """The cohort ``[start, end)`` as of ``as_of``: keys ``ALWAYS_READ`` + ``dims`` + periods."""
    names = list(dict.fromkeys([*ALWAYS_READ, *dims]))
    if conn.dialect.name == "postgresql":
        from dispatch.reports.records import postgres_columns

        main, stale_ids = postgres_columns(conn, window, names, periods)
        if not stale_ids:
            return main
        stale_from = f"({stale_facts_sql('postgresql', listed=True)}) f"
        extra: dict[str, Any] = {"ids": stale_ids}
    else:
        main = _row_columns(conn, _rows_sql("sqlite", names, "case_facts f", current=True),
                            window, names, periods)  # fmt: skip
        stale_from, extra = f"({stale_facts_sql('sqlite')}) f", {}
    stale_sql = _rows_sql(conn.dialect.name, names, stale_from, current=False)
    return concat(main, _row_columns(conn, stale_sql, window, names, periods, extra))


def _rows_sql(dialect: str, names: Sequence[str], source: str, *, current: bool) -> str:
    if dialect == "postgresql":
        micros = "CAST(EXTRACT(EPOCH FROM f.reported_at) * 1000000 AS bigint)"
    else:
        micros = "(unixepoch(f.reported_at) * 1000000 + CAST(substr(f.reported_at, 21) AS INTEGER))"
    where = _IN_RANGE + (" AND " + _CURRENT if current else "")
    cols = [f"f.{n}" for n in names] + [micros, pack_a("f", ":as_of"), pack_b("f")]
    cols += [f"f.{c}_s" for c in CLOCKS]
    return f"SELECT {', '.join(cols)} FROM {source} WHERE " + where.format(
        start=":start", end=":end", as_of=":as_of"
    )


def _row_columns(
    conn: Connection,
    sql: str,
    window: tuple[datetime, datetime, datetime],
    names: Sequence[str],
    periods: dict[str, list[tuple[datetime, str]]],
    extra: dict[str, Any] | None = None,
) -> FactColumns:
    start, end, as_of = window
    params = {"start": start, "end": end, "as_of": as_of, **(extra or {})}
    result = conn.execute(typed_text(sql, params), params)
    rows = result.cursor.fetchall() if result.cursor is not None else []  # plain tuples: fast
    k = len(names)
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * (k + 7)
    keys = {name: factorize(cols[i]) for i, name in enumerate(names)}
    micros = np.array(cols[k], dtype=np.int64)
    for name, bounds in periods.items():
        keys[name] = period_key(micros, bounds)
    a, b = (np.array(cols[k + i], dtype=np.int64) for i in (1, 2))
    clocks = {c: np.array(cols[k + 3 + i], dtype=np.float64) for i, c in enumerate(CLOCKS)}
    return assemble(keys, a, b, clocks)


def assemble(
    keys: dict[str, KeyColumn], a: IntArray, b: IntArray, clocks: dict[Clock, FloatArray]
) -> FactColumns:
    bits, dispatches, returns, merged = _unpack(a, b)
    return FactColumns(keys, bits, dispatches, returns, merged, clocks)


def factorize(values: Iterable[str | None]) -> KeyColumn:
    """Codes in order of first appearance."""
    items = list(values)
    labels = list(dict.fromkeys(items))
    index = {v: i for i, v in enumerate(labels)}
    codes = np.fromiter(map(index.__getitem__, items), dtype=np.int64, count=len(items))
    return KeyColumn(codes, labels)


_SLOT_BITS = 20
_MIX = np.int64(-7046029254386353131)  # 0x9E3779B97F4A7C15: spreads every bit over the word


def dense_codes(values: IntArray) -> tuple[IntArray, IntArray]:
    """``numpy.unique(values, return_inverse=True)`` without sorting a million values: the
    distinct values of a sample get slots in a lookup table (by a window of their mixed bits);
    values the sample missed are added by a sorted search. The codes are checked exactly."""
    sample = np.unique(values[::64])
    mixed = values * _MIX  # wraps around: a bijection of int64
    mask = (1 << _SLOT_BITS) - 1
    for shift in (43, 22, 1):
        slots = ((sample * _MIX) >> shift) & mask
        if len(np.unique(slots)) < len(sample):
            continue  # two sampled values share the window: try another
        table = np.full(1 << _SLOT_BITS, -1, dtype=np.int64)
        table[slots] = np.arange(len(sample))
        codes = table[(mixed >> shift) & mask]
        hit = (codes >= 0) & (sample[np.maximum(codes, 0)] == values)
        if hit.all():
            return sample, codes
        uniq = np.union1d(sample, values[~hit])
        return uniq, np.searchsorted(uniq, values).astype(np.int64)
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.astype(np.int64)


def period_key(micros: IntArray, bounds: list[tuple[datetime, str]]) -> KeyColumn:
    """The period of each report time: the last one starting at or before it."""
    starts = np.array([micros_of(at) for at, _ in bounds], dtype=np.int64)
    index = np.searchsorted(starts, micros, side="right") - 1
    return KeyColumn(np.clip(index, 0, None).astype(np.int64), [label for _, label in bounds])


def micros_of(at: datetime) -> int:
    delta = at - datetime(1970, 1, 1, tzinfo=at.tzinfo)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


_INT_FIELDS = ("bits", "dispatches", "returns", "merged")


def concat(a: FactColumns, b: FactColumns) -> FactColumns:
    """Both cohorts' entries, keys recoded into one set of labels."""
    if len(b) == 0:
        return a
    keys: dict[str, KeyColumn] = {}
    for name, left in a.keys.items():
        right = b.keys[name]
        labels = list(left.labels)
        index = {v: i for i, v in enumerate(labels)}
        remap = np.array([index.setdefault(v, len(index)) for v in right.labels], dtype=np.int64)
        labels += list(index)[len(labels) :]
        codes = np.concatenate([left.codes, remap[right.codes]]) if len(right.codes) else left.codes
        keys[name] = KeyColumn(codes, labels)

    clocks = {c: np.concatenate([a.clocks[c], b.clocks[c]]) for c in CLOCKS}
    bits, dispatches, returns, merged = (
        np.concatenate([getattr(a, f), getattr(b, f)]) for f in _INT_FIELDS
    )
    return FactColumns(keys, bits, dispatches, returns, merged, clocks)
