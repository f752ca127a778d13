"""SQL text of the per-case facts (PostgreSQL and SQLite), mirroring ``dispatch.reports.facts``.

Three levels, one pass over the timeline:

1. ``marks``: one ``GROUP BY case_id`` over the ``case_events`` in ``[:start, :as_of]`` (every
   entry of a case reported in the range is at or after its report, hence after ``:start``;
   the other cases' groups are dropped by the join) with conditional aggregates: first filing,
   first/last
   dispatch, last arrival, last handling, action counts, the final state (the ``to_state`` of the
   highest ``seq``, packed as ``seq * 16 + state code`` so a plain ``MAX`` finds it) and the staff
   of the last arrival.
2. ``x``: marks joined to the case's fixed attributes and category targets; durations in
   seconds (exact to the microsecond on both databases).
3. the facts row: 0/1 measures, outcome bucket, within-target flags, period labels.
"""

from __future__ import annotations

from datetime import datetime

from dispatch.reports.config import Measure
from dispatch.reports.facts import OUTCOMES
from dispatch.states import CaseState

Dialect = str  # "postgresql" or "sqlite"
STATE_CODES: dict[str, int] = {s.value: i for i, s in enumerate(CaseState)}
HANDLED_STATES = ("handled", "verified", "self_handled", "closed")


def secs(dialect: Dialect, a: str, b: str) -> str:
    """SQL seconds from ``a`` to ``b`` (double precision, microsecond-exact)."""
    if dialect == "postgresql":
        return f"date_part('epoch', {b} - {a})"  # double precision (EXTRACT gives numeric)
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text: whole seconds plus the fraction digits.
    return (
        f"((unixepoch({b}) - unixepoch({a})) "
        f"+ (CAST(substr({b}, 20) AS REAL) - CAST(substr({a}, 20) AS REAL)))"
    )


def _seq_text(dialect: Dialect) -> str:
    if dialect == "postgresql":
        return "lpad(CAST(e.seq AS text), 10, '0')"
    return "printf('%010d', e.seq)"


def _state_code_case(column: str) -> str:
    whens = " ".join(f"WHEN '{s}' THEN {c}" for s, c in STATE_CODES.items())
    return f"CASE {column} {whens} END"


def _final_in(*states: str) -> str:
    """SQL test of the final state (kept as its integer code: cheap to compare)."""
    codes = ", ".join(str(STATE_CODES[st]) for st in states)
    return f"x.final IN ({codes})"


def marks_sql(dialect: Dialect) -> str:
    """Level 1: conditional aggregates per case over its timeline."""

    def count(action: str) -> str:
        return f"SUM(CASE WHEN e.action = '{action}' THEN 1 ELSE 0 END)"

    return f"""
SELECT e.case_id AS case_id,
  MAX(e.seq * 16 + {_state_code_case("e.to_state")}) AS final_packed,
  MIN(CASE WHEN e.action IN ('file', 'self_handle') THEN e.at END) AS filed_at,
  MIN(CASE WHEN e.action = 'dispatch' THEN e.at END) AS first_dispatch_at,
  MAX(CASE WHEN e.action = 'dispatch' THEN e.at END) AS last_dispatch_at,
  MAX(CASE WHEN e.action = 'arrive' THEN e.at END) AS arrived_at,
  MAX(CASE WHEN e.action = 'handle' THEN e.at END) AS last_handle_at,
  MAX(CASE WHEN e.action IN ('handle', 'self_handle') THEN e.at END) AS handled_at,
  MAX(CASE WHEN e.action = 'arrive' THEN {_seq_text(dialect)} || e.actor_id END) AS arrive_key,
  {count("dispatch")} AS n_dispatch,
  SUM(CASE WHEN e.action = 'dispatch'
      AND e.from_state IN ('dispatched', 'accepted', 'en_route') THEN 1 ELSE 0 END) AS n_reoffer,
  {count("return")} AS n_return,
  {count("fail_verification")} AS n_rework,
  {count("extend")} AS n_extend,
  {count("self_handle")} AS n_self,
  {count("merge_event")} AS n_merge
FROM case_events e
WHERE e.at >= :start AND e.at <= :as_of
GROUP BY e.case_id"""


