"""Zone presence, attribute and dwell rules: hysteresis, flicker, id switches, clock jumps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from scenes_fakes import CLASSES, FRAME_SIZE, IDS, T0, dets, meta, run, run_times, scene

from detectors.detections import Detections
from scenes.rules import BuildContext, build_rule

IN, OUT, BORDER_OUT = 0.3, 0.7, 0.52


def _rule(kind: str = "zone_presence", **cfg: Any) -> Any:
    config: dict[str, Any] = {
        "id": "r",
        "kind": kind,
        "category_code": "C",
        "object_classes": ["truck"],
        "min_frames": 3,
        "exit_grace_s": 2.0,
        "cooldown_s": 60.0,
    }
    if kind in ("zone_presence", "dwell"):
        config["zone_id"] = "left"
    config.update(cfg)
    sc = scene([config])
    return build_rule(sc.rules[0], BuildContext(scene=sc))


def truck(x: float, tid: int = 1, **attrs: str) -> tuple[Any, ...]:
    return (tid, "truck", x, 0.5, attrs)


def fired_frames(hits_per_frame: list[list[Any]]) -> list[int]:
    return [i for i, hits in enumerate(hits_per_frame) for _ in hits]


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param([[truck(IN)]] * 5, [2], id="fires-on-min-frames-once"),
        pytest.param([[truck(IN)]] * 2 + [[]] * 3, [], id="too-short"),
        pytest.param([[truck(OUT)]] * 6, [], id="outside"),
        pytest.param([[truck(IN), truck(IN, 2)]] * 4, [2, 2], id="two-tracks-two-events"),
        pytest.param(
            [[truck(IN)], [truck(BORDER_OUT)], [truck(IN)], [truck(BORDER_OUT)], [truck(IN)]] * 3,
            [4],
            id="border-flicker-one-event",
        ),
        pytest.param(
            [[truck(IN)]] * 3 + [[]] * 5 + [[truck(IN)]] * 4, [2], id="reenter-within-cooldown"
        ),
        pytest.param([[(-1, "truck", IN, 0.5)]] * 5, [], id="untracked-ignored"),
        pytest.param([[(1, "car", IN, 0.5)]] * 5, [], id="other-class"),
        pytest.param([[(1, "truck", IN, 0.5, {}, 0.1)]] * 5, [], id="low-confidence"),
        pytest.param([[truck(IN, 1)]] * 3 + [[truck(IN, 7)]] * 5, [2], id="id-switch-same-place"),
        pytest.param(
            [[truck(IN, 1)]] * 3 + [[truck(0.1, 7)]] * 5, [2, 5], id="new-track-elsewhere"
        ),
    ],
)
def test_zone_presence(frames: list[list[Any]], expected: list[int]) -> None:
    assert fired_frames(run(_rule(), frames)) == expected


def _far_truck(tid: int, x: float, half: float = 0.008) -> Detections:
    """A truck near the horizon: a box 16 px wide (1000 px frame), bottom-centre at (x, 0.3)."""
    w, h = FRAME_SIZE
    box = [(x - half) * w, (0.3 - 2 * half) * h, (x + half) * w, 0.3 * h]
    return Detections.from_arrays([box], [0.9], [IDS["truck"]], CLASSES, [tid])


@pytest.mark.parametrize(
    ("new_x", "expected"),
    [
        pytest.param(0.305, [2], id="overlapping-box-same-truck-new-id"),
        pytest.param(0.33, [2, 5], id="disjoint-box-within-radius-another-truck"),
        pytest.param(0.40, [2, 5], id="far-away-another-truck"),
    ],
)
def test_id_switch_needs_overlapping_boxes(new_x: float, expected: list[int]) -> None:
    """Near the horizon a truck appearing a few pixels from one that just vanished (within
    id_switch_radius_rel) is another truck unless their boxes overlap; found by the golden
    scenes, where an oncoming truck lost its events to a receding one vanishing there."""
    rule = _rule(zone_id="all")
    frames = [_far_truck(1, 0.30)] * 3 + [_far_truck(7, new_x)] * 3
    hits = [rule.step(meta(i, float(i)), d) for i, d in enumerate(frames)]
    assert fired_frames(hits) == expected


def test_zone_presence_fires_again_after_cooldown() -> None:
    rule = _rule(cooldown_s=10.0)
    frames = [(float(t), [truck(IN)]) for t in range(3)]
    frames += [(float(t), [truck(IN)]) for t in range(20, 23)]
    assert fired_frames(run_times(rule, frames)) == [2, 5]


def test_occurred_at_is_first_frame_in_zone() -> None:
    hits = run(_rule(), [[truck(OUT)], [truck(IN)], [truck(IN)], [truck(IN)]])
    hit = hits[3][0]
    assert hit.occurred_at == T0 + timedelta(seconds=1)
    assert hit.detected_at == T0 + timedelta(seconds=3)
    assert (hit.track_id, hit.object_class, hit.category_code) == (1, "truck", "C")
    assert hit.anchor_px == pytest.approx((300.0, 500.0))


@pytest.mark.parametrize(
    ("times", "presence", "dwell"),
    [
        pytest.param([0, 1, 2, 3, 4, 5, 6], [2], [5], id="control-no-jump"),
        pytest.param([0, 1, -3600, -3599, -3598], [3], [], id="backwards-frame-adds-no-time"),
        pytest.param([0, -10, -20, -30, -40, -50], [], [], id="time-never-advances"),
        pytest.param([0, 1, 2, -1000, -999, -998, -997], [2], [6], id="dwell-counts-real-time"),
        pytest.param([0, 1, -1000, 500, 501], [], [], id="back-then-far-forward-expires"),
    ],
)
def test_clock_jumps_never_fire_by_themselves(
    times: list[int], presence: list[int], dwell: list[int]
) -> None:
    frames = [(float(t), [truck(IN)]) for t in times]
    assert fired_frames(run_times(_rule(min_frames=3), frames)) == presence
    dwell_rule = _rule("dwell", dwell_s=5.0, min_frames=1)
    assert fired_frames(run_times(dwell_rule, frames)) == dwell


def test_forward_clock_jump_does_not_complete_a_dwell() -> None:
    rule = _rule("dwell", dwell_s=60.0, min_frames=1, exit_grace_s=120.0)
    frames = [(0.0, [truck(IN)]), (1.0, [truck(IN)]), (3601.0, [truck(IN)]), (3602.0, [truck(IN)])]
    assert fired_frames(run_times(rule, frames)) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param([IN] * 12, [10], id="stationary-fires-at-dwell"),
        pytest.param([IN] * 9, [], id="too-short"),
        pytest.param([0.1, 0.2, 0.3, 0.4] * 4, [], id="moving-resets"),
        pytest.param([IN] * 5 + [OUT] * 4 + [IN] * 7, [], id="left-and-came-back"),
        pytest.param([IN] * 5 + [None] + [IN] * 6, [10], id="one-missed-frame-in-grace"),
    ],
)
def test_dwell(path: list[float | None], expected: list[int]) -> None:
    rule = _rule("dwell", dwell_s=10.0, min_frames=3, max_move_rel=0.05)
    frames = [[] if x is None else [truck(x)] for x in path]
    hits = run(rule, frames)
    assert fired_frames(hits) == expected
    for i in expected:
        assert hits[i][0].occurred_at == T0
        assert hits[i][0].attributes["dwell_s"] == "10"


def test_dwell_loitering_without_stationarity() -> None:
    rule = _rule("dwell", dwell_s=5.0, min_frames=1, max_move_rel=None)
    frames = [[truck(x)] for x in [0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3]]
    assert fired_frames(run(rule, frames)) == [5]


@pytest.mark.parametrize(
    ("loads", "expected"),
    [
        pytest.param(["uncovered"] * 4, [2], id="uncovered"),
        pytest.param(["covered"] * 6, [], id="covered"),
        pytest.param([None] * 6, [], id="no-attribute"),
        pytest.param(["uncovered", "covered"] * 4, [4], id="classifier-flicker-counts-frames"),
    ],
)
def test_attribute_rule(loads: list[str | None], expected: list[int]) -> None:
    rule = _rule("attribute", attributes={"load": "uncovered"})
    frames = [[(1, "truck", 0.8, 0.5, {"load": load} if load else {})] for load in loads]
    hits = run(rule, frames)
    assert fired_frames(hits) == expected
    if expected:
        assert hits[expected[0]][0].attributes["load"] == "uncovered"


def test_reset_forgets_episode_but_keeps_cooldown() -> None:
    rule = _rule()
    run(rule, [[truck(IN)]] * 3)
    rule.reset()
    hits = [rule.step(meta(10 + i, 10 + i), dets([truck(IN)])) for i in range(4)]
    assert fired_frames(hits) == []


@pytest.mark.parametrize(
    ("dt_s", "frames", "expected"),
    [
        pytest.param(1.0, [[truck(IN)]] * 2 + [[]], [1], id="1fps-two-frames-held-1s"),
        pytest.param(1.0, [[truck(IN)], []], [], id="1fps-one-frame-never"),
        pytest.param(0.2, [[truck(IN)]] * 2 + [[]] * 3, [], id="5fps-two-frames-0.2s-too-short"),
        pytest.param(0.2, [[truck(IN)]] * 5, [2], id="5fps-min-frames-first"),
        pytest.param(
            1.0, [[truck(IN)], [truck(OUT)], [truck(IN)], [truck(OUT)]], [2], id="1fps-flicker-once"
        ),
        pytest.param(1.0, [[truck(IN)]] + [[]] * 3 + [[truck(IN)]], [], id="1fps-gap-past-grace"),
    ],
)
def test_min_seconds_confirms_on_slow_cameras(
    dt_s: float, frames: list[list[Any]], expected: list[int]
) -> None:
    rule = _rule(min_seconds=0.8)
    assert fired_frames(run(rule, frames, dt_s)) == expected
