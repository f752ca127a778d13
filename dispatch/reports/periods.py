"""Calendar periods (day, ISO week, month) in a local time zone, as labels and UTC boundaries.

Both report paths bucket a case by the local time of its report: the pure path labels each
instant directly, the SQL paths compare with the UTC boundaries listed here (so daylight-saving
zones and SQLite, which knows no zones, get the same buckets).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.clock import ensure_utc


class Granularity(StrEnum):
    """Period lengths a breakdown can use."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_label(instant: datetime, granularity: Granularity, tz: str) -> str:
    """The label of the period holding ``instant``: 2026-11-23, 2026-W48 or 2026-11."""
    return date_label(ensure_utc(instant).astimezone(ZoneInfo(tz)).date(), granularity)


def date_label(day: date, granularity: Granularity) -> str:
    """The label of the period holding the local date ``day``."""
    if granularity is Granularity.DAY:
        return day.isoformat()
    if granularity is Granularity.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _period_start(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return day
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_start(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_bounds(
    start: datetime, end: datetime, granularity: Granularity, tz: str
) -> list[tuple[datetime, str]]:
    """``(utc_start, label)`` of every period overlapping ``[start, end)``, in order.

    The first period may begin before ``start`` (a partial period keeps its label).
    """
    zone = ZoneInfo(tz)
    lo, hi = ensure_utc(start), ensure_utc(end)
    day = _period_start(lo.astimezone(zone).date(), granularity)
    out: list[tuple[datetime, str]] = []
    while True:
        at = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        if at >= hi and out:
            return out
        out.append((at, date_label(day, granularity)))
        day = _next_start(day, granularity)