def case_sql(dialect: Dialect) -> str:
    """Level 2: marks joined to the case, its category and the arriving staff; durations."""
    dfa = """CASE WHEN m.arrived_at IS NULL THEN NULL
      WHEN m.last_dispatch_at <= m.arrived_at THEN m.last_dispatch_at
      ELSE (SELECT MAX(d.at) FROM case_events d WHERE d.case_id = c.id
            AND d.action = 'dispatch' AND d.at <= m.arrived_at) END"""
    handled_ok = "m.last_handle_at >= m.arrived_at"
    return f"""
SELECT c.id AS case_id, c.category_code AS category, c.source AS source,
  c.district_id AS district, c.grid_id AS grid, c.unit_id AS unit, c.camera_id AS camera,
  c.reported_at AS reported_at, c.handling_due_at AS due_at,
  COALESCE(m.final_packed % 16, {STATE_CODES["reported"]}) AS final,
  m.filed_at AS filed_at, m.handled_at AS handled_at,
  substr(m.arrive_key, 11) AS staff, s.team_id AS team, ga.code AS grid_code,
  COALESCE(m.n_dispatch, 0) AS n_dispatch, COALESCE(m.n_reoffer, 0) AS n_reoffer,
  COALESCE(m.n_return, 0) AS n_return, COALESCE(m.n_rework, 0) AS n_rework,
  COALESCE(m.n_extend, 0) AS n_extend, COALESCE(m.n_self, 0) AS n_self,
  COALESCE(m.n_merge, 0) AS n_merge,
  CASE WHEN cat.clock = 'continuous' AND cat.discover_target_s > 0
       THEN cat.discover_target_s END AS t_discover,
  CASE WHEN cat.clock = 'continuous' AND cat.arrive_target_s > 0
       THEN cat.arrive_target_s END AS t_arrive,
  CASE WHEN cat.clock = 'continuous' AND cat.resolve_target_s > 0
       THEN cat.resolve_target_s END AS t_resolve,
  {secs(dialect, "c.first_seen_at", "m.filed_at")} AS discover_s,
  {secs(dialect, "(" + dfa + ")", "m.arrived_at")} AS arrive_s,
  CASE WHEN {handled_ok} THEN {secs(dialect, "m.arrived_at", "m.last_handle_at")} END
    AS resolve_s,
  CASE WHEN {handled_ok} THEN {secs(dialect, "m.first_dispatch_at", "m.last_handle_at")} END
    AS handling_s
FROM cases c
JOIN categories cat ON cat.code = c.category_code
LEFT JOIN ({marks_sql(dialect)}) m ON m.case_id = c.id
LEFT JOIN staff s ON s.id = substr(m.arrive_key, 11)
LEFT JOIN areas ga ON ga.id = c.grid_id AND ga.kind = 'grid'
WHERE c.reported_at >= :start AND c.reported_at < :end"""


def _conditions() -> dict[Measure, str]:
    """Boolean SQL per 0/1 measure (over level-2 columns), built from named parts."""
    filed = "x.filed_at IS NOT NULL"
    on_time = "(x.due_at IS NULL OR (x.handled_at IS NOT NULL AND x.handled_at <= x.due_at))"
    valid = f"({filed} AND NOT {_final_in('voided', 'rejected')})"
    due = f"(x.n_dispatch > 0 AND NOT {_final_in('voided', 'parked')})"
    handled = f"({due} AND {_final_in(*HANDLED_STATES)})"
    closure = f"({filed} AND NOT {_final_in('voided', 'parked')})"
    closed = f"({closure} AND {_final_in('closed')})"
    camera = "x.source = 'camera'"
    discover_ok = "(x.t_discover IS NULL OR x.discover_s <= x.t_discover)"
    return {
        Measure.FILED: filed,
        Measure.VALID_REPORTS: valid,
        Measure.FILED_ON_TIME: f"({filed} AND {discover_ok})",
        Measure.DUE: due,
        Measure.HANDLED: handled,
        Measure.HANDLED_ON_TIME: f"({handled} AND {on_time})",
        Measure.HANDLED_LATE: f"({handled} AND NOT {on_time})",
        Measure.OVERDUE_OPEN: f"({due} AND NOT {handled} AND x.due_at < :as_of)",
        Measure.EXTENDED: f"({due} AND x.n_extend > 0)",
        Measure.DUE_FOR_CLOSURE: closure,
        Measure.CLOSED: closed,
        Measure.CLOSED_ON_TIME: f"({closed} AND {on_time})",
        Measure.REWORKED: f"({closure} AND x.n_rework > 0)",
        Measure.VOIDED: _final_in("voided"),
        Measure.REJECTED: _final_in("rejected"),
        Measure.PARKED: _final_in("parked"),
        Measure.SELF_HANDLED: "x.n_self > 0",
        Measure.CAMERA_CASES: camera,
        Measure.CAMERA_VALID: f"({camera} AND {valid})",
    }


