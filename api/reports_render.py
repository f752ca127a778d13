"""Report downloads: CSV, XLSX (one sheet per breakdown), HTML with inline SVG charts and print
CSS, and PDF (fpdf2, with a CJK font installed on the machine: never downloaded)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from fpdf import FPDF
from openpyxl import Workbook

from dispatch.reports.charts import bar_chart, heat_map, line_chart, share_color
from dispatch.reports.config import CLOCKS, MEASURE_DOCS
from dispatch.reports.facts import OUTCOMES
from dispatch.reports.model import GroupStats, Report

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
PDF_ROWS_PER_BREAKDOWN = 40
Cell = str | int | float | None


def columns(report: Report, dims: Sequence[str]) -> list[str]:
    """Column names of a flat table: dimensions, indicators, composite, clocks, counts."""
    cols = [*dims, *(i.key for i in report.config.indicators), "composite"]
    for clock in CLOCKS:
        cols += [f"{clock}_n", f"{clock}_mean_s", f"{clock}_p50_s", f"{clock}_p90_s"]
        cols.append(f"{clock}_within_target")
    cols += [f"n_{m}" for m in report.overall.counts]
    return cols + [f"outcome_{o}" for o in OUTCOMES]


def row_cells(row: GroupStats, dims: Sequence[str], report: Report) -> list[Cell]:
    """One flat row (values in the order of ``columns``)."""
    cells: list[Cell] = [row.keys.get(d) for d in dims]
    cells += [row.indicators.get(i.key) for i in report.config.indicators]
    cells.append(row.composite)
    for clock in CLOCKS:
        c = row.clocks[clock]
        cells += [c.n, c.mean_s, c.p50_s, c.p90_s, c.within_target]
    cells += list(row.counts.values())
    return cells + [row.outcomes.get(o, 0) for o in OUTCOMES]


def _tables(report: Report) -> list[tuple[str, list[str], list[GroupStats]]]:
    out: list[tuple[str, list[str], list[GroupStats]]] = [("overall", [], [report.overall])]
    for name, rows in report.breakdowns.items():
        out.append((name, name.split("+"), rows))
    return out


def to_csv(report: Report, breakdown: str | None = None) -> str:
    """Every table (or one breakdown) in one CSV, with a ``breakdown`` column first."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    all_dims = sorted({d for name in report.breakdowns for d in name.split("+")})
    writer.writerow(["breakdown", *columns(report, all_dims)])
    for name, _, rows in _tables(report):
        if breakdown is None or name == breakdown:
            for row in rows:
                writer.writerow([name, *row_cells(row, all_dims, report)])
    return buf.getvalue()


