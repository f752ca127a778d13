"""The full monthly report on PostgreSQL (1M cases) and SQLite (100k cases), side by side.

Run from the repo root: ``.venv/bin/python bench/bench_reports.py [--pg-cases 1000000]
[--sqlite-cases 100000] [--repeat 3]``. PostgreSQL runs in a database created for the run on
``SMARTSCENE_TEST_PG_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and
dropped afterwards; SQLite uses a temporary file.

Data: N cases reported uniformly over November 2026 (Asia/Shanghai), 20 categories/sources/
districts/1000 grids/200 staff/50 cameras, seven timeline shapes (happy 65%, late 10%, rework
5%, voided 5%, extended 5%, open 5%, returned 5%), ~9.2 timeline entries per case, bulk-loaded
in SQL (generate_series on PostgreSQL, a recursive CTE on SQLite) with the migrated indexes.
The report is ``build_report(engine="sql")`` with every default breakdown (category, district,
grid, team, staff, source, camera, day) plus the distributions. SQLite's time is also
extrapolated linearly to 1M cases (labelled as such). Bounded: a few minutes in total.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from api import db
from api.seed_data import seed_categories
from dispatch.reports.model import Report
from dispatch.reports.service import Engine as EnginePath
from dispatch.reports.service import build_report
from dispatch.reports.store import rebuild_case_facts
from models import Area, Camera, Staff, Team
from models.engine import make_engine, make_session_factory

PG_ADMIN = os.environ.get(
    "SMARTSCENE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 Shanghai
END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
MONTH_S = int((END - START).total_seconds())
CATEGORIES = ["MT_UNSEALED", "MT_SPILL", "MT_MUDDY", "MT_DUMPING", "06010", "06012", "PARKING"]
SOURCES = ["camera", "sensor", "inspector", "citizen"]
# (shape, seq, minute, action, from_state, to_state, jitter factor, by staff)
_HAPPY = [
    (1, 0, "report", None, "reported", 0, 0),
    (2, 0, "file", "reported", "filed", 0, 0),
    (3, 1, "dispatch", "filed", "dispatched", 0, 0),
    (4, 2, "accept", "dispatched", "accepted", 0, 1),
    (5, 3, "depart", "accepted", "en_route", 0, 1),
    (6, 8, "arrive", "en_route", "on_site", 1, 1),
    (7, 25, "handle", "on_site", "handled", 2, 1),
    (8, 30, "verify", "handled", "verified", 2, 0),
    (9, 35, "close", "verified", "closed", 2, 0),
]
_LATE = [(s, m + (20 if s >= 7 else 0), a, f, t, j, b) for s, m, a, f, t, j, b in _HAPPY]
_REWORK = [
    *_HAPPY[:7],
    (8, 30, "fail_verification", "handled", "reworked", 2, 0),
    (9, 31, "dispatch", "reworked", "dispatched", 2, 0),
    (10, 32, "accept", "dispatched", "accepted", 2, 1),
    (11, 38, "arrive", "accepted", "on_site", 3, 1),
    (12, 50, "handle", "on_site", "handled", 3, 1),
    (13, 55, "verify", "handled", "verified", 3, 0),
    (14, 60, "close", "verified", "closed", 3, 0),
]
_VOIDED = [*_HAPPY[:2], (3, 5, "void", "filed", "voided", 0, 0)]
_EXTENDED = [
    *_HAPPY[:6],
    (7, 15, "extend", "on_site", "on_site", 1, 0),
    *[(s + 1, m + 15, a, f, t, j, b) for s, m, a, f, t, j, b in _HAPPY[6:]],
]
_OPEN = _HAPPY[:4]
_RETURNED = [
    *_HAPPY[:3],
    (4, 5, "return", "dispatched", "returned", 0, 0),
    *[(s + 2, m + 9, a, f if s > 3 else "returned", t, j, b) for s, m, a, f, t, j, b in _HAPPY[2:]],
]
SHAPES = {0: _HAPPY, 1: _LATE, 2: _REWORK, 3: _VOIDED, 4: _EXTENDED, 5: _OPEN, 6: _RETURNED}
# case id % 20 -> shape: 13 happy, 2 late, then one each of the others.
SHAPE_OF = [0] * 13 + [1, 1, 2, 3, 4, 5, 6]


def _values_sql() -> str:
    rows = []
    for shape, steps in SHAPES.items():
        for seq, minute, action, before, after, jitter, by_staff in steps:
            prev = "NULL" if before is None else f"'{before}'"
            values = (
                f"{shape}, {seq}, {minute}, '{action}', {prev}, '{after}', {jitter}, {by_staff}"
            )
            rows.append(f"({values})")
    shape_rows = ", ".join(f"({i}, {s})" for i, s in enumerate(SHAPE_OF))
    return (
        "tpl(shape, seq, minute, action, from_state, to_state, jitter, by_staff) AS "
        f"(VALUES {', '.join(rows)}), "
        f"shape_of(k, shape) AS (VALUES {shape_rows})"
    )


def _pick(expr: str, items: list[str]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(items))
    return f"CASE ({expr}) % {len(items)} {whens} END"


def _ts(dialect: str, base: str, seconds: str) -> str:
    if dialect == "postgresql":
        return f"({base} + ({seconds}) * interval '1 second')"
    return f"(strftime('%Y-%m-%d %H:%M:%S', {base}, printf('%+d seconds', {seconds})) || '.000000')"


def _load(conn: Connection, n: int) -> None:
    d = conn.dialect.name
    start = "TIMESTAMPTZ '2026-10-31 16:00:00+00'" if d == "postgresql" else "'2026-10-31 16:00:00'"
    series = (
        f"ids(g) AS (SELECT generate_series(1, {n}))"
        if d == "postgresql"
        else f"ids(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM ids WHERE g < {n})"
    )
    prefix = "WITH RECURSIVE " if d == "sqlite" else "WITH "
    rep = _ts(d, start, f"(CAST(g AS BIGINT) * {MONTH_S}) / {n}")
    source = _pick("g / 7", SOURCES)
    due_min = "CASE WHEN g % 20 = 17 THEN 61 WHEN g % 20 = 19 THEN 41 ELSE 31 END"
    conn.execute(
        text(f"""{prefix}{series}
