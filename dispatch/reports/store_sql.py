"""SQL that derives ``case_facts`` rows from the timeline (PostgreSQL and SQLite).

One ``SELECT`` serves three uses: the full rebuild (every case), the per-case refresh after a
timeline entry (``:ids``) and the report's recomputation of cases whose timeline moved after its
``as_of`` (entries at or before ``:as_of`` only). It mirrors ``dispatch.reports.facts``:

* ``final_state``: ``to_state`` of the entry with the highest ``seq`` (``reported`` if none);
* ``staff``: actor of the last ``arrive`` (by ``seq``);
* ``filed_at``: first ``file``/``self_handle``; ``handled_at``: last ``handle``/``self_handle``;
* ``discover_s`` = filed - first seen; ``arrive_s`` = last ``arrive`` - the last ``dispatch`` at
  or before it; ``resolve_s`` = last ``handle`` (if at or after that arrival) - arrival;
  ``handling_s`` = that ``handle`` - first ``dispatch``. Seconds are exact to the microsecond
  (PostgreSQL: ``EXTRACT`` is numeric; SQLite: integer microseconds), i.e. equal to Python's
  ``timedelta.total_seconds()``;
* counts of ``dispatch`` actions, re-offers (a ``dispatch`` from dispatched/accepted/en_route),
  ``return``, ``fail_verification``, ``extend``, ``self_handle`` and ``merge_event`` entries;
* the case's own columns: report time, category, source, district, grid, unit, camera and the
  handling due time (``due_at``).

On PostgreSQL the same statement also writes ``report_record``: the row in the fixed binary
layout ``RECORD_LAYOUT`` (big-endian), so a report reads a million rows as one ``string_agg``
instead of a million result rows. Text keys are stored as ``hashtextextended(value, 0)`` (0 for
NULL), instants as microseconds since 1970 (``due_at`` NULL = the largest int8: never due),
missing clocks as NaN, flags and counts packed as in ``pack_a``/``pack_b``.
"""

from __future__ import annotations

from dispatch.states import CaseState

FACT_COLUMNS: tuple[str, ...] = (
    "case_id",
    "reported_at",
    "last_event_at",
    "category",
    "source",
    "district",
    "grid",
    "unit",
    "camera",
    "staff",
    "final_state",
    "filed_at",
    "handled_at",
    "due_at",
    "discover_s",
    "arrive_s",
    "resolve_s",
    "handling_s",
    "dispatch_actions",
    "reoffers",
    "returns",
    "reworks",
    "extensions",
    "self_handles",
    "merged_reports",
)
_STATE_CODES = {s.value: i for i, s in enumerate(CaseState)}
_COUNTED = {
    "dispatch_actions": "e.action = 'dispatch'",
    "reoffers": "e.action = 'dispatch' AND e.from_state IN ('dispatched', 'accepted', 'en_route')",
    "returns": "e.action = 'return'",
    "reworks": "e.action = 'fail_verification'",
    "extensions": "e.action = 'extend'",
    "self_handles": "e.action = 'self_handle'",
    "merged_reports": "e.action = 'merge_event'",
}


RECORD_KEYS: tuple[str, ...] = (
    "category",
    "source",
    "final_state",
    "district",
    "grid",
    "unit",
    "camera",
    "staff",
)
CLOCK_COLUMNS = ("discover_s", "arrive_s", "resolve_s", "handling_s")
RECORD_LAYOUT: list[tuple[str, str, int] | tuple[str, str]] = [
    ("keys", ">i8", len(RECORD_KEYS)),
    ("reported_us", ">i8"),
    ("due_us", ">i8"),
    ("pack_a", ">i8"),
    ("pack_b", ">i8"),
    ("clocks", ">f8", len(CLOCK_COLUMNS)),
]
RECORD_BYTES = 8 * (len(RECORD_KEYS) + 4 + len(CLOCK_COLUMNS))
NEVER_US = 2**63 - 1
BIT_FILED, BIT_ON_TIME, BIT_DUE_PASSED, BIT_DISPATCHED = 1, 2, 4, 8
BIT_EXTENDED, BIT_REWORKED, BIT_SELF_HANDLED = 16, 32, 64
_FLAGS = (
    (BIT_FILED, "{x}.filed_at IS NOT NULL"),
    (BIT_ON_TIME, "{x}.due_at IS NULL OR {x}.handled_at <= {x}.due_at"),
    (BIT_DISPATCHED, "{x}.dispatch_actions > 0"),
    (BIT_EXTENDED, "{x}.extensions > 0"),
    (BIT_REWORKED, "{x}.reworks > 0"),
    (BIT_SELF_HANDLED, "{x}.self_handles > 0"),
)


