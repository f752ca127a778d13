"""Local-time windows (e.g. muck trucks banned 07:00-22:00 on weekdays) checked on UTC instants."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.clock import ensure_utc


def zone_info(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name`` or raise ``ValueError``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


class TimeWindow(BaseModel):
    """Days of week and a local time range; ``end <= start`` crosses midnight, equal = all day.

    A window that crosses midnight belongs to the day it starts on: Friday 22:00-06:00 covers
    Saturday 03:00.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[int] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7],
        min_length=1,
        description="ISO days of week, 1 = Monday ... 7 = Sunday (local time).",
    )
    start: time = Field(description="Local start time, e.g. '07:00' (inclusive).")
    end: time = Field(description="Local end time, e.g. '22:00' (exclusive).")
    timezone: str = Field(
        default="Asia/Shanghai", description="IANA time zone of start/end and days."
    )

    @field_validator("days")
    @classmethod
    def _iso_days(cls, days: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in days) or len(set(days)) != len(days):
            raise ValueError("days must be distinct ISO weekdays 1..7")
        return sorted(days)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _no_numbers(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError("give times as 'HH:MM' strings (quote them in YAML)")
        return value

    @field_validator("start", "end")
    @classmethod
    def _naive_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("times are local to `timezone`; do not give an offset")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone_info(name)
        return name

    def contains(self, instant: datetime) -> bool:
        """True when the aware ``instant`` falls inside this window."""
        local = ensure_utc(instant).astimezone(zone_info(self.timezone))
        now, today = local.time().replace(tzinfo=None), local.isoweekday()
        yesterday = 7 if today == 1 else today - 1
        if self.start == self.end:
            return today in self.days
        if self.start < self.end:
            return today in self.days and self.start <= now < self.end
        return (today in self.days and now >= self.start) or (
            yesterday in self.days and now < self.end
        )
