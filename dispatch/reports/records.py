"""PostgreSQL: read the cohort's stored binary records (``case_facts.report_record``) in bulk.

``string_agg`` concatenates the records of one week of report times into one value (PostgreSQL
caps a value at 1 GB: a week holds up to ~8M cases), so a million cases arrive as a few large
values instead of a million result rows, and ``numpy.frombuffer`` decodes them (all fields are 8
bytes: one byte swap, one transpose). The same statement lists the cases whose row is newer
than ``as_of``; the caller recomputes those from the timeline.

Weeks are read on ``PARALLEL_READS`` pooled connections at once when the session's transaction
has written nothing and is READ COMMITTED (other connections then see what it sees; each week is
one statement, so each case is read from one consistent snapshot, as in a sequential read);
otherwise on the session's own connection.

Text keys travel as 64-bit hashes (``hashtextextended``) and are named from the reference tables
(categories, areas, units, cameras, staff, the source and state enums) or, for a value found
nowhere else, from the facts themselves; two values with one hash raise ``AmbiguousKeys``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, text

from dispatch.reports.columns import (
    FactColumns,
    IntArray,
    KeyColumn,
    UnreadableFacts,
    assemble,
    dense_codes,
    micros_of,
    period_key,
)
from dispatch.reports.config import CLOCKS
from dispatch.reports.store_sql import BIT_DUE_PASSED, RECORD_BYTES, RECORD_KEYS
from dispatch.states import CaseState
from models.cases import SOURCES

CHUNK = timedelta(days=7)
PARALLEL_READS = 2
_WORDS = RECORD_BYTES // 8
_REPORTED, _DUE, _PACK_A, _PACK_B = (len(RECORD_KEYS) + i for i in range(4))
_CLOCKS = len(RECORD_KEYS) + 4
Window = tuple[datetime, datetime, datetime]
Chunk = tuple[datetime, datetime]


class AmbiguousKeys(UnreadableFacts):
    """Two different key values share a 64-bit hash in this cohort."""


_RECORDS_SQL = """SELECT count(*) FILTER (WHERE f.current),
  string_agg(f.report_record, ''::bytea) FILTER (WHERE f.current),
  array_agg(f.case_id) FILTER (WHERE NOT f.current)
FROM (SELECT report_record, case_id,
        last_event_at IS NULL OR last_event_at <= %(as_of)s AS current
      FROM case_facts WHERE reported_at >= %(lo)s AND reported_at < %(hi)s) f"""


def _read_chunks(raw: Any, chunks: Sequence[Chunk], as_of: datetime) -> tuple[IntArray, list[int]]:
    """Words x cases (native int64) of the current rows, and the stale case ids."""
    parts: list[IntArray] = []
    stale: list[int] = []
    with raw.cursor(binary=True) as cur:
        cur.execute("SET LOCAL jit = off")
        for lo, hi in chunks:
            cur.execute(_RECORDS_SQL, {"lo": lo, "hi": hi, "as_of": as_of})
            count, buf, ids = cur.fetchone()
            if len(buf or b"") != count * RECORD_BYTES:
                raise UnreadableFacts("case_facts rows without report_record: rebuild the table")
            if count:
                words = np.frombuffer(buf, dtype=">i8").reshape(count, _WORDS)
                parts.append(words.T.astype(np.int64, order="C"))
            stale += ids or []
    matrix = np.concatenate(parts, axis=1) if parts else np.zeros((_WORDS, 0), dtype=np.int64)
    return matrix, stale


def _read_pooled(engine: Engine, chunks: Sequence[Chunk], as_of: datetime) -> Any:
    with engine.connect() as conn:
        return _read_chunks(conn.connection.dbapi_connection, chunks, as_of)


def _shareable(conn: Connection) -> bool:
    """Other connections see what this transaction sees (it wrote nothing, READ COMMITTED)."""
    sql = """SELECT pg_current_xact_id_if_assigned() IS NULL,
      current_setting('transaction_isolation') = 'read committed'"""
    written_nothing, read_committed = conn.execute(text(sql)).one()
    return bool(written_nothing and read_committed)


def read_records(conn: Connection, window: Window) -> tuple[IntArray, list[int]]:
    """Words x cases of the cohort's current rows, and the ids of the rows newer than as_of."""
    start, end, as_of = window
    chunks: list[Chunk] = []
    while start < end:
        chunks.append((start, min(start + CHUNK, end)))
        start = chunks[-1][1]
    workers = min(PARALLEL_READS, len(chunks))
    if workers <= 1 or not _shareable(conn):
        return _read_chunks(conn.connection.dbapi_connection, chunks, as_of)
    shares = [chunks[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda share: _read_pooled(conn.engine, share, as_of), shares))
    matrix = np.concatenate([m for m, _ in parts], axis=1)
    return matrix, [i for _, ids in parts for i in ids]


