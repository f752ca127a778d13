"""``case_facts`` kept current entry by entry equals the table rebuilt from the timeline, and the
report read from it equals the pure report, on random legal timelines (in-memory SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.seed_data import seed_categories
from dispatch.reports.pure import report_from_timelines
from dispatch.reports.service import FactsNotBuilt, build_report
from dispatch.reports.store import (
    FACTS_VERSION,
    ensure_case_facts,
    facts_ready,
    main,
    rebuild_case_facts,
)
from models import Base, Case, CaseEvent, CaseFact, CaseFactsBuild
from tests.unit.reports.scenario import write_through_lifecycle
from tests.unit.reports.strategies import BASE, batches

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def sessions() -> Iterator[sessionmaker[Session]]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    with factory() as s:
        seed_categories(s)
        s.commit()
    yield factory
    engine.dispose()


def _facts(session: Session) -> list[tuple[object, ...]]:
    return [tuple(r) for r in session.execute(select(CaseFact).order_by(CaseFact.case_id))]


def _rows(session: Session) -> list[tuple[object, ...]]:
    cols = [c for c in CaseFact.__table__.columns if c.name != "report_record"]
    return [tuple(r) for r in session.execute(select(*cols).order_by(CaseFact.case_id))]


def _clear(session: Session) -> None:
    for table in (CaseFact, CaseEvent, Case, CaseFactsBuild):
        session.execute(delete(table))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cases=batches(max_size=6),
    flushes=st.frozensets(st.integers(0, 13), max_size=4),
    due_after=st.integers(0, 14),
    as_of_min=st.integers(0, 24 * 60),
)
def test_incremental_facts_equal_rebuilt_facts_and_the_report_equals_the_pure_one(
    sessions: sessionmaker[Session], cases, flushes: frozenset[int], due_after: int,
    as_of_min: int,
) -> None:  # fmt: skip
    start, end = BASE, BASE + 3 * DAY
    as_of = end + timedelta(minutes=as_of_min)  # some timelines go on after as_of
    with sessions() as s:
        _clear(s)
        for info, events in cases:
            write_through_lifecycle(s, info, events, due_after=due_after, flush_after=flushes)
        s.flush()
        incremental = _rows(s)
        assert len(incremental) == len(cases)
        rebuild_case_facts(s)
        assert _rows(s) == incremental
        got = build_report(s, start=start, end=end, as_of=as_of, engine="facts")
        s.rollback()
    pure = report_from_timelines(
        [(info, events) for info, events in cases], start=start, end=end, as_of=as_of,
        teams={},
    )  # fmt: skip
    assert got.engine == "sqlite+facts"
    assert got.model_dump(exclude={"engine"}) == pure.model_dump(exclude={"engine"})


def test_a_report_attribute_changed_without_an_entry_needs_a_refresh(
    sessions: sessionmaker[Session],
) -> None:
    from dispatch.reports.store import refresh_case_facts
    from tests.unit.reports.scenario import SPECS, info, timeline

    fixed, events = info(SPECS[0], 1), timeline(SPECS[0])
    with sessions() as s:
        _clear(s)
        case = write_through_lifecycle(s, fixed, events, due_after=0)
        s.commit()
    with sessions() as s:  # a new session that appends nothing: the hook is not listening
        case = s.get_one(Case, 1)
        case.district_id = "D2"
        s.flush()
        assert s.scalar(select(CaseFact.district)) == "D1"
        refresh_case_facts(s, [1])
        assert s.scalar(select(CaseFact.district)) == "D2"
        s.rollback()


def test_engines_pick_the_facts_table_only_when_built_by_this_version(
    sessions: sessionmaker[Session],
) -> None:
    window = {"start": BASE, "end": BASE + DAY}
    with sessions() as s:
        _clear(s)
        assert not facts_ready(s.connection())
        assert build_report(s, **window).engine == "sqlite"  # the timeline in SQL
        with pytest.raises(FactsNotBuilt):
            build_report(s, **window, engine="facts")
        s.add(CaseFactsBuild(version=FACTS_VERSION - 1, built_at=BASE, cases=0))
        s.flush()
        assert not facts_ready(s.connection())  # an older derivation is not trusted
        rebuild_case_facts(s)
        assert facts_ready(s.connection())
        assert build_report(s, **window).engine == "sqlite+facts"
        assert build_report(s, **window, engine="timeline").engine == "sqlite"
        s.rollback()


def test_ensure_rebuilds_only_when_the_cache_is_not_trusted(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s:
        _clear(s)
        assert ensure_case_facts(s) == 0  # a new database: built at once, empty
        assert facts_ready(s.connection())
        assert ensure_case_facts(s) is None  # already current: nothing to do
        builds = s.scalar(select(func.count()).select_from(CaseFactsBuild))
        assert builds == 1
        s.add(CaseFactsBuild(version=FACTS_VERSION - 1, built_at=BASE, cases=0))
        s.flush()
        assert ensure_case_facts(s) == 0  # an older derivation recorded last: rebuilt
        assert facts_ready(s.connection())
        s.rollback()


def test_rebuild_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO categories (code, name_zh, name_en, clock, deadline_unit, "
                          "default_priority, dedup_radius_m, dedup_window_s, open311) VALUES "
                          "('X', 'x', 'x', 'continuous', 'minute', 2, 50, 1800, 0)"))  # fmt: skip
        conn.execute(text("INSERT INTO cases (id, code, state, category_code, priority, source, "
                          "description, triage, event_count, first_seen_at, last_seen_at, "
                          "reported_at, sla_warned, extension_count, escalation_count, "
                          "rework_count, version, updated_at) VALUES (7, 'C7', 'reported', 'X', "
                          "2, 'citizen', '', 0, 1, '2026-11-02 01:00:00.000000', "
                          "'2026-11-02 01:00:00.000000', '2026-11-02 01:00:00.000000', '[]', "
                          "0, 0, 0, 1, '2026-11-02 01:00:00.000000')"))  # fmt: skip
    engine.dispose()
    main(["--database-url", url])
    assert "1 cases" in capsys.readouterr().out
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT case_id, final_state, last_event_at FROM case_facts")).one()
        assert tuple(row) == (7, "reported", None)  # no timeline yet: reported, no entries
    engine.dispose()