def to_xlsx(report: Report) -> bytes:
    """A workbook: Summary, Definitions, one sheet per breakdown, Distributions."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    summary.append(["period", report.start.isoformat(), report.end.isoformat()])
    summary.append(["as_of", report.as_of.isoformat(), report.timezone])
    summary.append(["composite", report.overall.composite])
    summary.append(["indicator", "名称", "name", "formula", "value"])
    for item in report.config.indicators:
        value = report.overall.indicators.get(item.key)
        summary.append([item.key, item.name_zh, item.name_en, item.formula, value])
    defs = book.create_sheet("Definitions")
    defs.append(["measure", "definition"])
    for measure, text in MEASURE_DOCS.items():
        defs.append([measure.value, text])
    for name, dims, rows in _tables(report):
        sheet = book.create_sheet(name[:31])
        sheet.append(columns(report, dims))
        for row in rows:
            sheet.append(row_cells(row, dims, report))
        sheet.freeze_panes = "B2" if dims else "A2"
    dist = book.create_sheet("Distributions")
    dist.append(["clock", "upper_s", "cases"])
    for clock, bins in report.histograms.items():
        for b in bins:
            dist.append([clock, b.upper_s, b.count])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fmt(value: Cell, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and ("rate" in key or "precision" in key or "within" in key):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return escape(str(value))


def charts(report: Report, grid_shapes: Mapping[str, str] | None = None) -> list[str]:
    """SVG charts: daily trend, per-clock distributions, SLA heat map by grid."""
    out = []
    days = report.breakdowns.get("day", [])
    if days:
        labels = [str(r.keys["day"])[5:] for r in days]
        out.append(line_chart("Daily handling rate / on-time handling rate", labels, {
            "handling_rate": [r.indicators.get("handling_rate") for r in days],
            "on_time_handling_rate": [r.indicators.get("on_time_handling_rate") for r in days],
        }))  # fmt: skip
        out.append(line_chart("Daily p50 / p90 arrive (s)", labels, {
            "p50": [r.clocks["arrive"].p50_s for r in days],
            "p90": [r.clocks["arrive"].p90_s for r in days],
        }))  # fmt: skip
    for clock, bins in report.histograms.items():
        bars = [(f"<={b.upper_s / 60:g}m" if b.upper_s else "more", float(b.count)) for b in bins]
        out.append(bar_chart(f"{clock} time distribution (cases)", bars))
    if grid_shapes and "grid" in report.breakdowns:
        shares = {
            str(r.keys["grid"]): r.indicators.get("on_time_handling_rate")
            for r in report.breakdowns["grid"]
        }
        shapes = {k: v for k, v in grid_shapes.items() if k in shares}
        out.append(heat_map("On-time handling by grid", shapes, shares))
    return out


_CSS = """body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:24px;
color:#222}
table{border-collapse:collapse;margin:8px 0 24px;font-size:12px}th,td{border:1px solid #bbb;
padding:3px 6px;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}
.kpis{display:flex;flex-wrap:wrap;gap:8px}.kpi{border:1px solid #ccc;padding:8px;min-width:130px}
.kpi b{display:block;font-size:20px}svg{max-width:100%;height:auto;margin:8px 0}
@media print{body{margin:0}h2{page-break-before:always}table,svg{page-break-inside:avoid}
@page{size:A4 landscape;margin:12mm}}"""
_SHOWN = ("handling_rate", "on_time_handling_rate", "rework_rate", "closure_rate", "ai_precision")


def _html_table(report: Report, dims: list[str], rows: Sequence[GroupStats]) -> str:
    head = [*dims, "cases", *_SHOWN, "composite", "arrive p50 s", "resolve p50 s"]
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = [_fmt(r.keys.get(d)) for d in dims] + [_fmt(r.counts["cases"])]
        for key in _SHOWN:
            v = r.indicators.get(key)
            cells.append(f'<span style="color:{share_color(v)}">■</span> {_fmt(v, key)}')
        cells += [_fmt(r.composite), _fmt(r.clocks["arrive"].p50_s)]
        cells.append(_fmt(r.clocks["resolve"].p50_s))
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(out) + "</table>"


def to_html(report: Report, grid_shapes: Mapping[str, str] | None = None) -> str:
    """A self-contained page (inline CSS and SVG) that prints cleanly to PDF."""
    o = report.overall
    kpis = "".join(
        f'<div class="kpi">{escape(i.name_zh)} {escape(i.name_en)}'
        f"<b>{_fmt(o.indicators.get(i.key), i.key)}</b><small>{escape(i.formula)}</small></div>"
        for i in report.config.indicators
    )
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>Report</title>"
        f"<style>{_CSS}</style></head><body><h1>效能报告 Efficiency report</h1>",
        f"<p>{report.start.isoformat()} – {report.end.isoformat()} (as of "
        f"{report.as_of.isoformat()}, {escape(report.timezone)}); composite "
        f"<b>{_fmt(o.composite)}</b> / {report.config.max_score:g}</p>",
        f'<div class="kpis">{kpis}</div>',
        "".join(charts(report, grid_shapes)),
    ]
    for name, dims, rows in _tables(report)[1:]:
        parts.append(f"<h2>{escape(name)}</h2>{_html_table(report, dims, rows)}")
    return "".join(parts) + "</body></html>"


def find_cjk_font(candidates: Sequence[Path] = CJK_FONTS) -> Path | None:
    """The first installed CJK font file (Debian fonts-wqy-microhei or fonts-noto-cjk)."""
    return next((p for p in candidates if p.is_file()), None)


def _pdf_table(pdf: FPDF, report: Report, dims: list[str], rows: Sequence[GroupStats]) -> None:
    head = [*dims, "cases", *_SHOWN, "composite"]
    pdf.set_font("cjk", size=7)
    with pdf.table(text_align="RIGHT") as table:
        table.row(head)
        for r in rows[:PDF_ROWS_PER_BREAKDOWN]:
            cells = [str(r.keys.get(d) or "–") for d in dims] + [str(r.counts["cases"])]
            cells += [_fmt(r.indicators.get(k), k) for k in _SHOWN] + [_fmt(r.composite)]
            table.row(cells)
    if len(rows) > PDF_ROWS_PER_BREAKDOWN:
        pdf.cell(text=f"first {PDF_ROWS_PER_BREAKDOWN} of {len(rows)} rows; all rows in XLSX")
        pdf.ln()


def to_pdf(
    report: Report, *, font_path: Path | None = None, grid_shapes: Mapping[str, str] | None = None
) -> bytes:
    """A printable PDF: indicators, charts and the breakdown tables (first rows of each)."""
    font = font_path or find_cjk_font()
    if font is None:
        raise RuntimeError("no CJK font found: install fonts-wqy-microhei or fonts-noto-cjk")
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font("cjk", fname=str(font))
    pdf.add_font("cjk", style="B", fname=str(font))  # table headings; the face has no bold
    pdf.set_font("cjk", size=14)
    pdf.add_page()
    pdf.cell(text="效能报告 Efficiency report")
    pdf.ln(8)
    pdf.set_font("cjk", size=9)
    o = report.overall
    pdf.cell(
        text=f"{report.start.isoformat()} - {report.end.isoformat()}  composite {_fmt(o.composite)}"
    )
    pdf.ln(8)
    pdf.set_font("cjk", size=8)
    with pdf.table() as table:
        table.row(["指标 indicator", "formula", "value"])
        for i in report.config.indicators:
            table.row([f"{i.name_zh} {i.name_en}", i.formula, _fmt(o.indicators.get(i.key), i.key)])
    for svg in charts(report, grid_shapes):
        pdf.add_page()
        pdf.image(io.BytesIO(svg.encode()), w=250)
    for name, dims, rows in _tables(report)[1:]:
        pdf.add_page()
        pdf.set_font("cjk", size=11)
        pdf.cell(text=name)
        pdf.ln(7)
        _pdf_table(pdf, report, dims, rows)
    return bytes(pdf.output())