def postgres_columns(
    conn: Connection,
    window: Window,
    names: Sequence[str],
    periods: dict[str, list[tuple[datetime, str]]],
) -> tuple[FactColumns, list[int]]:
    """The cohort's current rows as columns, and the stale case ids."""
    words, stale = read_records(conn, window)
    hashes = {n: words[RECORD_KEYS.index(n)] for n in names}
    keys = name_hashes(conn, hashes, window)
    for name, bounds in periods.items():
        keys[name] = period_key(words[_REPORTED], bounds)
    passed = words[_DUE] < micros_of(window[2])
    a = words[_PACK_A] | passed.astype(np.int64) * BIT_DUE_PASSED
    clocks = {c: words[_CLOCKS + i].view(np.float64) for i, c in enumerate(CLOCKS)}
    return assemble(keys, a, words[_PACK_B], clocks), stale


_DOMAIN_SQL = """SELECT v, hashtextextended(v, 0) FROM (
  SELECT code AS v FROM categories UNION SELECT id FROM areas UNION SELECT id FROM units
  UNION SELECT id FROM cameras UNION SELECT id FROM staff
  UNION SELECT unnest(CAST(:extra AS text[]))) d"""


def name_hashes(
    conn: Connection, hashes: dict[str, IntArray], window: Window
) -> dict[str, KeyColumn]:
    """Key columns from hashed values (hash 0 = NULL)."""
    extra = [*SOURCES, *(s.value for s in CaseState)]
    known: dict[int, str | None] = {0: None}
    clashes: set[int] = set()
    for value, h in conn.execute(text(_DOMAIN_SQL), {"extra": extra}):
        if known.setdefault(int(h), value) != value:
            clashes.add(int(h))
    out: dict[str, KeyColumn] = {}
    for name, column in hashes.items():
        uniq, codes = dense_codes(column)
        missing = [int(h) for h in uniq if int(h) not in known or int(h) in clashes]
        found = _find_values(conn, name, missing, window) if missing else {}
        labels = [found[int(h)] if int(h) in found else known[int(h)] for h in uniq]
        out[name] = KeyColumn(codes, labels)
    return out


def _find_values(
    conn: Connection, name: str, missing: list[int], window: Window
) -> dict[int, str | None]:
    """The values behind hashes the reference tables do not explain (one scan of the range)."""
    start, end, as_of = window
    sql = f"""SELECT DISTINCT f.{name}, hashtextextended(f.{name}, 0) FROM case_facts f
WHERE f.reported_at >= :start AND f.reported_at < :end
  AND (f.last_event_at IS NULL OR f.last_event_at <= :as_of)
  AND hashtextextended(f.{name}, 0) = ANY(CAST(:hashes AS bigint[]))"""
    params = {"start": start, "end": end, "as_of": as_of, "hashes": missing}
    found: dict[int, str | None] = {}
    for value, h in conn.execute(text(sql), params):
        if found.setdefault(int(h), value) != value:
            raise AmbiguousKeys(f"{name}: {found[int(h)]!r} and {value!r} share a hash")
    if set(missing) - set(found):
        raise AmbiguousKeys(f"{name}: a hash matched no value")
    return found