def _outcome_sql() -> str:
    """The outcome bucket as its index in ``facts.OUTCOMES``."""
    code = {name: i for i, name in enumerate(OUTCOMES)}
    return f"""CASE WHEN x.filed_at IS NULL THEN {code["unfiled"]}
    WHEN {_final_in("closed")} THEN {code["closed"]}
    WHEN {_final_in("voided")} THEN {code["voided"]}
    WHEN {_final_in("parked")} THEN {code["parked"]}
    WHEN {_final_in(*HANDLED_STATES)} THEN {code["awaiting_closure"]}
    WHEN x.due_at < :as_of THEN {code["open_overdue"]}
    ELSE {code["open"]} END"""


def _ok(clock: str) -> str:
    return (
        f"CASE WHEN x.{clock}_s IS NULL OR x.t_{clock} IS NULL THEN NULL "
        f"WHEN x.{clock}_s <= x.t_{clock} THEN 1 ELSE 0 END"
    )


def period_case(bounds: list[tuple[str, str]]) -> str:
    """``CASE`` giving the period label of ``x.reported_at``.

    ``bounds`` holds ``(start parameter name, label)`` of every period in order; a case belongs
    to the last period whose start is at or before its report time.
    """
    if len(bounds) == 1:
        return f"'{bounds[0][1]}'"
    whens = " ".join(
        f"WHEN x.reported_at < :{param} THEN '{label}'"
        for (param, _), (_, label) in zip(bounds[1:], bounds[:-1], strict=True)
    )
    return f"CASE {whens} ELSE '{bounds[-1][1]}' END"


def facts_sql(dialect: Dialect, periods: dict[str, list[tuple[str, str]]]) -> str:
    """Level 3: the facts table's SELECT (one row per case reported in the range)."""
    measures = ",\n  ".join(
        f"CASE WHEN {cond} THEN 1 ELSE 0 END AS {m.value}" for m, cond in _conditions().items()
    )
    period_cols = "".join(f",\n  {period_case(b)} AS {name}" for name, b in periods.items())
    return f"""
SELECT x.category, x.source, x.district, x.grid, {_grid_prefix(dialect, 9)} AS street,
  {_grid_prefix(dialect, 12)} AS community, x.unit, x.camera, x.staff, x.team,
  x.discover_s, x.arrive_s, x.resolve_s, x.handling_s,
  {_ok("discover")} AS discover_ok, {_ok("arrive")} AS arrive_ok,
  {_ok("resolve")} AS resolve_ok,
  {_outcome_sql()} AS outcome,
  x.n_merge AS merged_reports,
  x.n_dispatch - x.n_reoffer AS dispatches,
  x.n_return AS returns,
  x.n_dispatch - x.n_reoffer - x.n_return AS correct_dispatches,
  {measures}{period_cols}
FROM ({case_sql(dialect)}{_fence(dialect)}) x"""


def _grid_prefix(dialect: Dialect, digits: int) -> str:
    """SQL twin of ``model.grid_prefix`` on the grid area's code."""
    if dialect == "postgresql":
        digits_only = "x.grid_code ~ '^[0-9]{15}$'"
    else:
        digits_only = "length(x.grid_code) = 15 AND x.grid_code NOT GLOB '*[^0-9]*'"
    return f"CASE WHEN {digits_only} THEN substr(x.grid_code, 1, {digits}) END"


def _fence(dialect: Dialect) -> str:
    """Keep the level-2 subquery from being inlined (each column is then computed once)."""
    return "\nOFFSET 0" if dialect == "postgresql" else "\nLIMIT -1 OFFSET 0"


def period_params(name: str, bounds: list[tuple[datetime, str]]) -> dict[str, datetime]:
    """Bound parameters of one period column's boundaries (the first period needs none)."""
    return {f"{name}_{i}": at for i, (at, _) in enumerate(bounds) if i > 0}
