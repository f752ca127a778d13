"""Scene rules over sensor readings: restricted zones/hours, speeding, possible dumping, site dust.

:class:`SensorRules` is pure and stateful: ``step(reading) -> [SceneEvent]`` (source
``"sensor"``). Position fixes first pass :class:`~scenes.sensors.fixes.FixFilter` (no fix,
out of order, duplicate, jump: ignored and counted); measurements must be strictly newer than
the device's previous one. Hysteresis is explicit: ``min_fixes`` to start an episode,
``exit_fixes`` to end one, one event per episode, and a per-(device, zone) ``cooldown_s``
measured on reading time, so replays give the same events as live runs.

Geometries (restricted zones, permitted stop areas) are shapely geometries in WGS84 (EPSG:4326).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from shapely.geometry.base import BaseGeometry

from core.clock import Clock
from gis.datums import haversine_m
from scenes.events import GroundPoint, SceneEvent
from scenes.sensors.fixes import FixFilter, FixVerdict
from scenes.sensors.readings import MeasurementReading, SensorReading
from scenes.sensors.rules_config import (
    DumpingRuleConfig,
    DustRuleConfig,
    RestrictedAreaRuleConfig,
    SensorRulesConfig,
    SpeedingRuleConfig,
)
from scenes.sensors.zones import PermittedAreas, RestrictedZone, RestrictedZoneIndex

logger = logging.getLogger(__name__)
AnyReading = SensorReading | MeasurementReading
_R = TypeVar("_R", SensorReading, MeasurementReading)


@dataclass(frozen=True)
class SensorHit:
    """A rule fired on a reading."""

    rule_id: str
    category_code: str
    occurred_at: datetime
    reading: AnyReading
    description: str
    confidence: float = 1.0
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Run:
    first_at: datetime
    last_at: datetime
    count: int = 1
    outside: int = 0
    fired: bool = False
    peak: float = 0.0
    lon: float = 0.0
    lat: float = 0.0


class _Cooldown:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._last: dict[tuple[str, str], datetime] = {}

    def fire(self, key: tuple[str, str], at: datetime) -> bool:
        """True (and remember ``at``) when ``key`` has been quiet for the cooldown."""
        last = self._last.get(key)
        if last is not None and (at - last).total_seconds() < self._seconds:
            return False
        self._last[key] = at
        return True


def _fix_attrs(fix: SensorReading, **extra: str) -> dict[str, str]:
    attrs = {"device_id": fix.device_id, "speed_kmh": f"{fix.speed_kmh:.1f}"}
    if fix.plate:
        attrs["plate"] = fix.plate
    return attrs | extra


class RestrictedAreaRule:
    """One event per entry into an active restricted zone (per device and zone)."""

    def __init__(self, cfg: RestrictedAreaRuleConfig, zones: RestrictedZoneIndex) -> None:
        self.cfg, self.zones = cfg, zones
        self._runs: dict[str, dict[str, _Run]] = {}
        self._cooldown = _Cooldown(cfg.cooldown_s)

    def step(self, fix: SensorReading) -> list[SensorHit]:
        """Advance the device's entries with one accepted fix."""
        inside = {z.zone_id: z for z in self.zones.active_at(fix.lon, fix.lat, fix.at)}
        runs = self._runs.setdefault(fix.device_id, {})
        for zone_id in [z for z in runs if z not in inside]:
            runs[zone_id].outside += 1
            if runs[zone_id].outside >= self.cfg.exit_fixes:
                del runs[zone_id]
        hits: list[SensorHit] = []
        for zone_id, zone in inside.items():
            run = runs.get(zone_id)
            if run is None:
                run = runs[zone_id] = _Run(fix.at, fix.at, count=0)
            run.count, run.outside, run.last_at = run.count + 1, 0, fix.at
            if run.fired or run.count < self.cfg.min_fixes:
                continue
            run.fired = True
            if self._cooldown.fire((fix.device_id, zone_id), fix.at):
                hits.append(self._hit(fix, zone, run))
        return hits

    def _hit(self, fix: SensorReading, zone: RestrictedZone, run: _Run) -> SensorHit:
        name = zone.name or zone.zone_id
        return SensorHit(
            self.cfg.id,
            self.cfg.category_code,
            run.first_at,
            fix,
            f"Muck truck {fix.plate or fix.device_id} in restricted zone {name}",
            attributes=_fix_attrs(fix, zone_id=zone.zone_id, fixes=str(run.count)),
        )


