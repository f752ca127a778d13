"""Comparisons: period over period, area vs area, before/after a date (e.g. a claimed 60% gain).

Each comparison puts two ``GroupStats`` side by side and lists, per indicator, per clock (mean
and p50) and for the composite score, ``a``, ``b``, the change ``b - a`` and the relative change
``b / a - 1``. ``improved`` says whether ``b`` is better than ``a`` given the indicator's
direction. For a before/after claim, ``efficiency_gain`` is the relative reduction of the mean
handling time (平均处置时长): 0.6 means "60% faster".

Both periods are judged with the same maturity: ``as_of - end`` is the same for ``a`` and ``b``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from core.clock import ensure_utc
from dispatch.reports.config import CLOCKS, ReportConfig, default_config
from dispatch.reports.model import GroupStats, Report
from dispatch.reports.service import Engine, build_report

ComparisonKind = Literal["period_over_period", "area", "before_after"]


class Delta(BaseModel):
    """One compared value."""

    key: str = Field(description="Indicator key, clock statistic (arrive.p50_s) or composite.")
    a: float | None
    b: float | None
    change: float | None = Field(description="b - a.")
    relative: float | None = Field(description="b / a - 1 (None when a is 0 or missing).")
    improved: bool | None = Field(description="b better than a (None when equal or missing).")


class Comparison(BaseModel):
    """Two groups and their differences."""

    kind: ComparisonKind
    label_a: str
    label_b: str
    a: GroupStats
    b: GroupStats
    deltas: list[Delta]
    efficiency_gain: float | None = Field(
        description="1 - mean handling time of b / of a (0.6 = 60% faster)."
    )


def _delta(key: str, a: float | None, b: float | None, higher_is_better: bool) -> Delta:
    if a is None or b is None:
        return Delta(key=key, a=a, b=b, change=None, relative=None, improved=None)
    change = b - a
    relative = None if a == 0 else b / a - 1
    improved = None if change == 0 else (change > 0) == higher_is_better
    return Delta(key=key, a=a, b=b, change=change, relative=relative, improved=improved)


def deltas(a: GroupStats, b: GroupStats, config: ReportConfig) -> list[Delta]:
    """Indicator, clock and composite differences from ``a`` to ``b``."""
    out = [
        _delta(i.key, a.indicators.get(i.key), b.indicators.get(i.key), i.higher_is_better)
        for i in config.indicators
    ]
    for clock in CLOCKS:
        ca, cb = a.clocks.get(clock), b.clocks.get(clock)
        for stat in ("mean_s", "p50_s", "p90_s"):
            va = None if ca is None else getattr(ca, stat)
            vb = None if cb is None else getattr(cb, stat)
            out.append(_delta(f"{clock}.{stat}", va, vb, higher_is_better=False))
    out.append(_delta("composite", a.composite, b.composite, higher_is_better=True))
    return out


def _gain(a: GroupStats, b: GroupStats) -> float | None:
    ma, mb = a.clocks.get("handling"), b.clocks.get("handling")
    if ma is None or mb is None or not ma.mean_s or mb.mean_s is None:
        return None
    return 1 - mb.mean_s / ma.mean_s


def compare(
    kind: ComparisonKind,
    a: GroupStats,
    b: GroupStats,
    labels: tuple[str, str],
    config: ReportConfig | None = None,
) -> Comparison:
    """Put two groups side by side."""
    cfg = config or default_config()
    return Comparison(
        kind=kind,
        label_a=labels[0],
        label_b=labels[1],
        a=a,
        b=b,
        deltas=deltas(a, b, cfg),
        efficiency_gain=_gain(a, b),
    )


def _overall(
    session: Session,
    window: tuple[datetime, datetime, datetime],
    config: ReportConfig,
    engine: Engine,
) -> Report:
    start, end, as_of = window
    return build_report(
        session, start=start, end=end, as_of=as_of, breakdowns=(), config=config, engine=engine
    )


def period_over_period(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    config: ReportConfig | None = None,
    engine: Engine = "sql",
) -> Comparison:
    """``[start, end)`` against the period of the same length just before it."""
    cfg = config or default_config()
    lo, hi = ensure_utc(start), ensure_utc(end)
    lag = (ensure_utc(as_of) if as_of else hi) - hi
    span = hi - lo
    prev = _overall(session, (lo - span, lo, lo + lag), cfg, engine)
    cur = _overall(session, (lo, hi, hi + lag), cfg, engine)
    labels = (f"{(lo - span).isoformat()}/{lo.isoformat()}", f"{lo.isoformat()}/{hi.isoformat()}")
    return compare("period_over_period", prev.overall, cur.overall, labels, cfg)


def before_after(
    session: Session,
    *,
    start: datetime,
    pivot: datetime,
    end: datetime,
    lag: timedelta = timedelta(0),
    config: ReportConfig | None = None,
    engine: Engine = "sql",
) -> Comparison:
    """``[start, pivot)`` (before) against ``[pivot, end)`` (after), each judged ``lag`` after
    its end."""
    cfg = config or default_config()
    lo, mid, hi = ensure_utc(start), ensure_utc(pivot), ensure_utc(end)
    if not lo < mid < hi:
        raise ValueError("before/after needs start < pivot < end")
    before = _overall(session, (lo, mid, mid + lag), cfg, engine)
    after = _overall(session, (mid, hi, hi + lag), cfg, engine)
    labels = (f"before {mid.isoformat()}", f"after {mid.isoformat()}")
    return compare("before_after", before.overall, after.overall, labels, cfg)


def area_vs_area(report: Report, dimension: str, key_a: str, key_b: str) -> Comparison:
    """Two rows of one breakdown of a report (e.g. two districts)."""
    rows: Sequence[GroupStats] = report.breakdowns.get(dimension, [])
    found = {row.keys.get(dimension): row for row in rows}
    missing = [k for k in (key_a, key_b) if k not in found]
    if missing:
        raise KeyError(f"no {dimension} row for {', '.join(missing)}")
    return compare("area", found[key_a], found[key_b], (key_a, key_b), report.config)
