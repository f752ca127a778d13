"""Quality gate for position fixes: no-fix, out-of-order, duplicate and impossible jumps.

Terminals resend, buffer and backfill (JT/T 808 0x0704 blind-area batches arrive late), and
GNSS receivers occasionally put a fix kilometres away. Rules must only see a plausible, strictly
time-ordered track per device; everything else is ignored and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from gis.datums import haversine_m
from scenes.sensors.readings import SensorReading


class FixVerdict(StrEnum):
    """What the gate decided about one fix."""

    OK = "ok"
    NO_FIX = "no_fix"
    OUT_OF_ORDER = "out_of_order"
    DUPLICATE = "duplicate"
    JUMP = "jump"


class FixFilterConfig(BaseModel):
    """Thresholds of the fix gate."""

    model_config = ConfigDict(extra="forbid")

    max_speed_kmh: float = Field(
        160.0, gt=0, description="Implied speed between fixes above this is a jump (km/h)."
    )
    min_jump_m: float = Field(
        200.0, ge=0, description="Jumps shorter than this are GNSS noise, not rejected (m)."
    )
    reanchor_after: int = Field(
        3,
        ge=1,
        description="The n-th jump in a row becomes the new reference (1 = never reject).",
    )


@dataclass
class FixStats:
    """Counters per verdict (over all devices)."""

    counts: dict[FixVerdict, int] = field(default_factory=lambda: dict.fromkeys(FixVerdict, 0))

    def __getitem__(self, verdict: FixVerdict) -> int:
        return self.counts[verdict]


@dataclass
class _Last:
    reading: SensorReading
    jumps: int = 0


class FixFilter:
    """Keeps the last accepted fix per device and judges each new one against it."""

    def __init__(self, config: FixFilterConfig | None = None) -> None:
        self.config = config or FixFilterConfig()
        self.stats = FixStats()
        self._last: dict[str, _Last] = {}

    def check(self, fix: SensorReading) -> FixVerdict:
        """Judge ``fix``; an ``OK`` fix becomes the device's reference."""
        verdict = self._judge(fix)
        self.stats.counts[verdict] += 1
        return verdict

    def _judge(self, fix: SensorReading) -> FixVerdict:
        if not fix.positioned or (fix.lon == 0.0 and fix.lat == 0.0):
            return FixVerdict.NO_FIX
        last = self._last.get(fix.device_id)
        if last is None:
            self._last[fix.device_id] = _Last(fix)
            return FixVerdict.OK
        dt_s = (fix.at - last.reading.at).total_seconds()
        if dt_s < 0:
            return FixVerdict.OUT_OF_ORDER
        if dt_s == 0:
            return FixVerdict.DUPLICATE
        if self._is_jump(last.reading, fix, dt_s) and last.jumps + 1 < self.config.reanchor_after:
            last.jumps += 1
            return FixVerdict.JUMP
        self._last[fix.device_id] = _Last(fix)
        return FixVerdict.OK

    def _is_jump(self, a: SensorReading, b: SensorReading, dt_s: float) -> bool:
        dist_m = haversine_m(a.lon, a.lat, b.lon, b.lat)
        return dist_m > self.config.min_jump_m and dist_m / dt_s * 3.6 > self.config.max_speed_kmh