class SpeedingRule:
    """Speed over the limit for ``min_fixes`` consecutive accepted fixes."""

    def __init__(self, cfg: SpeedingRuleConfig) -> None:
        self.cfg = cfg
        self._runs: dict[str, _Run] = {}
        self._cooldown = _Cooldown(cfg.cooldown_s)

    def step(self, fix: SensorReading) -> list[SensorHit]:
        """Advance the device's speeding run with one accepted fix."""
        if fix.speed_kmh <= self.cfg.limit_kmh:
            self._runs.pop(fix.device_id, None)
            return []
        run = self._runs.get(fix.device_id)
        if run is None:
            run = self._runs[fix.device_id] = _Run(fix.at, fix.at, count=0)
        run.count, run.last_at, run.peak = run.count + 1, fix.at, max(run.peak, fix.speed_kmh)
        if run.fired or run.count < self.cfg.min_fixes:
            return []
        run.fired = True
        if not self._cooldown.fire((fix.device_id, ""), fix.at):
            return []
        text = f"Muck truck {fix.plate or fix.device_id} at {run.peak:.0f} km/h"
        attrs = _fix_attrs(
            fix,
            peak_kmh=f"{run.peak:.1f}",
            limit_kmh=f"{self.cfg.limit_kmh:g}",
            fixes=str(run.count),
        )
        hit = SensorHit(self.cfg.id, self.cfg.category_code, run.first_at, fix, text, 1.0, attrs)
        return [hit]


class DumpingRule:
    """A long stop outside permitted areas (sites, disposal sites, depots): low confidence."""

    def __init__(self, cfg: DumpingRuleConfig, permitted: PermittedAreas) -> None:
        self.cfg, self.permitted = cfg, permitted
        self._stops: dict[str, _Run] = {}
        self._cooldown = _Cooldown(cfg.cooldown_s)

    def step(self, fix: SensorReading) -> list[SensorHit]:
        """Advance the device's stop with one accepted fix."""
        stop = self._stops.get(fix.device_id)
        moving = fix.speed_kmh > self.cfg.stop_speed_kmh
        if stop is not None and (moving or self._drifted(stop, fix)):
            del self._stops[fix.device_id]
            stop = None
        if moving:
            return []
        if stop is None:
            self._stops[fix.device_id] = _Run(fix.at, fix.at, lon=fix.lon, lat=fix.lat)
            return []
        stop.last_at, stop.count = fix.at, stop.count + 1
        stopped_s = (fix.at - stop.first_at).total_seconds()
        if stop.fired or stopped_s < self.cfg.min_stop_s:
            return []
        stop.fired = True
        if self.permitted.covers(stop.lon, stop.lat):
            return []
        if not self._cooldown.fire((fix.device_id, ""), fix.at):
            return []
        text = f"Muck truck {fix.plate or fix.device_id} stopped {stopped_s / 60:.0f} min"
        text += " outside permitted areas: possible dumping"
        attrs = _fix_attrs(fix, stop_s=f"{stopped_s:.0f}")
        return [
            SensorHit(
                self.cfg.id,
                self.cfg.category_code,
                stop.first_at,
                fix,
                text,
                self.cfg.confidence,
                attrs,
            )
        ]

    def _drifted(self, stop: _Run, fix: SensorReading) -> bool:
        return haversine_m(stop.lon, stop.lat, fix.lon, fix.lat) > self.cfg.stop_radius_m


class DustRule:
    """A measurement of ``kind`` above the threshold for ``min_duration_s`` (per device)."""

    def __init__(self, cfg: DustRuleConfig) -> None:
        self.cfg = cfg
        self._clear = cfg.threshold if cfg.clear_below is None else cfg.clear_below
        self._runs: dict[str, _Run] = {}
        self._cooldown = _Cooldown(cfg.cooldown_s)

    def step(self, reading: MeasurementReading) -> list[SensorHit]:
        """Advance the device's episode with one in-order measurement."""
        if reading.kind != self.cfg.kind:
            return []
        run = self._runs.get(reading.device_id)
        if run is not None and (reading.at - run.last_at).total_seconds() > self.cfg.max_gap_s:
            run = None
        if reading.value <= self._clear or (run is None and reading.value <= self.cfg.threshold):
            self._runs.pop(reading.device_id, None)
            return []
        if run is None:
            run = self._runs[reading.device_id] = _Run(reading.at, reading.at, count=0)
        run.count, run.last_at = run.count + 1, reading.at
        run.peak = max(run.peak, reading.value)
        lasted_s = (reading.at - run.first_at).total_seconds()
        if run.fired or lasted_s < self.cfg.min_duration_s:
            return []
        run.fired = True
        if not self._cooldown.fire((reading.device_id, ""), reading.at):
            return []
        unit = f" {reading.unit}" if reading.unit else ""
        text = f"{reading.kind} at {reading.device_id} above {self.cfg.threshold:g}{unit} "
        text += f"for {lasted_s / 60:.0f} min (peak {run.peak:g}{unit})"
        attrs = {
            "device_id": reading.device_id,
            "kind": reading.kind,
            "peak": f"{run.peak:g}",
            "threshold": f"{self.cfg.threshold:g}",
            "duration_s": f"{lasted_s:.0f}",
        }
        return [
            SensorHit(self.cfg.id, self.cfg.category_code, run.first_at, reading, text, 1.0, attrs)
        ]


