"""Work calendars: how much SLA time passes between two instants, and when a deadline falls.

Two calendars share one interface (``SlaCalendar``):

* ``ContinuousCalendar``: every second counts (muck-truck 3/10/30 minutes).
* ``WorkCalendar``: only working periods count (e.g. 08:00-12:00 and 14:00-18:00 Monday to
  Friday in Asia/Shanghai), minus public holidays, plus make-up working days (调休) that fall on
  weekends. Built from ``WorkCalendarConfig`` (data a city edits, never constants in code).

Inputs and outputs are timezone-aware UTC datetimes; local wall time is used only inside, day by
day, so zones with daylight-saving time are handled too (a period inside a DST gap is shortened).
A working day's length for the ``working_day`` unit is ``working_day_s`` (by default the total
length of the configured ``periods``, i.e. 8 h for 08-12 + 14-18).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.clock import ensure_utc

_DAY_S = 86_400
# Longest stretch searched for working time before concluding the calendar has none.
_MAX_SCAN_DAYS = 3_700


class SlaCalendar(Protocol):
    """What SLA code needs from a calendar."""

    @property
    def working_day_s(self) -> float:
        """Length of one working day, in counted seconds (for the ``working_day`` unit)."""
        ...

    def add_working_time(self, start_utc: datetime, seconds: float) -> datetime:
        """Return the instant when ``seconds`` of counted time have passed since ``start_utc``."""
        ...

    def working_seconds_between(self, a_utc: datetime, b_utc: datetime) -> float:
        """Counted seconds in ``[a_utc, b_utc]``; negative when ``b_utc`` is before ``a_utc``."""
        ...


class ContinuousCalendar:
    """A calendar where every second counts (24/7)."""

    @property
    def working_day_s(self) -> float:
        """A calendar day."""
        return float(_DAY_S)

    def add_working_time(self, start_utc: datetime, seconds: float) -> datetime:
        """``start_utc + seconds``."""
        _check_seconds(seconds)
        return ensure_utc(start_utc) + timedelta(seconds=seconds)

    def working_seconds_between(self, a_utc: datetime, b_utc: datetime) -> float:
        """Elapsed seconds from ``a_utc`` to ``b_utc``."""
        return (ensure_utc(b_utc) - ensure_utc(a_utc)).total_seconds()


class Weekday(StrEnum):
    """Days of the week as written in calendar configs."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """Monday = 0, as ``date.weekday()``."""
        return list(Weekday).index(self)


class WorkingPeriod(BaseModel):
    """One working stretch of a day in local wall time; ``end`` may be ``24:00``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_s: int = Field(ge=0, lt=_DAY_S, description="Seconds after local midnight.")
    end_s: int = Field(gt=0, le=_DAY_S, description="Seconds after local midnight (24:00 = 86400).")

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: object) -> object:
        """Accept ``"08:00-12:00"`` as well as ``{"start_s": ..., "end_s": ...}``."""
        if isinstance(value, str):
            start, sep, end = value.partition("-")
            if not sep:
                raise ValueError(f"working period {value!r} is not 'HH:MM-HH:MM'")
            return {"start_s": _parse_hhmm(start), "end_s": _parse_hhmm(end)}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WorkingPeriod:
        if self.end_s <= self.start_s:
            raise ValueError("a working period must end after it starts (no overnight periods)")
        return self

    @property
    def length_s(self) -> int:
        """Length of the period in seconds."""
        return self.end_s - self.start_s


def _parse_hhmm(text: str) -> int:
    hours_text, sep, minutes_text = text.strip().partition(":")
    if not sep or not hours_text.isdigit() or not minutes_text.isdigit():
        raise ValueError(f"time {text!r} is not HH:MM")
    hours, minutes = int(hours_text), int(minutes_text)
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"time {text!r} is out of range")
    return hours * 3600 + minutes * 60


_DEFAULT_PERIODS = ["08:00-12:00", "14:00-18:00"]
_DEFAULT_WORKDAYS = [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI]


