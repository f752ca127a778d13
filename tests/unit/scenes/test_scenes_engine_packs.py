"""SceneEngine (events, windows, one event per track per rule) and the scene packs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scenes_fakes import T0, LinearGround, dets, meta, scene

from core.clock import ManualClock
from scenes.config import TimeWindow
from scenes.engine import SceneEngine
from scenes.packs import CATEGORY_NAMES, city_pack, full_frame_zone, muck_truck_pack, with_rules
from scenes.rules import CalibrationRequiredError

PRESENCE = {
    "id": "p",
    "kind": "zone_presence",
    "zone_id": "left",
    "category_code": "MT_RESTRICTED",
    "object_classes": ["truck"],
    "min_frames": 2,
    "exit_grace_s": 2.0,
}
UNCOVERED = {
    "id": "u",
    "kind": "attribute",
    "attributes": {"load": "uncovered"},
    "category_code": "MT_UNSEALED",
    "object_classes": ["truck"],
    "min_frames": 2,
}


def _steps(
    engine: SceneEngine, frames: list[list[Any]], clock: ManualClock | None = None
) -> list[Any]:
    events = []
    for i, objs in enumerate(frames):
        if clock is not None:
            clock.set(T0 + timedelta(seconds=i, milliseconds=300))
        events += engine.step(meta(i, i), dets(objs))
    return events


def test_one_event_per_track_per_rule_over_a_long_sequence() -> None:
    engine = SceneEngine(scene([PRESENCE, UNCOVERED]), clock=ManualClock(T0))
    frames = [
        [(1, "truck", 0.3, 0.5, {"load": "uncovered"}), (2, "truck", 0.2, 0.9)] for _ in range(300)
    ]
    events = _steps(engine, frames)
    keys = sorted((e.rule_id, e.track_id) for e in events)
    assert keys == [("p", 1), ("p", 2), ("u", 1)]


def test_event_fields_times_and_location() -> None:
    clock = ManualClock(T0)
    engine = SceneEngine(scene([PRESENCE]), ground=LinearGround(0.1), clock=clock)
    events = _steps(engine, [[], [(5, "truck", 0.3, 0.5)], [(5, "truck", 0.3, 0.5)]], clock)
    (event,) = events
    assert event.occurred_at == T0 + timedelta(seconds=1)
    assert event.detected_at == T0 + timedelta(seconds=2, milliseconds=300)
    assert (event.camera_id, event.scene_id, event.category_code) == ("cam1", "s1", "MT_RESTRICTED")
    assert event.location is not None
    assert event.location.lon > LinearGround.LON0 and event.location.lat < LinearGround.LAT0
    assert event.anchor_px == pytest.approx((300.0, 500.0))


def test_occurred_at_never_after_detected_at() -> None:
    clock = ManualClock(T0 - timedelta(hours=1))  # wall clock behind the camera's timestamps
    engine = SceneEngine(scene([PRESENCE]), clock=clock)
    (event,) = _steps(engine, [[(5, "truck", 0.3, 0.5)]] * 2)
    assert event.occurred_at <= event.detected_at


@pytest.mark.parametrize(
    ("start", "end", "expected_start_s"),
    [
        pytest.param("10:00:03", "11:00", 3, id="window-opens-mid-stay"),
        pytest.param("09:00", "10:00:01", None, id="window-closes-before-min-frames"),
        pytest.param("11:00", "12:00", None, id="outside-window"),
    ],
)
def test_rules_run_only_inside_their_windows(
    start: str, end: str, expected_start_s: int | None
) -> None:
    rule = {**PRESENCE, "active_windows": [TimeWindow(start=start, end=end).model_dump()]}
    clock = ManualClock(T0)
    engine = SceneEngine(scene([rule]), clock=clock)
    events = _steps(engine, [[(1, "truck", 0.3, 0.5)]] * 8, clock)
    if expected_start_s is None:
        assert events == []
    else:
        (event,) = events
        assert event.occurred_at == T0 + timedelta(seconds=expected_start_s)


def test_building_blocks_do_not_emit_and_disabled_rules_do_not_run() -> None:
    rules = [{**PRESENCE, "emit": False}, {**UNCOVERED, "enabled": False}]
    engine = SceneEngine(scene(rules), clock=ManualClock(T0))
    assert engine.rule_ids == ["p"]
    assert _steps(engine, [[(1, "truck", 0.3, 0.5, {"load": "uncovered"})]] * 5) == []


def test_a_failing_rule_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = SceneEngine(scene([PRESENCE, UNCOVERED]), clock=ManualClock(T0))
    broken = engine._slots[0].rule
    assert broken is not None

    def explode(*_: Any) -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(broken, "step", explode)
    events = _steps(engine, [[(1, "truck", 0.3, 0.5, {"load": "uncovered"})]] * 3)
    assert [e.rule_id for e in events] == ["u"]
    assert engine.rule_errors == 3


def test_speed_rule_without_calibration_refuses_at_build_time() -> None:
    rules = [
        {
            "id": "s",
            "kind": "speed",
            "category_code": "MT_SPEEDING",
            "object_classes": ["truck"],
            "max_speed_kmh": 40,
        }
    ]
    with pytest.raises(CalibrationRequiredError, match="cam1"):
        SceneEngine(scene(rules))
    assert SceneEngine(scene(rules), ground=LinearGround()).rule_ids == ["s"]


def _muck_scene(calibrated: bool = False) -> Any:
    base = scene([], zones=[full_frame_zone("road")])
    base = base.model_copy(update={"zones": [*base.zones, *scene([]).zones]})  # road + left + all
    pack = muck_truck_pack(
        restricted_zone_id="left",
        road_zone_id="road",
        no_dump_zone_id="all",
        restricted_windows=[TimeWindow(start="07:00", end="22:00")],
        calibrated=calibrated,
        dump_dwell_s=5.0,
    )
    return with_rules(base, pack)


def test_muck_truck_pack_validates_and_uses_seed_codes() -> None:
    sc = _muck_scene(calibrated=True)
    codes = {r.category_code for r in sc.rules}
    assert codes <= set(CATEGORY_NAMES)
    assert {"MT_RESTRICTED", "MT_UNSEALED", "MT_SPILL", "MT_DUMPING", "MT_SPEEDING"} == codes
    assert [r.id for r in sc.rules if not r.emit] == ["mt-dump-stop", "mt-dump-debris"]
    with pytest.raises(CalibrationRequiredError):
        SceneEngine(sc)
    assert "mt-speeding" not in {r.id for r in _muck_scene(calibrated=False).rules}


def test_pack_with_unknown_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown zone 'nowhere'"):
        with_rules(scene([]), muck_truck_pack(restricted_zone_id="nowhere"))


def test_muck_pack_end_to_end_dumping_and_uncovered() -> None:
    engine = SceneEngine(_muck_scene(), clock=ManualClock(T0))
    stopped = (1, "truck", 0.7, 0.5, {"load": "covered"})
    frames = [[stopped]] * 8 + [[stopped, (9, "debris", 0.72, 0.6)]] * 4
    frames += [[(2, "truck", 0.8, 0.9, {"load": "uncovered"})]] * 4
    events = _steps(engine, frames)
    assert sorted(e.category_code for e in events) == ["MT_DUMPING", "MT_UNSEALED"]
    dumping = next(e for e in events if e.category_code == "MT_DUMPING")
    assert (dumping.track_id, dumping.occurred_at) == (1, T0)


def test_city_pack() -> None:
    rules = city_pack(
        no_parking_zone_id="left",
        garbage_zone_id="all",
        crowd_zone_id="all",
        crowd_category_code="CROWD",
    )
    assert [r.category_code for r in rules] == ["PARKING", "06010", "CROWD"]
    with_rules(scene([]), rules)
    with pytest.raises(ValueError, match="crowd_category_code"):
        city_pack(crowd_zone_id="all")


def test_restricted_hours_follow_local_time() -> None:
    engine = SceneEngine(_muck_scene(), clock=ManualClock(T0))
    night = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: no restriction
    events = [
        engine.step(
            type(meta(0, 0))("cam1", i, night + timedelta(seconds=i), (1000, 1000)),
            dets([(1, "truck", 0.3, 0.5)]),
        )
        for i in range(5)
    ]
    assert [e.category_code for batch in events for e in batch] == []
