"""Sensor rules: restricted zones/hours, speeding, possible dumping, dust, and the fix gate."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from shapely.geometry import box

from core.clock import ManualClock
from scenes.sensors.fixes import FixFilter, FixFilterConfig, FixVerdict
from scenes.sensors.readings import MeasurementReading, SensorReading
from scenes.sensors.rules import SensorRules
from scenes.sensors.rules_config import (
    DumpingRuleConfig,
    DustRuleConfig,
    RestrictedAreaRuleConfig,
    SensorRulesConfig,
    SpeedingRuleConfig,
)
from scenes.sensors.zones import RestrictedZone
from scenes.time_window import TimeWindow

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
ZONE = box(114.00, 22.50, 114.01, 22.51)
SITE = box(114.05, 22.50, 114.06, 22.51)  # a permitted construction site
IN, IN2, OUT, AT_SITE = (114.005, 22.505), (114.006, 22.505), (114.02, 22.505), (114.055, 22.505)
BORDER = (114.01, 22.505)  # exactly on the zone's east edge: covered
FAR = (115.0, 23.5)  # ~150 km away
DEV, DEV2 = "13900000001", "13900000002"


def fix(
    t_s: float,
    where: tuple[float, float] = IN,
    speed: float = 30.0,
    device: str = DEV,
    *,
    positioned: bool = True,
) -> SensorReading:
    return SensorReading(
        device_id=device,
        plate="粤B12345",
        lon=where[0],
        lat=where[1],
        speed_kmh=speed,
        at=T0 + timedelta(seconds=t_s),
        positioned=positioned,
        source="jt808",
    )


def pm10(
    t_s: float, value: float, device: str = "dust-1", kind: str = "pm10"
) -> MeasurementReading:
    return MeasurementReading(
        device_id=device,
        kind=kind,
        value=value,
        unit="ug/m3",
        at=T0 + timedelta(seconds=t_s),
        lon=114.05,
        lat=22.55,
    )


def rules(**cfg: Any) -> tuple[SensorRules, ManualClock]:
    zones = cfg.pop("zones", [RestrictedZone("core", ZONE, name="CBD")])
    config = {"restricted": None, "speeding": None, "dumping": None, "dust": None} | cfg
    clock = ManualClock(T0)
    engine = SensorRules(
        SensorRulesConfig(**config), clock=clock, restricted_zones=zones, permitted_areas=[SITE]
    )
    return engine, clock


def run(engine: SensorRules, clock: ManualClock, readings: list[Any]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for i, reading in enumerate(readings):
        clock.set(max(clock.now(), reading.at + timedelta(seconds=1)))
        out += [(i, e.attributes.get("zone_id", e.rule_id)) for e in engine.step(reading)]
    return out


def every(step_s: float, wheres: list[tuple[float, float]], **kw: Any) -> list[SensorReading]:
    return [fix(i * step_s, w, **kw) for i, w in enumerate(wheres)]


NIGHT = TimeWindow(start=time(22), end=time(6))
DAY = TimeWindow(start=time(7), end=time(22), days=[1, 2, 3, 4, 5])


@pytest.mark.parametrize(
    ("readings", "zones", "expected"),
    [
        pytest.param(every(10, [IN] * 4), None, [(1, "core")], id="fires-on-second-fix-once"),
        pytest.param(every(10, [IN]), None, [], id="one-fix-too-few"),
        pytest.param(every(10, [OUT] * 4), None, [], id="outside"),
        pytest.param(every(10, [BORDER] * 2), None, [(1, "core")], id="border-counts-inside"),
        pytest.param(every(10, [IN, OUT, IN, OUT, IN]), None, [(2, "core")], id="flicker-one"),
        pytest.param(
            every(10, [IN, IN, OUT, OUT, IN, IN]), None, [(1, "core")], id="reentry-in-cooldown"
        ),
        pytest.param(
            every(600, [IN, IN, OUT, OUT, IN, IN]),
            None,
            [(1, "core"), (5, "core")],
            id="reentry-after-cooldown",
        ),
        pytest.param(
            every(10, [IN] * 3), [RestrictedZone("n", ZONE, (NIGHT,))], [], id="window-inactive"
        ),
        pytest.param(
            every(10, [IN] * 3), [RestrictedZone("d", ZONE, (NIGHT, DAY))], [(1, "d")], id="window"
        ),
        pytest.param(
            every(10, [IN] * 2),
            [RestrictedZone("a", ZONE), RestrictedZone("b", box(114.004, 22.5, 114.2, 22.6))],
            [(1, "a"), (1, "b")],
            id="overlapping-zones",
        ),
        pytest.param(
            [fix(0), fix(0, device=DEV2), fix(10), fix(10, device=DEV2)],
            None,
            [(2, "core"), (3, "core")],
            id="two-devices",
        ),
        pytest.param([fix(10), fix(0), fix(5)], None, [], id="out-of-order-ignored"),
        pytest.param([fix(0), fix(0), fix(0, IN2)], None, [], id="duplicates-ignored"),
        pytest.param([fix(0), fix(5, FAR), fix(10)], None, [(2, "core")], id="jump-ignored"),
        pytest.param([fix(0), fix(5, positioned=False), fix(10)], None, [(2, "core")], id="nofix"),
        pytest.param([fix(0), fix(5, (0.0, 0.0))], None, [], id="null-island"),
    ],
)
def test_restricted(readings: list[SensorReading], zones: Any, expected: list[Any]) -> None:
    kw: dict[str, Any] = {"restricted": RestrictedAreaRuleConfig(cooldown_s=900)}
    if zones is not None:
        kw["zones"] = zones
    assert run(*rules(**kw), readings) == expected


def test_restricted_event_fields() -> None:
    engine, clock = rules(restricted=RestrictedAreaRuleConfig())
    engine.step(fix(0))
    clock.set(T0 + timedelta(seconds=15))
    [event] = engine.step(fix(10, IN2))
    assert (event.source, event.rule_id, event.category_code) == (
        "sensor",
        "mt_restricted",
        "MT_RESTRICTED",
    )
    assert (event.occurred_at, event.detected_at) == (T0, T0 + timedelta(seconds=15))
    assert (event.location.lon, event.location.lat) == IN2  # type: ignore[union-attr]
    assert event.attributes == {
        "device_id": DEV,
        "plate": "粤B12345",
        "speed_kmh": "30.0",
        "zone_id": "core",
        "fixes": "2",
    }
    assert event.object_class == "truck" and "CBD" in event.description


def speeds(values: list[float], step_s: float = 10, start_s: float = 0) -> list[SensorReading]:
    return [fix(start_s + i * step_s, OUT, v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        pytest.param(speeds([70, 70, 70]), [2], id="three-over"),
        pytest.param(speeds([70, 70, 50, 70, 70]), [], id="interrupted"),
        pytest.param(speeds([70] * 8), [2], id="once-per-run"),
        pytest.param(speeds([60, 60, 60, 60]), [], id="at-limit"),
        pytest.param(speeds([70, 70, 70, 40, 70, 70, 70]), [2], id="second-run-in-cooldown"),
        pytest.param(
            speeds([70, 70, 70, 40]) + speeds([70, 70, 70], start_s=1000), [2, 6], id="cooled"
        ),
        pytest.param([fix(0, OUT, 70)] * 3, [], id="duplicates-do-not-count"),
    ],
)
def test_speeding(readings: list[SensorReading], expected: list[int]) -> None:
    engine, clock = rules(speeding=SpeedingRuleConfig(limit_kmh=60, min_fixes=3, cooldown_s=900))
    fired = run(engine, clock, readings)
    assert [i for i, _ in fired] == expected


def test_speeding_reports_peak_and_start() -> None:
    engine, clock = rules(speeding=SpeedingRuleConfig(limit_kmh=60, min_fixes=3))
    clock.set(T0 + timedelta(hours=1))
    events = [e for r in speeds([50, 72, 95, 80]) for e in engine.step(r)]
    assert len(events) == 1
    assert events[0].attributes["peak_kmh"] == "95.0"
    assert events[0].occurred_at == T0 + timedelta(seconds=10)


def stops(
    wheres: list[tuple[float, float]], step_s: float = 60, speed: float = 0, start_s: float = 0
) -> list[SensorReading]:
    return [fix(start_s + i * step_s, w, speed) for i, w in enumerate(wheres)]


NEAR_OUT = (OUT[0] + 0.0002, OUT[1])  # ~20 m away
DRIFT = (OUT[0] + 0.001, OUT[1])  # ~100 m away


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        pytest.param(stops([OUT] * 7), [5], id="stop-5-min"),
        pytest.param(stops([OUT, NEAR_OUT] * 3 + [OUT]), [5], id="gps-noise-within-radius"),
        pytest.param(stops([AT_SITE] * 7), [], id="permitted-site"),
        pytest.param([*stops([OUT] * 5), fix(300, OUT, 30)], [], id="moved-before-5-min"),
        pytest.param(stops([OUT] * 3 + [DRIFT] * 3), [], id="drift-restarts"),
        pytest.param(stops([OUT] * 20), [5], id="once-per-stop"),
        pytest.param(
            [*stops([OUT] * 6), fix(400, OUT, 40), *stops([DRIFT] * 6, start_s=1400)],
            [5, 12],
            id="two-stops-after-cooldown",
        ),
        pytest.param(stops([OUT] * 7, speed=6), [], id="slow-crawl-is-moving"),
    ],
)
def test_dumping(readings: list[SensorReading], expected: list[int]) -> None:
    engine, clock = rules(dumping=DumpingRuleConfig(min_stop_s=300, stop_radius_m=50))
    assert [i for i, _ in run(engine, clock, readings)] == expected


def test_dumping_is_low_confidence() -> None:
    engine, _clock = rules(dumping=DumpingRuleConfig(min_stop_s=120))
    events = [e for r in stops([OUT] * 3) for e in engine.step(r)]
    assert [(e.category_code, e.confidence, e.attributes["stop_s"]) for e in events] == [
        ("MT_DUMPING", 0.3, "120")
    ]


def dust(values: list[float], step_s: float = 300, **kw: Any) -> list[MeasurementReading]:
    return [pm10(i * step_s, v, **kw) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("readings", "clear_below", "expected"),
    [
        pytest.param(dust([200, 200, 200, 200]), None, [3], id="15-min-above"),
        pytest.param(dust([200, 200, 100, 200, 200]), None, [], id="dip-resets"),
        pytest.param(dust([200, 200, 120, 200, 200]), 100.0, [3], id="hysteresis-keeps"),
        pytest.param(dust([200, 200, 200, 200], step_s=700), None, [], id="gaps-restart"),
        pytest.param(dust([200] * 4, kind="noise_db"), None, [], id="other-kind"),
        pytest.param(dust([200] * 10), None, [3], id="once-per-episode"),
        pytest.param(dust([150] * 5), None, [], id="at-threshold"),
        pytest.param(
            [pm10(t, 200) for t in (0, 300, 300, 200, 600, 900)],
            None,
            [5],
            id="stale-ignored",
        ),
    ],
)
def test_dust(
    readings: list[MeasurementReading], clear_below: float | None, expected: list[int]
) -> None:
    engine, clock = rules(
        dust=DustRuleConfig(
            threshold=150, min_duration_s=900, max_gap_s=600, clear_below=clear_below
        )
    )
    fired = run(engine, clock, readings)
    assert [i for i, _ in fired] == expected
    assert all(rule == "site_dust" for _, rule in fired)


def test_dust_counts_stale_and_locates() -> None:
    engine, clock = rules(dust=DustRuleConfig(min_duration_s=0))
    clock.set(T0 + timedelta(hours=1))
    [event] = engine.step(pm10(10, 300))
    assert engine.step(pm10(5, 300)) == []
    assert engine.stats.stale_measurements == 1
    assert event.location is not None
    assert (event.category_code, event.location.lon, event.object_class) == (
        "SITE_DUST",
        114.05,
        None,
    )  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("readings", "verdicts"),
    [
        pytest.param(
            [fix(0), fix(10, IN2), fix(5), fix(10), fix(20, FAR), fix(30)],
            ["ok", "ok", "out_of_order", "duplicate", "jump", "ok"],
            id="mixed",
        ),
        pytest.param(
            [fix(0), fix(10, FAR), fix(20, FAR), fix(30, FAR), fix(40, FAR)],
            ["ok", "jump", "jump", "ok", "ok"],
            id="reanchor-after-3",
        ),
        pytest.param([fix(0), fix(1, (114.0051, 22.505))], ["ok", "ok"], id="noise-below-min-jump"),
        pytest.param([fix(0), fix(3600, FAR)], ["ok", "ok"], id="far-but-slow-enough"),
        pytest.param([fix(0, positioned=False), fix(1, (0, 0))], ["no_fix", "no_fix"], id="no-fix"),
        pytest.param([fix(0), fix(0, device=DEV2)], ["ok", "ok"], id="per-device"),
    ],
)
def test_fix_filter(readings: list[SensorReading], verdicts: list[str]) -> None:
    gate = FixFilter(FixFilterConfig(max_speed_kmh=160, min_jump_m=200, reanchor_after=3))
    assert [gate.check(r).value for r in readings] == verdicts
    assert sum(gate.stats.counts.values()) == len(readings)
    assert gate.stats[FixVerdict.OK] == verdicts.count("ok")


def test_a_failing_rule_is_contained() -> None:
    engine, _clock = rules(
        restricted=RestrictedAreaRuleConfig(min_fixes=1), speeding=SpeedingRuleConfig(min_fixes=1)
    )

    def boom(_reading: SensorReading) -> list[Any]:
        raise RuntimeError("bug")

    engine._fix_rules[0] = ("mt_restricted", boom)
    events = engine.step(fix(0, IN, 90))
    assert [e.rule_id for e in events] == ["mt_speeding"]
    assert engine.stats.rule_errors == 1


@pytest.mark.parametrize(
    "geometry",
    [box(500000, 2500000, 501000, 2501000), box(114, 22, 114, 22)],
    ids=["projected-metres", "empty"],
)
def test_zones_must_be_wgs84_polygons(geometry: Any) -> None:
    with pytest.raises(ValueError, match=r"WGS84|non-empty"):
        rules(zones=[RestrictedZone("z", geometry)])