INSERT INTO cases (id, code, state, category_code, priority, source, description, district_id,
  grid_id, camera_id, triage, event_count, first_seen_at, last_seen_at, reported_at,
  handling_due_at, extension_count, escalation_count, rework_count, version, updated_at)
SELECT g, 'B' || g, 'reported', {_pick("g", CATEGORIES)}, 2, {source}, '', 'D' || (g % 10),
  'G' || (g % 1000), CASE WHEN {source} = 'camera' THEN 'cam' || (g % 50) END, false, 1,
  {_ts(d, rep, "-60 * (g % 5)")}, {rep}, {rep}, {_ts(d, rep, "60 * " + due_min)}, 0, 0, 0, 1, {rep}
FROM ids""")
    )
    conn.execute(
        text(f"""WITH {_values_sql()}
INSERT INTO case_events (case_id, seq, at, action, from_state, to_state, actor_type, actor_id,
  source, details)
SELECT c.id, t.seq, {_ts(d, "c.reported_at", "60 * (t.minute + t.jitter * (c.id % 7))")}, t.action,
  t.from_state, t.to_state, 'user', CASE WHEN t.by_staff = 1 THEN 's' || (c.id % 200) ELSE 'op' END,
  'bench', '{{}}'
FROM cases c JOIN shape_of s ON s.k = c.id % 20 JOIN tpl t ON t.shape = s.shape""")
    )


def _reference_rows(conn: Connection) -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    area = {"geom_wkt": "POINT (0 0)", "imported_at": now}
    conn.execute(
        insert(Area),
        [
            {
                "id": f"D{i}",
                "kind": "district",
                "code": f"D{i}",
                "name": f"D{i}",
                "parent_id": None,
                **area,
            }
            for i in range(10)
        ],
    )
    conn.execute(
        insert(Area),
        [
            {
                "id": f"G{i}",
                "kind": "grid",
                "code": f"G{i}",
                "name": f"G{i}",
                "parent_id": f"D{i % 10}",
                **area,
            }
            for i in range(1000)
        ],
    )
    conn.execute(insert(Team), [{"id": f"T{t}", "name": f"T{t}"} for t in range(20)])
    conn.execute(
        insert(Staff),
        [
            {
                "id": f"s{i}",
                "name": f"s{i}",
                "team_id": f"T{i % 20}",
                "status": "available",
                "skills": [],
                "area_ids": [],
                "load": 0,
                "assigned_today": 0,
            }
            for i in range(200)
        ],
    )
    conn.execute(
        insert(Camera),
        [
            {
                "id": f"cam{c}",
                "name": f"cam{c}",
                "source_url": "x",
                "sample_fps": 2.0,
                "enabled": True,
                "health": "unknown",
                "created_at": now,
                "updated_at": now,
            }
            for c in range(50)
        ],
    )


def _pg_indexes(conn: Connection, tables: list[str]) -> list[tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ),
        {"t": tables},
    )
    return [(r.indexname, r.indexdef) for r in rows]


def prepare(engine: Engine, n: int) -> tuple[float, int]:
    """Seed and bulk-load ``n`` cases; returns (seconds, timeline entries)."""
    t0 = time.perf_counter()
    with make_session_factory(engine)() as s:
        seed_categories(s)
        s.commit()
    with engine.begin() as conn:
        _reference_rows(conn)
        pg = conn.dialect.name == "postgresql"
        indexes = _pg_indexes(conn, ["cases", "case_events"]) if pg else []
        for name, _ in indexes:  # rebuilt after the load: much faster than row by row
            conn.execute(text(f'DROP INDEX "{name}"'))
        if pg:  # the rows are consistent by construction: skip the per-row foreign-key checks
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        _load(conn, n)
        for _, ddl in indexes:
            conn.execute(text(ddl))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        events = int(conn.execute(text("SELECT count(*) FROM case_events")).scalar_one())
        conn.commit()
    return time.perf_counter() - t0, events


Timed = tuple[list[float], Report, dict[str, float]]


def _stamp(marks: list[tuple[str, float]], step: str) -> None:
    marks.append((step, time.perf_counter()))


def time_report(engine: Engine, repeat: int, path: EnginePath) -> Timed:
    """Wall times of the full report by ``path`` (each run in its own transaction), the last
    report and the best run's split by step (facts read, breakdowns, rest)."""
    sessions = make_session_factory(engine)
    times: list[float] = []
    splits: list[dict[str, float]] = []
    report: Report | None = None
    for _ in range(repeat):
        marks: list[tuple[str, float]] = []
        stamp = partial(_stamp, marks)
        with sessions() as s:
            t0 = time.perf_counter()
            report = build_report(s, start=START, end=END, engine=path, progress=stamp)
            t1 = time.perf_counter()
            s.rollback()
        times.append(t1 - t0)
        stamps = dict(marks)
        splits.append(
            {
                "read": stamps["breakdowns"] - t0,
                "aggregate": stamps["indicators"] - stamps["breakdowns"],
                "assemble": t1 - stamps["indicators"],
            }
        )
    assert report is not None
    return times, report, splits[times.index(min(times))]