def pack_a(x: str, as_of: str | None) -> str:
    """SQL int8: flag bits (``BIT_*``; ``BIT_DUE_PASSED`` only when ``as_of`` is given) plus
    ``256 *`` dispatches net of re-offers, over the columns of alias ``x``."""
    flags = [(bit, cond.format(x=x)) for bit, cond in _FLAGS]
    if as_of is not None:
        flags.append((BIT_DUE_PASSED, f"{x}.due_at < {as_of}"))
    terms = " + ".join(f"CASE WHEN {cond} THEN {bit} ELSE 0 END" for bit, cond in flags)
    return f"({terms} + 256 * CAST({x}.dispatch_actions - {x}.reoffers AS bigint))"


def pack_b(x: str) -> str:
    """SQL int8: ``returns * 2**32 + merged_reports`` (both are int4, so nothing is lost)."""
    return f"(CAST({x}.returns AS bigint) * 4294967296 + {x}.merged_reports)"


def record_sql(x: str) -> str:
    """PostgreSQL bytea of ``RECORD_LAYOUT`` from the fact columns of alias ``x``."""

    def micros(col: str, none: int) -> str:
        return f"COALESCE(CAST(EXTRACT(EPOCH FROM {x}.{col}) * 1000000 AS bigint), {none})"

    parts = [f"int8send(COALESCE(hashtextextended({x}.{k}, 0), 0))" for k in RECORD_KEYS]
    parts += [f"int8send({micros('reported_at', 0)})", f"int8send({micros('due_at', NEVER_US)})"]
    parts += [f"int8send({pack_a(x, None)})", f"int8send({pack_b(x)})"]
    parts += [f"float8send(COALESCE({x}.{c}, 'NaN'))" for c in CLOCK_COLUMNS]
    return " || ".join(parts)


def exact_secs(dialect: str, a: str, b: str) -> str:
    """SQL seconds from ``a`` to ``b`` as a double, rounded once from exact microseconds."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({b}) - ({a})) AS double precision)"
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then the six fraction digits.
    micros = (
        f"((unixepoch({b}) - unixepoch({a})) * 1000000 "
        f"+ CAST(substr({b}, 21) AS INTEGER) - CAST(substr({a}, 21) AS INTEGER))"
    )
    return f"({micros} / 1000000.0)"


def _seq_text(dialect: str) -> str:
    if dialect == "postgresql":
        return "lpad(CAST(e.seq AS text), 10, '0')"
    return "printf('%010d', e.seq)"


def _marks(dialect: str, event_filter: str) -> str:
    state_code = " ".join(f"WHEN '{s}' THEN {c}" for s, c in _STATE_CODES.items())
    counts = ",\n  ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}" for name, cond in _COUNTED.items()
    )
    return f"""
SELECT e.case_id AS case_id, MAX(e.at) AS last_event_at,
  MAX(e.seq * 16 + CASE e.to_state {state_code} END) AS final_packed,
  MIN(CASE WHEN e.action IN ('file', 'self_handle') THEN e.at END) AS filed_at,
  MIN(CASE WHEN e.action = 'dispatch' THEN e.at END) AS first_dispatch_at,
  MAX(CASE WHEN e.action = 'dispatch' THEN e.at END) AS last_dispatch_at,
  MAX(CASE WHEN e.action = 'arrive' THEN e.at END) AS arrived_at,
  MAX(CASE WHEN e.action = 'handle' THEN e.at END) AS last_handle_at,
  MAX(CASE WHEN e.action IN ('handle', 'self_handle') THEN e.at END) AS handled_at,
  MAX(CASE WHEN e.action = 'arrive' THEN {_seq_text(dialect)} || e.actor_id END) AS arrive_key,
  {counts}
