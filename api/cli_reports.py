"""``smartscene report``: compute a report and write it as xlsx, csv, html, pdf or json."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from core.clock import ensure_utc
from core.settings import Settings

console = Console(stderr=True)
STEPS = ("facts", "breakdowns", "distributions", "indicators", "render")
FORMATS = ("xlsx", "csv", "html", "pdf", "json")


def _when(text: str) -> datetime:
    """An ISO date or datetime; a date or a naive time is read in the report's zone."""
    from zoneinfo import ZoneInfo

    from dispatch.reports import default_config

    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO date or datetime") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(default_config().timezone))
    return ensure_utc(value)


def report(
    from_: Annotated[str, typer.Option("--from", help="Start (inclusive), e.g. 2026-11-01.")],
    to: Annotated[str, typer.Option("--to", help="End (exclusive), e.g. 2026-12-01.")],
    by: Annotated[
        str, typer.Option(help="Breakdowns, e.g. area,category or district+category.")
    ] = "district,category,team,source,day",
    format: Annotated[str, typer.Option(help=f"One of {', '.join(FORMATS)}.")] = "xlsx",
    out: Annotated[
        Path | None, typer.Option(help="Output file (default report-FROM-TO.EXT).")
    ] = None,
) -> None:
    """Compute the efficiency report for [--from, --to) and write it to a file."""
    from api.reports_render import to_csv, to_html, to_pdf, to_xlsx
    from dispatch.reports import build_report, parse_breakdowns
    from models.engine import make_engine, make_session_factory

    if format not in FORMATS:
        raise typer.BadParameter(f"format must be one of {FORMATS}")
    try:
        breakdowns = parse_breakdowns(by.replace("area", "district"))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    start, end = _when(from_), _when(to)
    target = out or Path(f"report-{start:%Y%m%d}-{end:%Y%m%d}.{format}")
    engine = make_engine(Settings().resolved_database_url())
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as bar, make_session_factory(engine)() as s:
            task = bar.add_task("report", total=len(STEPS))

            def step(name: str) -> None:
                bar.update(task, description=name, completed=STEPS.index(name))

            result = build_report(s, start=start, end=end, breakdowns=breakdowns, progress=step)
            step("render")
            writers = {
                "xlsx": lambda: to_xlsx(result),
                "csv": lambda: to_csv(result).encode("utf-8-sig"),
                "html": lambda: to_html(result).encode(),
                "pdf": lambda: to_pdf(result),
                "json": lambda: result.model_dump_json(indent=1).encode(),
            }
            target.write_bytes(writers[format]())
            bar.update(task, completed=len(STEPS))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        engine.dispose()
    counts = result.overall.counts
    console.print(f"{counts['cases']} cases, composite {result.overall.composite} -> {target}")
