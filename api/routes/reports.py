"""Efficiency reports: JSON, CSV/XLSX/HTML/PDF downloads, indicator definitions, comparisons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import reports_render as render
from api.auth import Principal
from api.deps import SessionDep, require
from api.errors import ApiError
from dispatch.reports import (
    DEFAULT_BREAKDOWNS,
    Breakdown,
    Comparison,
    Report,
    ReportConfig,
    area_vs_area,
    before_after,
    build_report,
    default_config,
    parse_breakdowns,
    period_over_period,
)
from dispatch.reports.config import MEASURE_DOCS
from models import Area

router = APIRouter(prefix="/reports", tags=["reports"])
Reader = Annotated[Principal, Depends(require("manager", "operator"))]
From = Annotated[datetime, Query(alias="from", description="Range start (inclusive), with zone.")]
To = Annotated[datetime, Query(alias="to", description="Range end (exclusive), with zone.")]
AsOf = Annotated[
    datetime | None, Query(description="Judge outcomes as of this instant (default: to).")
]
By = Annotated[
    str | None,
    Query(description="Breakdowns, e.g. district,category,district+category (default: all)."),
]
EngineQ = Annotated[
    Literal["sql", "python"], Query(description="sql (database) or python (reference).")
]
Format = Literal["csv", "xlsx", "html", "pdf"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


class IndicatorsPublic(BaseModel):
    """The report configuration and what each measure counts."""

    config: ReportConfig
    measures: dict[str, str] = Field(description="Measure -> definition.")


def _breakdowns(by: str | None) -> list[Breakdown]:
    if by is None:
        return list(DEFAULT_BREAKDOWNS)
    try:
        return parse_breakdowns(by)
    except ValueError as exc:
        raise ApiError(422, "bad_breakdown", str(exc)) from exc


def _checked(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except (ValueError, KeyError) as exc:
        raise ApiError(422, "bad_report_request", str(exc).strip("'\"")) from exc


MAX_SPAN = timedelta(days=3 * 366)  # a report covers at most three years (and days, weeks)


def _check_range(start: datetime, end: datetime) -> None:
    """Refuse empty, reversed or huge periods (a 9999-year report would never finish)."""
    if end <= start:
        raise ApiError(422, "bad_report_request", "`to` must be after `from`")
    if end - start > MAX_SPAN:
        raise ApiError(422, "bad_report_request", f"a report covers at most {MAX_SPAN.days} days")


def _report(
    session: Session, start: datetime, end: datetime, as_of: datetime | None, by: str | None,
    engine: Literal["sql", "python"],
) -> Report:  # fmt: skip
    _check_range(start, end)
    breakdowns = _breakdowns(by)
    report: Report = _checked(
        lambda: build_report(
            session, start=start, end=end, as_of=as_of, breakdowns=breakdowns, engine=engine
        )
    )
    return report


@router.get("", response_model=Report)
def get_report(
    start: From, end: To, session: SessionDep, _: Reader, as_of: AsOf = None, by: By = None,
    engine: EngineQ = "sql",
) -> Report:  # fmt: skip
    """The report as JSON: overall row, one list of rows per breakdown, distributions."""
    return _report(session, start, end, as_of, by, engine)


@router.get("/indicators", response_model=IndicatorsPublic)
def indicators(_: Reader) -> IndicatorsPublic:
    """Indicator formulas, composite weights and measure definitions."""
    return IndicatorsPublic(
        config=default_config(), measures={m.value: t for m, t in MEASURE_DOCS.items()}
    )


def grid_shapes(session: Session, report: Report) -> dict[str, str]:
    """WKT of the grid cells appearing in the report (for the heat map)."""
    keys = [r.keys["grid"] for r in report.breakdowns.get("grid", []) if r.keys["grid"]]
    if not keys:
        return {}
    rows = session.execute(select(Area.id, Area.geom_wkt).where(Area.id.in_(keys)))
    return {str(i): str(w) for i, w in rows}


def export_bytes(session: Session, report: Report, fmt: Format) -> bytes:
    """The report rendered in one download format."""
    if fmt == "csv":
        return render.to_csv(report).encode("utf-8-sig")  # BOM: Excel opens CJK text right
    if fmt == "xlsx":
        return render.to_xlsx(report)
    if fmt == "html":
        return render.to_html(report, grid_shapes(session, report)).encode()
    try:
        return render.to_pdf(report, grid_shapes=grid_shapes(session, report))
    except RuntimeError as exc:
        raise ApiError(503, "pdf_unavailable", str(exc)) from exc


@router.get("/export")
def export(
    start: From, end: To, session: SessionDep, _: Reader, format: Format = "xlsx",
    as_of: AsOf = None, by: By = None,
) -> Response:  # fmt: skip
    """Download as CSV, XLSX (one sheet per breakdown), HTML (charts, print CSS) or PDF."""
    report = _report(session, start, end, as_of, by, "sql")
    name = f"report-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{format}"
    disposition = "inline" if format == "html" else "attachment"
    return Response(
        export_bytes(session, report, format),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


@router.get("/compare/period", response_model=Comparison)
def compare_period(
    start: From, end: To, session: SessionDep, _: Reader, as_of: AsOf = None
) -> Comparison:
    """This period against the one of the same length just before it."""
    _check_range(start, end)
    result: Comparison = _checked(
        lambda: period_over_period(session, start=start, end=end, as_of=as_of)
    )
    return result


@router.get("/compare/before-after", response_model=Comparison)
def compare_before_after(
    start: From, end: To, session: SessionDep, _: Reader,
    pivot: Annotated[datetime, Query(description="The change date (e.g. go-live).")],
    lag_s: Annotated[float, Query(ge=0, le=366 * 86400, description="Judge each side later.")] = 0,
) -> Comparison:  # fmt: skip
    """Before vs after a date; ``efficiency_gain`` checks claims like "60% faster"."""
    _check_range(start, end)
    result: Comparison = _checked(
        lambda: before_after(
            session, start=start, pivot=pivot, end=end, lag=timedelta(seconds=lag_s)
        )
    )
    return result


@router.get("/compare/areas", response_model=Comparison)
def compare_areas(
    start: From, end: To, session: SessionDep, _: Reader,
    a: Annotated[str, Query(description="First key, e.g. a district id.")],
    b: Annotated[str, Query(description="Second key.")],
    dimension: Annotated[str, Query(description="district, grid, unit, team, ...")] = "district",
    as_of: AsOf = None,
) -> Comparison:  # fmt: skip
    """Two areas (or teams, categories...) of the same period side by side."""
    report = _report(session, start, end, as_of, dimension, "sql")
    result: Comparison = _checked(lambda: area_vs_area(report, dimension, a, b))
    return result
