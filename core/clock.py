"""Injected time source. Everything in smartscene asks a Clock, never datetime.now()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Gives the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current instant (tz-aware, UTC)."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the wall-clock time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests, replays and simulations."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        """Return the clock's current instant."""
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new instant."""
        self._now = self._now + timedelta(seconds=seconds)
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to an instant (may go backwards, to test clock jumps)."""
        self._now = ensure_utc(instant)


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused because their zone is unknown."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()} has no timezone; pass an aware one")
    return instant.astimezone(UTC)