class WorkCalendarConfig(BaseModel):
    """A working-time calendar as data (YAML/JSON/DB row)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field(default="Asia/Shanghai", description="IANA zone of the local wall time.")
    periods: list[WorkingPeriod] = Field(
        default_factory=lambda: [WorkingPeriod.model_validate(p) for p in _DEFAULT_PERIODS],
        description="Working periods of an ordinary working day, e.g. '08:00-12:00'.",
    )
    workdays: list[Weekday] = Field(
        default_factory=lambda: list(_DEFAULT_WORKDAYS),
        description="Weekdays that are working days.",
    )
    weekday_periods: dict[Weekday, list[WorkingPeriod]] = Field(
        default_factory=dict, description="Per-weekday overrides of `periods` (e.g. short Friday)."
    )
    holidays: frozenset[date] = Field(
        default_factory=frozenset, description="Dates with no working time (public holidays)."
    )
    extra_workdays: frozenset[date] = Field(
        default_factory=frozenset,
        description="Make-up working days (调休) on otherwise free days; worked with `periods`.",
    )
    working_day_s: float | None = Field(
        default=None, gt=0, description="Seconds in one 'working day'; default: total of `periods`."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> WorkCalendarConfig:
        for periods in [self.periods, *self.weekday_periods.values()]:
            _check_no_overlap(periods)
        both = self.holidays & self.extra_workdays
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {sorted(both)}")
        if not self.periods and not any(self.weekday_periods.values()):
            raise ValueError("a working calendar needs at least one working period")
        return self


def _check_no_overlap(periods: list[WorkingPeriod]) -> None:
    ordered = sorted(periods, key=lambda p: p.start_s)
    for before, after in pairwise(ordered):
        if after.start_s < before.end_s:
            raise ValueError("working periods overlap")


class WorkCalendar:
    """Counts only working periods in a local time zone; see the module docstring."""

    def __init__(self, config: WorkCalendarConfig) -> None:
        self.config = config
        self._zone = ZoneInfo(config.timezone)
        self._workdays = frozenset(d.number for d in config.workdays)
        self._overrides = {d.number: ps for d, ps in config.weekday_periods.items()}
        default_len = sum(p.length_s for p in config.periods)
        self._working_day_s = float(config.working_day_s or default_len or 8 * 3600)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> WorkCalendar:
        """Build from plain data (validated)."""
        return cls(WorkCalendarConfig.model_validate(data))

    @property
    def working_day_s(self) -> float:
        """Counted seconds in one working day."""
        return self._working_day_s

    def periods_on(self, day: date) -> list[WorkingPeriod]:
        """Working periods of a local date (empty on free days), in order."""
        if day in self.config.holidays:
            return []
        if day in self.config.extra_workdays:
            return sorted(self.config.periods, key=lambda p: p.start_s)
        if day.weekday() not in self._workdays:
            return []
        periods = self._overrides.get(day.weekday(), self.config.periods)
        return sorted(periods, key=lambda p: p.start_s)

    def is_working_instant(self, at_utc: datetime) -> bool:
        """Whether ``at_utc`` falls inside a working period (start inclusive, end exclusive)."""
        at = ensure_utc(at_utc)
        day = at.astimezone(self._zone).date()
        return any(lo <= at < hi for lo, hi in self._intervals_utc(day))

    def add_working_time(self, start_utc: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of working time have passed since ``start_utc``.

        Starting outside working time, the clock starts at the next working period. Adding 0 s
        returns ``start_utc`` unchanged. A deadline exactly filling a period ends at the period's
        end (18:00), not at the next morning.
        """
        _check_seconds(seconds)
        start = ensure_utc(start_utc)
        if seconds == 0:
            return start
        remaining = timedelta(seconds=seconds)
        for lo, hi in self._intervals_from(start):
            lo = max(lo, start)
            if lo + remaining <= hi:
                return lo + remaining
            remaining -= hi - lo
        raise ValueError(f"no working time within {_MAX_SCAN_DAYS} days of {start.isoformat()}")

    def working_seconds_between(self, a_utc: datetime, b_utc: datetime) -> float:
        """Working seconds in ``[a_utc, b_utc]``; negative when ``b_utc`` precedes ``a_utc``."""
        a, b = ensure_utc(a_utc), ensure_utc(b_utc)
        if b < a:
            return -self.working_seconds_between(b, a)
        total = timedelta(0)
        for lo, hi in self._intervals_from(a):
            if lo >= b:
                break
            total += min(hi, b) - max(lo, a)
        return total.total_seconds()

    def _intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in UTC ending after ``start``, in time order."""
        day = start.astimezone(self._zone).date() - timedelta(days=1)
        for offset in range(_MAX_SCAN_DAYS):
            for lo, hi in self._intervals_utc(day + timedelta(days=offset)):
                if hi > start:
                    yield lo, hi

    def _intervals_utc(self, day: date) -> list[tuple[datetime, datetime]]:
        out = []
        midnight = datetime.combine(day, time(0), tzinfo=self._zone)
        for period in self.periods_on(day):
            lo = _local_to_utc(midnight, period.start_s)
            hi = _local_to_utc(midnight, period.end_s)
            if hi > lo:
                out.append((lo, hi))
        return out


def _local_to_utc(local_midnight: datetime, offset_s: int) -> datetime:
    """Wall-clock ``offset_s`` after local midnight, as UTC (wall-time arithmetic, DST-aware)."""
    wall = local_midnight + timedelta(seconds=offset_s)  # aware + timedelta keeps wall time
    return wall.astimezone(UTC)


def _check_seconds(seconds: float) -> None:
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"working time to add must be >= 0 seconds, got {seconds}")
