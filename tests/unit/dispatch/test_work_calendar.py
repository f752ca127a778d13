"""Work calendars: lunch breaks, nights, weekends, holidays, make-up days, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dispatch.calendar import ContinuousCalendar, WorkCalendar, WorkCalendarConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = 3600

# 2024 National Day: 1-7 October off; Sunday 29 September and Saturday 12 October worked (调休).
CHINA_2024 = {
    "timezone": "Asia/Shanghai",
    "periods": ["08:00-12:00", "14:00-18:00"],
    "holidays": [f"2024-10-0{d}" for d in range(1, 8)],
    "extra_workdays": ["2024-09-29", "2024-10-12"],
}


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2024 Shanghai wall time, as UTC."""
    return datetime(2024, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.from_dict(CHINA_2024)


@pytest.mark.parametrize(
    ("start", "seconds", "due", "case"),
    [
        (sh(9, 23, 9), 1 * H, sh(9, 23, 10), "inside a morning period"),
        (sh(9, 23, 11), 2 * H, sh(9, 23, 15), "across the lunch break"),
        (sh(9, 23, 12, 30), 1 * H, sh(9, 23, 15), "starting during lunch"),
        (sh(9, 23, 12), 1 * H, sh(9, 23, 15), "starting exactly at the lunch break"),
        (sh(9, 23, 8), 4 * H, sh(9, 23, 12), "filling a period ends at its end"),
        (sh(9, 23, 8), 8 * H, sh(9, 23, 18), "a whole day ends at 18:00"),
        (sh(9, 23, 17), 2 * H, sh(9, 24, 9), "across the night"),
        (sh(9, 23, 19), 1 * H, sh(9, 24, 9), "starting at night"),
        (sh(9, 23, 7), 1 * H, sh(9, 23, 9), "starting before work"),
        (sh(9, 20, 17), 2 * H, sh(9, 23, 9), "Friday evening to Monday"),
        (sh(9, 21, 10), 1 * H, sh(9, 23, 9), "starting on a Saturday"),
        (sh(9, 27, 17), 2 * H, sh(9, 29, 9), "make-up Sunday is worked"),
        (sh(9, 30, 17), 2 * H, sh(10, 8, 9), "National Day week skipped"),
        (sh(10, 3, 10), 30 * 60, sh(10, 8, 8, 30), "starting on a holiday"),
        (sh(10, 11, 17), 2 * H, sh(10, 12, 9), "make-up Saturday is worked"),
        (sh(9, 23, 10), 32 * H, sh(9, 27, 10), "four working days"),
        (sh(9, 21, 10), 0, sh(9, 21, 10), "adding nothing leaves the instant"),
    ],
)
def test_add_working_time(
    cal: WorkCalendar, start: datetime, seconds: float, due: datetime, case: str
) -> None:
    assert cal.add_working_time(start, seconds) == due, case


@pytest.mark.parametrize(
    ("a", "b", "expected_s"),
    [
        (sh(9, 23, 9), sh(9, 23, 10), 1 * H),
        (sh(9, 23, 11), sh(9, 23, 15), 2 * H),
        (sh(9, 23, 12, 15), sh(9, 23, 13, 45), 0),
        (sh(9, 23, 17), sh(9, 24, 9), 2 * H),
        (sh(9, 21, 0), sh(9, 22, 23), 0),  # a weekend
        (sh(9, 30, 8), sh(10, 8, 8), 8 * H),  # Monday, then the holiday week
        (sh(9, 28, 0), sh(9, 30, 0), 8 * H),  # make-up Sunday only
        (sh(9, 23, 10), sh(9, 23, 9), -1 * H),  # reversed
        (sh(9, 23, 10), sh(9, 23, 10), 0),
        (sh(9, 16, 0), sh(9, 23, 0), 40 * H),  # an ordinary week
        (sh(9, 23, 0), sh(9, 30, 0), 48 * H),  # a week with a make-up Sunday
    ],
)
def test_working_seconds_between(
    cal: WorkCalendar, a: datetime, b: datetime, expected_s: float
) -> None:
    assert cal.working_seconds_between(a, b) == expected_s


def test_china_time_has_no_dst(cal: WorkCalendar) -> None:
    for month in range(1, 13):
        start = datetime(2024, month, 1, 0, tzinfo=UTC)  # 08:00 in Shanghai all year
        assert cal.is_working_instant(start) == (cal.periods_on(start.date()) != [])


@pytest.mark.parametrize(
    ("instant", "working"),
    [
        (sh(9, 23, 8), True),
        (sh(9, 23, 12), False),  # period end is exclusive
        (sh(9, 23, 13, 59), False),
        (sh(9, 29, 10), True),  # make-up Sunday
        (sh(10, 1, 10), False),  # holiday
        (sh(9, 22, 10), False),  # ordinary Sunday
    ],
)
def test_is_working_instant(cal: WorkCalendar, instant: datetime, working: bool) -> None:
    assert cal.is_working_instant(instant) is working


def test_weekday_override_and_custom_day_length() -> None:
    short_friday = WorkCalendar.from_dict(
        {"weekday_periods": {"fri": ["08:00-12:00"]}, "working_day_s": 7 * H}
    )
    assert short_friday.add_working_time(sh(9, 20, 11), 2 * H) == sh(9, 23, 9)
    assert short_friday.working_day_s == 7 * H


def test_dst_zone_counts_the_short_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    always = WorkCalendar.from_dict(
        {"timezone": "Europe/Berlin", "periods": ["00:00-24:00"], "workdays": list(_ALL_DAYS)}
    )
    sat = datetime(2024, 3, 30, tzinfo=berlin).astimezone(UTC)
    mon = datetime(2024, 4, 1, tzinfo=berlin).astimezone(UTC)
    assert always.working_seconds_between(sat, mon) == 47 * H
    assert always.add_working_time(sat, 47 * H) == mon


_ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"periods": ["08:00-12:00", "11:00-13:00"]}, "overlap"),
        ({"periods": ["12:00-08:00"]}, "end after"),
        ({"periods": ["25:00-26:00"]}, "out of range"),
        ({"periods": ["8-12"]}, "HH:MM"),
        ({"periods": ["08:00"]}, "HH:MM-HH:MM"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"holidays": ["2024-10-12"], "extra_workdays": ["2024-10-12"]}, "both"),
        ({"periods": []}, "at least one"),
        ({"shifts": []}, "Extra inputs"),
    ],
)
def test_bad_configs_are_refused(config: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        WorkCalendarConfig.model_validate(config)


@pytest.mark.parametrize("calendar", [WorkCalendar(WorkCalendarConfig()), ContinuousCalendar()])
def test_bad_inputs_are_refused(calendar: WorkCalendar | ContinuousCalendar) -> None:
    start = sh(9, 23, 9)
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_time(start, -1)
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_time(start, float("nan"))
    with pytest.raises(ValueError, match="naive"):
        calendar.add_working_time(datetime(2024, 9, 23, 9), 60)  # noqa: DTZ001


def test_calendar_without_working_days_fails_instead_of_looping() -> None:
    never = WorkCalendar.from_dict({"workdays": []})
    with pytest.raises(ValueError, match="no working time"):
        never.add_working_time(sh(9, 23, 9), 60)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, sh(9, 21, 23)), (90, sh(9, 21, 23) + timedelta(seconds=90)), (3 * 86400, sh(9, 24, 23))],
)
def test_continuous_calendar(seconds: float, expected: datetime) -> None:
    cont = ContinuousCalendar()
    assert cont.add_working_time(sh(9, 21, 23), seconds) == expected
    assert cont.working_seconds_between(sh(9, 21, 23), expected) == seconds
    assert cont.working_day_s == 86400


