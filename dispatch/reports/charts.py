"""Inline SVG charts for reports (pure strings; no JavaScript, no external assets).

Labels are kept to ASCII-safe text passed in by the caller so the same SVG renders in a browser
and inside the PDF (fpdf2 draws SVG text with its core fonts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from shapely import wkt
from shapely.geometry.base import BaseGeometry

WIDTH, HEIGHT, PAD = 640.0, 240.0, 40.0
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")


def _svg(body: str, title: str, height: float = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        f'width="{WIDTH:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title)}">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f'<text x="{PAD}" y="20" font-size="14" font-family="sans-serif">{escape(title)}</text>'
        f"{body}</svg>"
    )


def _axes(top: float, labels: Sequence[str]) -> str:
    base = HEIGHT - PAD
    out = [f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#444"/>']
    out.append(f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{base}" stroke="#444"/>')
    out.append(f'<text x="4" y="{PAD + 4}" font-size="10" font-family="sans-serif">{top:g}</text>')
    step = max(1, len(labels) // 8)
    span = (WIDTH - PAD - 20) / max(1, len(labels) - 1 if len(labels) > 1 else 1)
    for i in range(0, len(labels), step):
        x = PAD + i * span
        out.append(
            f'<text x="{x:.1f}" y="{base + 14}" font-size="9" font-family="sans-serif" '
            f'text-anchor="middle">{escape(labels[i])}</text>'
        )
    return "".join(out)


def line_chart(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> str:
    """A line per series over the labels (gaps where a value is missing)."""
    values = [v for s in series.values() for v in s if v is not None]
    top = max(values, default=1.0) or 1.0
    span = (WIDTH - PAD - 20) / max(1, len(labels) - 1)
    height = HEIGHT - 2 * PAD
    body = [_axes(top, labels)]
    for n, (name, points) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        coords = [
            f"{PAD + i * span:.1f},{HEIGHT - PAD - v / top * height:.1f}"
            for i, v in enumerate(points)
            if v is not None
        ]
        if coords:
            body.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                f'points="{" ".join(coords)}"/>'
            )
        body.append(
            f'<text x="{WIDTH - 150}" y="{20 + 14 * n}" font-size="11" fill="{color}" '
            f'font-family="sans-serif">{escape(name)}</text>'
        )
    return _svg("".join(body), title)


def bar_chart(title: str, bars: Sequence[tuple[str, float]]) -> str:
    """Vertical bars, one per (label, value)."""
    top = max((v for _, v in bars), default=1.0) or 1.0
    slot = (WIDTH - PAD - 20) / max(1, len(bars))
    height = HEIGHT - 2 * PAD
    body = [_axes(top, [])]
    for i, (label, value) in enumerate(bars):
        h = value / top * height
        x = PAD + i * slot + 2
        body.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{max(1.0, slot - 4):.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {value:g}</title></rect>'
            f'<text x="{x + slot / 2 - 2:.1f}" y="{HEIGHT - PAD + 12}" font-size="8" '
            f'font-family="sans-serif" text-anchor="middle">{escape(label)}</text>'
        )
    return _svg("".join(body), title)


def share_color(share: float | None) -> str:
    """Red (0) - amber (0.5) - green (1); grey when unknown."""
    if share is None:
        return "#cccccc"
    s = min(1.0, max(0.0, share))
    red = 220 if s < 0.5 else int(220 - (s - 0.5) * 2 * 180)
    green = int(60 + s * 2 * 130) if s < 0.5 else 190
    return f"#{red:02x}{green:02x}50"


def _rings(geom: BaseGeometry) -> list[list[tuple[float, float]]]:
    polys = getattr(geom, "geoms", [geom])
    rings = []
    for poly in polys:
        exterior = getattr(poly, "exterior", None)
        if exterior is not None:
            rings.append([(float(x), float(y)) for x, y in exterior.coords])
    return rings


def heat_map(title: str, shapes: Mapping[str, str], shares: Mapping[str, float | None]) -> str:
    """Polygons (WKT, lon/lat) coloured by their share within target."""
    rings = {key: _rings(wkt.loads(text)) for key, text in shapes.items()}
    points = [p for rs in rings.values() for r in rs for p in r]
    if not points:
        return _svg('<text x="40" y="60" font-size="12">no area geometry</text>', title)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    w, h = (max(xs) - min(xs)) or 1e-9, (max(ys) - min(ys)) or 1e-9
    scale = min((WIDTH - 2 * PAD) / w, (HEIGHT - 2 * PAD) / h)
    body = []
    for key, rs in rings.items():
        for ring in rs:
            pts = " ".join(
                f"{PAD + (x - min(xs)) * scale:.1f},{HEIGHT - PAD - (y - min(ys)) * scale:.1f}"
                for x, y in ring
            )
            share = shares.get(key)
            label = "n/a" if share is None else f"{share:.0%}"
            body.append(
                f'<polygon points="{pts}" fill="{share_color(share)}" stroke="#555" '
                f'stroke-width="0.5"><title>{escape(key)}: {label}</title></polygon>'
            )
    return _svg("".join(body), title)
