"""Reports on real databases (SQLite and PostgreSQL): the SQL paths reproduce the hand-computed
scenario exactly; comparisons, the HTTP API and the CLI on top of them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from api.app import create_app
from api.auth import issue_token
from api.container import build_container
from api.seed_data import seed_categories
from core.bus import InMemoryBus
from core.clock import ManualClock
from core.settings import Settings
from dispatch.reports import (
    Dimension,
    area_vs_area,
    before_after,
    build_report,
    period_over_period,
)
from dispatch.reports.pure import report_from_timelines
from dispatch.reports.store import ensure_case_facts, rebuild_case_facts
from models import Base, Case, CaseEvent, CaseFact, Category, Staff, User
from models.engine import make_engine, make_session_factory
from tests.unit.reports import expected as x
from tests.unit.reports.checks import WITH_COMMUNITY, check_breakdowns, check_overall
from tests.unit.reports.scenario import END, START, write_scenario
from tests.unit.reports.strategies import BASE, batches

DAY = timedelta(days=1)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as s:
        seed_categories(s)
        write_scenario(s)
        s.commit()
    yield factory
    engine.dispose()


@pytest.mark.parametrize("path", ["timeline", "facts"])
def test_sql_report_matches_the_hand_values(
    sessions: sessionmaker[Session], db_url: str, path: Literal["timeline", "facts"]
) -> None:
    with sessions() as s:
        ensure_case_facts(s)
        report = build_report(s, start=START, end=END, engine=path, breakdowns=WITH_COMMUNITY)
    assert "community" in report.breakdowns and "street" in report.breakdowns
    dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    assert report.engine == dialect + ("+facts" if path == "facts" else "")
    check_overall(report)
    check_breakdowns(report)


def test_python_and_sql_engines_agree_on_every_number(sessions: sessionmaker[Session]) -> None:
    breakdowns: list[tuple[Dimension, ...]] = [
        (Dimension(d),) for d in ("category", "week", "month", "unit")
    ]
    breakdowns.append((Dimension.DISTRICT, Dimension.STAFF))
    with sessions() as s:
        sql = build_report(s, start=START, end=END, breakdowns=breakdowns, engine="sql")
        py = build_report(s, start=START, end=END, breakdowns=breakdowns, engine="python")
    assert sql.model_dump(exclude={"engine"}) == py.model_dump(exclude={"engine"})
    assert [r.keys["week"] for r in sql.breakdowns["week"]] == ["2026-W48"]


def test_comparisons_before_after_period_and_area(sessions: sessionmaker[Session]) -> None:
    pivot = START + DAY  # day 2 starts
    with sessions() as s:
        result = before_after(s, start=START, pivot=pivot, end=END, lag=DAY)
    assert (result.a.counts["cases"], result.b.counts["cases"]) == (17, 11)
    # Day 1 handling (as of END): 1740 1140 2580 2340 2940 4140 1200 10200 7740 1440 6600 39600
    # -> 81660 / 12 = 6805. Day 2 as of END + 1 day (c16 now handled at 16:20Z, 49 min after
    # its 15:31Z dispatch): 2940 1080 2340 1200 2400 -> 9960 / 5 = 1992.
    assert result.a.clocks["handling"].mean_s == 6805.0
    assert result.b.clocks["handling"].mean_s == 1992.0
    assert result.efficiency_gain == pytest.approx(1 - 1992 / 6805)
    gain = next(d for d in result.deltas if d.key == "handling.mean_s")
    assert gain.improved is True and gain.change == 1992.0 - 6805.0
    with sessions() as s:
        pop = period_over_period(s, start=START, end=END)
        report = build_report(s, start=START, end=END)
    assert (pop.a.counts["cases"], pop.b.counts["cases"]) == (1, 28)  # only c28 before START
    areas = area_vs_area(report, "district", "D1", "D2")
    composite = next(d for d in areas.deltas if d.key == "composite")
    assert composite.a == pytest.approx(63 + 50 / 3, abs=1e-6)
    assert composite.b == pytest.approx(80.0)
    assert composite.improved is True
    with pytest.raises(KeyError, match="D9"):
        area_vs_area(report, "district", "D1", "D9")


@pytest.fixture
def client(sessions: sessionmaker[Session], db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    from api.routes import reports

    clock = ManualClock(END + DAY)
    container = build_container(
        Settings(var_dir=tmp_path, database_url=db_url), clock=clock, bus=InMemoryBus()
    )
    app = create_app(container, run_background=False)
    if not any(getattr(r, "path", "").startswith("/reports") for r in app.routes):
        app.include_router(reports.router)  # until api/app.py includes it
    with TestClient(app) as c:
        c.headers.update(_bearer(container.jwt_secret, "manager", clock))
        yield c


def _bearer(secret: str, role: str, clock: ManualClock) -> dict[str, str]:
    user = User(id=f"u-{role}", username=role, role=role, staff_id=None)
    token = issue_token(user, secret=secret, now=clock.now(), ttl_s=3600)
    return {"Authorization": f"Bearer {token}"}


RANGE = {"from": START.isoformat(), "to": END.isoformat()}


BAD_REQUESTS = [
    ({"by": "planet"}, "bad_breakdown"),
    ({"from": END.isoformat(), "to": START.isoformat()}, "bad_report_request"),
    ({"as_of": START.isoformat()}, "bad_report_request"),
]


def test_api_json_definitions_roles_errors_and_comparisons(client: TestClient) -> None:
    r = client.get("/reports", params={**RANGE, "by": "district,category"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["overall"]["counts"]["due"] == x.COUNTS[x.M.DUE]
    assert body["overall"]["composite"] == pytest.approx(x.COMPOSITE, abs=1e-6)
    assert set(body["breakdowns"]) == {"district", "category"}
    defs = client.get("/reports/indicators").json()
    assert defs["measures"]["dispatches"].startswith("`dispatch` actions")
    assert [t["weight"] for t in defs["config"]["composite"]] == [30, 20, 20, 20, 10]
    for params, code in BAD_REQUESTS:
        r = client.get("/reports", params={**RANGE, **params})
        assert (r.status_code, r.json()["code"]) == (422, code), params
    container = client.app.state.container  # type: ignore[attr-defined]
    for role, status in (("field", 403), ("integrator", 403), ("operator", 200), ("admin", 200)):
        headers = _bearer(container.jwt_secret, role, container.clock)
        assert client.get("/reports/indicators", headers=headers).status_code == status, role
    assert client.get("/reports/indicators", headers={"Authorization": ""}).status_code == 401
    pivot = (START + DAY).isoformat()
    r = client.get("/reports/compare/before-after", params={**RANGE, "pivot": pivot})
    assert r.status_code == 200 and r.json()["kind"] == "before_after"
    r = client.get("/reports/compare/areas", params={**RANGE, "a": "D1", "b": "D2"})
    assert r.json()["b"]["counts"]["cases"] == 12
    r = client.get("/reports/compare/areas", params={**RANGE, "a": "D1", "b": "D7"})
    assert r.status_code == 422
    r = client.get("/reports/compare/period", params=RANGE)
    assert r.json()["a"]["counts"]["cases"] == 1


def test_api_downloads(client: TestClient) -> None:
    params = {**RANGE, "by": "district,grid,day"}
    csv_ = client.get("/reports/export", params={**params, "format": "csv"})
    assert csv_.headers["content-type"].startswith("text/csv")
    lines = csv_.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("breakdown,day,district,grid,valid_report_rate")
    assert len(lines) == 1 + 1 + 2 + 3 + 2  # header, overall, 2 days, 3 grids, 2 districts
    xlsx = client.get("/reports/export", params={**params, "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Summary", "Definitions", "overall", "district", "grid", "day",
                               "Distributions"]  # fmt: skip
    assert book["district"].max_row == 3
    html = client.get("/reports/export", params={**params, "format": "html"}).text
    assert "<svg" in html and "按期处置率" in html and "@media print" in html
    if "postgresql" in str(client.app.state.container.settings.database_url):  # type: ignore[attr-defined]
        return  # the PDF does not depend on the database; render it once (SQLite) to save time
    pdf = client.get("/reports/export", params={**params, "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "按期处置率" in text and "55.0%" in text  # 11/20 on-time handling


def test_cli_writes_the_report(sessions: sessionmaker[Session], db_url: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import typer

    from api.cli_reports import report

    monkeypatch.setenv("SMARTSCENE_DATABASE_URL", db_url)
    app = typer.Typer()
    app.command()(report)
    out = tmp_path / "r.xlsx"
    args = [
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-25",
        "--by",
        "area,category",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book["Summary"]["B3"].value == pytest.approx(x.COMPOSITE, abs=1e-6)
    assert {"district", "category"} <= set(book.sheetnames)
    bad = CliRunner().invoke(app, ["--from", "2026-11-25", "--to", "2026-11-23"])
    assert bad.exit_code != 0


@pytest.fixture(scope="module")
def memory_sessions() -> Iterator[sessionmaker[Session]]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    with factory() as s:
        seed_categories(s)
        s.commit()
    yield factory
    engine.dispose()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=batches(max_size=8))
def test_sqlite_sql_path_equals_the_pure_path_on_random_timelines(
    memory_sessions: sessionmaker[Session], cases
) -> None:
    start, end, as_of = BASE, BASE + 3 * DAY, BASE + 5 * DAY
    with memory_sessions() as s:
        s.execute(delete(CaseEvent))
        s.execute(delete(Case))
        for info, events in cases:
            s.add(Case(
                id=info.case_id, code=f"P{info.case_id}", state=events[-1].to_state,
                category_code=info.category, source=info.source, district_id=None,
                first_seen_at=info.first_seen_at, last_seen_at=info.first_seen_at,
                reported_at=info.reported_at, handling_due_at=info.handling_due_at,
                updated_at=events[-1].at,
            ))  # fmt: skip
            s.flush()
            s.add_all(
                CaseEvent(case_id=info.case_id, seq=e.seq, at=e.at, action=e.action,
                          from_state=e.from_state, to_state=e.to_state, actor_type="user",
                          actor_id=e.actor_id, source="t", details={})
                for e in events
            )  # fmt: skip
        s.flush()
        assert s.get(Category, "MT_SPILL") is not None
        sql = build_report(s, start=start, end=end, as_of=as_of)
        s.rollback()
    pure_cases = [(replace(info, district=None), events) for info, events in cases]
    pure = report_from_timelines(pure_cases, start=start, end=end, as_of=as_of)
    assert sql.model_dump(exclude={"engine"}) == pure.model_dump(exclude={"engine"})


# --- the case_facts table (dispatch.reports.store) ---------------------------------------------


_FACT_COLUMNS = list(CaseFact.__table__.columns)


def test_facts_kept_by_the_lifecycle_equal_the_rebuild_and_the_hand_values(db_url: str) -> None:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        seed_categories(s)
        write_scenario(s, through_lifecycle=True)
        s.commit()
        incremental = [tuple(r) for r in s.execute(select(*_FACT_COLUMNS).order_by("case_id"))]
        assert len(incremental) == 30
        rebuild_case_facts(s)
        rebuilt = [tuple(r) for r in s.execute(select(*_FACT_COLUMNS).order_by("case_id"))]
        assert rebuilt == incremental  # on PostgreSQL this includes the binary records
        s.commit()
        report = build_report(s, start=START, end=END)  # "sql": the facts table once built
    engine.dispose()
    assert report.engine.endswith("+facts")
    check_overall(report)
    check_breakdowns(report)


def test_facts_timeline_and_python_agree_for_any_as_of(sessions: sessionmaker[Session]) -> None:
    breakdowns = [(Dimension(d),) for d in ("week", "month", "unit", "team", "grid")]
    breakdowns.append((Dimension.DISTRICT, Dimension.STAFF))
    with sessions() as s:
        rebuild_case_facts(s)
        s.commit()
        for as_of in (END, END + timedelta(minutes=15), END + DAY):  # c16 moves in between
            runs = {
                e: build_report(
                    s, start=START, end=END, as_of=as_of, breakdowns=breakdowns, engine=e
                ).model_dump(exclude={"engine"})
                for e in ("facts", "timeline", "python")
            }
            assert runs["facts"] == runs["timeline"] == runs["python"], as_of


@pytest.mark.postgres
def test_postgres_names_keys_missing_from_the_reference_tables(
    sessions: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("hashed keys are read on PostgreSQL only")
    from dispatch.reports import records

    with sessions() as s:
        s.execute(delete(Staff).where(Staff.id == "s3"))  # s3's cases keep "s3" as their staff
        s.execute(update(Case).where(Case.id == 3).values(camera_id=None))
        rebuild_case_facts(s)
        s.commit()
        by = [(Dimension.STAFF,), (Dimension.CAMERA,)]
        facts = build_report(s, start=START, end=END, breakdowns=by, engine="facts")
        timeline = build_report(s, start=START, end=END, breakdowns=by, engine="timeline")
        assert facts.model_dump(exclude={"engine"}) == timeline.model_dump(exclude={"engine"})
        assert "s3" in {r.keys["staff"] for r in facts.breakdowns["staff"]}

        def clash(*_: object) -> dict[int, str | None]:
            raise records.AmbiguousKeys("two values share a hash")

        monkeypatch.setattr(records, "_find_values", clash)
        fallback = build_report(s, start=START, end=END, breakdowns=by)
    assert fallback.engine == "postgresql"  # read from the timeline instead
    assert fallback.model_dump(exclude={"engine"}) == timeline.model_dump(exclude={"engine"})