def test_outputs_are_utc(cal: WorkCalendar) -> None:
    start = datetime(2024, 9, 23, 9, tzinfo=SHANGHAI)
    due = cal.add_working_time(start, 60)
    assert due.utcoffset() == timedelta(0)
    assert due == start + timedelta(seconds=60)


# hypothesis takes naive bounds and attaches the zone itself
_START = st.datetimes(
    min_value=datetime(2024, 9, 1),  # noqa: DTZ001
    max_value=datetime(2024, 11, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=150, deadline=None)
@given(start=_START, seconds=st.integers(min_value=0, max_value=200 * H))
def test_add_then_count_round_trips(start: datetime, seconds: int) -> None:
    cal = WorkCalendar.from_dict(CHINA_2024)
    due = cal.add_working_time(start, seconds)
    assert due >= start
    assert cal.working_seconds_between(start, due) == pytest.approx(seconds, abs=1e-6)
    if seconds > 0:
        assert cal.is_working_instant(due - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(a=_START, b=_START, c=_START)
def test_counting_is_additive(a: datetime, b: datetime, c: datetime) -> None:
    cal = WorkCalendar.from_dict(CHINA_2024)
    whole = cal.working_seconds_between(a, c)
    parts = cal.working_seconds_between(a, b) + cal.working_seconds_between(b, c)
    assert whole == pytest.approx(parts, abs=1e-6)