FROM case_events e
WHERE {event_filter}
GROUP BY e.case_id"""


def facts_select(dialect: str, *, case_filter: str, event_filter: str) -> str:
    """``SELECT`` of ``FACT_COLUMNS`` for the cases matching ``case_filter`` (alias ``c``),
    from their timeline entries matching ``event_filter`` (alias ``e``)."""
    state_name = " ".join(f"WHEN {c} THEN '{s}'" for s, c in _STATE_CODES.items())
    arrival_dispatch = """CASE WHEN m.arrived_at IS NULL THEN NULL
      WHEN m.last_dispatch_at <= m.arrived_at THEN m.last_dispatch_at
      ELSE (SELECT MAX(d.at) FROM case_events d WHERE d.case_id = c.id
            AND d.action = 'dispatch' AND d.at <= m.arrived_at) END"""
    resolved = "m.last_handle_at >= m.arrived_at"
    counts = ", ".join(f"COALESCE(m.{name}, 0) AS {name}" for name in _COUNTED)
    return f"""
SELECT c.id AS case_id, c.reported_at AS reported_at, m.last_event_at AS last_event_at,
  c.category_code AS category, c.source AS source, c.district_id AS district,
  c.grid_id AS grid, c.unit_id AS unit, c.camera_id AS camera,
  substr(m.arrive_key, 11) AS staff,
  COALESCE(CASE m.final_packed % 16 {state_name} END, 'reported') AS final_state,
  m.filed_at AS filed_at, m.handled_at AS handled_at, c.handling_due_at AS due_at,
  {exact_secs(dialect, "c.first_seen_at", "m.filed_at")} AS discover_s,
  {exact_secs(dialect, arrival_dispatch, "m.arrived_at")} AS arrive_s,
  CASE WHEN {resolved} THEN {exact_secs(dialect, "m.arrived_at", "m.last_handle_at")} END
    AS resolve_s,
  CASE WHEN {resolved} THEN {exact_secs(dialect, "m.first_dispatch_at", "m.last_handle_at")}
    END AS handling_s,
  {counts}
FROM cases c
LEFT JOIN ({_marks(dialect, event_filter)}) m ON m.case_id = c.id
WHERE {case_filter}"""


def _insert(dialect: str, select: str) -> tuple[str, list[str]]:
    if dialect != "postgresql":
        return f"INSERT INTO case_facts ({', '.join(FACT_COLUMNS)}) {select}", list(FACT_COLUMNS)
    cols = [*FACT_COLUMNS, "report_record"]
    values = ", ".join(f"x.{c}" for c in FACT_COLUMNS)
    sql = f"INSERT INTO case_facts ({', '.join(cols)})\nSELECT {values}, {record_sql('x')}\n"
    return sql + f"FROM ({select}) x", cols


def upsert_sql(dialect: str) -> str:
    """Insert or replace the facts of the cases in ``:ids`` (an expanding parameter)."""
    select = facts_select(dialect, case_filter="c.id IN :ids", event_filter="e.case_id IN :ids")
    insert, cols = _insert(dialect, select)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "case_id")
    return f"{insert}\nON CONFLICT (case_id) DO UPDATE SET {updates}"


def rebuild_sql(dialect: str) -> str:
    """Insert the facts of every case (the table is emptied first)."""
    return _insert(dialect, facts_select(dialect, case_filter="1 = 1", event_filter="1 = 1"))[0]


STALE_CASES = """SELECT s.case_id FROM case_facts s
WHERE s.reported_at >= :start AND s.reported_at < :end AND s.last_event_at > :as_of"""


def stale_facts_sql(dialect: str, *, listed: bool = False) -> str:
    """Facts as of ``:as_of`` of the cases in ``[:start, :end)`` whose timeline has entries
    after ``:as_of`` (their stored row describes a later moment); with ``listed`` (PostgreSQL),
    of the cases in the array parameter ``:ids`` instead."""
    cases = "= ANY(CAST(:ids AS integer[]))" if listed else f"IN ({STALE_CASES})"
    return facts_select(
        dialect, case_filter=f"c.id {cases}", event_filter=f"e.at <= :as_of AND e.case_id {cases}"
    )