@dataclass
class RuleStats:
    """Counters of :class:`SensorRules`."""

    readings: int = 0
    stale_measurements: int = 0
    rule_errors: int = 0
    events: int = 0


class SensorRules:
    """Every enabled sensor rule behind one ``step``; the fix gate runs first."""

    def __init__(
        self,
        config: SensorRulesConfig,
        *,
        clock: Clock,
        restricted_zones: Iterable[RestrictedZone] = (),
        permitted_areas: Iterable[BaseGeometry] = (),
    ) -> None:
        self.config, self.clock = config, clock
        self.fixes = FixFilter(config.fixes)
        self.stats = RuleStats()
        self._lock = threading.Lock()
        self._last_measure: dict[tuple[str, str], datetime] = {}
        zones, permitted = RestrictedZoneIndex(restricted_zones), PermittedAreas(permitted_areas)
        self._fix_rules: list[tuple[str, Callable[[SensorReading], list[SensorHit]]]] = []
        if config.restricted is not None:
            self._fix_rules.append(
                (config.restricted.id, RestrictedAreaRule(config.restricted, zones).step)
            )
        if config.speeding is not None:
            self._fix_rules.append((config.speeding.id, SpeedingRule(config.speeding).step))
        if config.dumping is not None:
            self._fix_rules.append((config.dumping.id, DumpingRule(config.dumping, permitted).step))
        self._dust = DustRule(config.dust) if config.dust is not None else None

    def step(self, reading: AnyReading) -> list[SceneEvent]:
        """Feed one reading; return the events it completes (usually none).

        Thread-safe: the TCP server (event loop) and the MQTT subscriber (paho's thread) may
        feed the same instance.
        """
        with self._lock:
            return self._step(reading)

    def _step(self, reading: AnyReading) -> list[SceneEvent]:
        self.stats.readings += 1
        hits: list[SensorHit] = []
        if isinstance(reading, SensorReading):
            if self.fixes.check(reading) is FixVerdict.OK:
                for rule_id, step in self._fix_rules:
                    hits += self._guarded(rule_id, step, reading)
        elif self._in_order(reading) and self._dust is not None:
            hits += self._guarded(self._dust.cfg.id, self._dust.step, reading)
        if not hits:
            return []
        now = self.clock.now()
        self.stats.events += len(hits)
        return [_event(hit, now) for hit in hits]

    def _in_order(self, reading: MeasurementReading) -> bool:
        key = (reading.device_id, reading.kind)
        last = self._last_measure.get(key)
        if last is not None and reading.at <= last:
            self.stats.stale_measurements += 1
            return False
        self._last_measure[key] = reading.at
        return True

    def _guarded(
        self, rule_id: str, step: Callable[[_R], list[SensorHit]], reading: _R
    ) -> list[SensorHit]:
        try:
            return step(reading)
        except Exception:
            self.stats.rule_errors += 1
            logger.exception("sensor rule %s failed on %s", rule_id, reading.device_id)
            return []


def _event(hit: SensorHit, now: datetime) -> SceneEvent:
    reading = hit.reading
    location = None
    if reading.lon is not None and reading.lat is not None:
        location = GroundPoint(lon=reading.lon, lat=reading.lat, crs="EPSG:4326")
    return SceneEvent(
        schema_version=1,
        source="sensor",
        occurred_at=min(hit.occurred_at, now),
        detected_at=now,
        rule_id=hit.rule_id,
        category_code=hit.category_code,
        object_class="truck" if isinstance(reading, SensorReading) else None,
        attributes=hit.attributes,
        confidence=hit.confidence,
        location=location,
        description=hit.description[:2000],
    )