def rebuild(engine: Engine) -> float:
    """Seconds to derive ``case_facts`` from the whole timeline (committed). PostgreSQL then
    vacuums the new table, as autovacuum soon would after a million inserts (not timed)."""
    with make_session_factory(engine)() as s:
        t0 = time.perf_counter()
        rebuild_case_facts(s)
        s.commit()
        seconds = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM case_facts"))
    return seconds


def measure(engine: Engine, n: int, repeat: int, timeline_runs: int) -> dict[str, str]:
    """Load, rebuild the facts, time both paths, check they agree."""
    load_s, events = prepare(engine, n)
    rebuild_s = rebuild(engine)
    new, new_report, split = time_report(engine, repeat, "facts")
    old: Timed | None = None
    if timeline_runs:
        old = time_report(engine, timeline_runs, "timeline")
    same = "-" if old is None else _same(old[1], new_report)
    best_new = min(new)
    best_old = min(old[0]) if old else None
    return {
        "backend": engine.dialect.name,
        "cases": f"{n:,}",
        "in report": f"{new_report.overall.counts['cases']:,}",
        "timeline rows": f"{events:,}",
        "load s": f"{load_s:.1f}",
        "rebuild facts s": f"{rebuild_s:.1f}",
        "timeline path s": "-" if best_old is None else f"{best_old:.2f}",
        "facts path s": f"{best_new:.2f} (median {statistics.median(new):.2f})",
        "read/agg/rest s": "/".join(f"{split[k]:.2f}" for k in ("read", "aggregate", "assemble")),
        "speed-up": "-" if best_old is None else f"{best_old / best_new:.0f}x",
        "same numbers": same,
    }


def _same(a: Report, b: Report) -> str:
    left, right = a.model_dump(exclude={"engine"}), b.model_dump(exclude={"engine"})
    return "yes" if left == right else "NO"


def run_pg(n: int, repeat: int, timeline_runs: int) -> dict[str, str]:
    """Create a database, load, time, drop."""
    name = f"smartscene_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        db.upgrade(url)
        engine = make_engine(url)
        row = measure(engine, n, repeat, timeline_runs)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return row


def run_sqlite(n: int, repeat: int, timeline_runs: int) -> dict[str, str]:
    """Temporary SQLite file: load, time."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db.upgrade(url)
        engine = make_engine(url)
        row = measure(engine, n, repeat, timeline_runs)
        engine.dispose()
    return row


def _print(rows: list[dict[str, str]]) -> None:
    cols = list(rows[0])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in cols]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    for r in rows:
        print("  ".join(r[c].ljust(w) for c, w in zip(cols, widths, strict=True)))


def main() -> None:
    """Parse arguments, run both backends, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-cases", type=int, default=1_000_000)
    parser.add_argument("--sqlite-cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of the facts path.")
    parser.add_argument(
        "--timeline-runs", type=int, default=1, help="Runs of the timeline path (0 = skip)."
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    rows = [run_pg(args.pg_cases, args.repeat, args.timeline_runs)]
    if not args.skip_sqlite:
        rows.append(run_sqlite(args.sqlite_cases, args.repeat, args.timeline_runs))
    _print(rows)
    print(
        "target: PostgreSQL facts path <= 3 s for 1M cases. 'read' = reading the cohort "
        "(facts: arrays from case_facts; timeline: building the per-case facts), 'agg' = all "
        "breakdowns, percentiles and distributions."
    )


if __name__ == "__main__":
    main()
