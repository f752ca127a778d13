"""Line crossing (direction, jitter, id switch) and calibrated speed."""

from __future__ import annotations

from typing import Any

import pytest
from scenes_fakes import LinearGround, run, run_times, scene

from scenes.rules import BuildContext, CalibrationRequiredError, build_rule

# Line "mid" runs from (0.1, 0.5) to (0.9, 0.5): facing +x, "right" (left_to_right) is downwards.
ABOVE, BELOW = 0.4, 0.6


def _line_rule(direction: str | None = None, **cfg: Any) -> Any:
    config: dict[str, Any] = {
        "id": "r",
        "kind": "line_crossing",
        "line_id": "mid",
        "category_code": "C",
        "object_classes": ["truck"],
        "cooldown_s": 60.0,
        "direction": direction,
        **cfg,
    }
    sc = scene([config])
    return build_rule(sc.rules[0], BuildContext(scene=sc))


def at(y: float, x: float = 0.5, tid: int = 1) -> list[tuple[Any, ...]]:
    return [(tid, "truck", x, y)]


def fired(hits: list[list[Any]]) -> list[int]:
    return [i for i, h in enumerate(hits) for _ in h]


@pytest.mark.parametrize(
    ("direction", "ys", "expected"),
    [
        pytest.param("left_to_right", [0.3, 0.4, 0.6, 0.7], [2], id="down-counts"),
        pytest.param("left_to_right", [0.7, 0.6, 0.4, 0.3], [], id="up-ignored"),
        pytest.param("right_to_left", [0.7, 0.6, 0.4, 0.3], [2], id="up-counts"),
        pytest.param("any", [0.7, 0.4, 0.6], [1], id="any-once-per-track"),
        pytest.param("any", [0.3, 0.4, 0.45, 0.49], [], id="never-crosses"),
        pytest.param(
            "left_to_right", [0.49, 0.51, 0.49, 0.51, 0.49, 0.51], [1], id="jitter-on-line"
        ),
        pytest.param("left_to_right", [0.4, 0.5, 0.6], [2], id="stops-exactly-on-line"),
        pytest.param(None, [0.4, 0.6], [1], id="line-default-any"),
    ],
)
def test_line_crossing_direction(
    direction: str | None, ys: list[float], expected: list[int]
) -> None:
    assert fired(run(_line_rule(direction), [at(y) for y in ys])) == expected


def test_crossing_outside_the_segment_does_not_count() -> None:
    assert fired(run(_line_rule("any"), [at(0.4, x=0.95), at(0.6, x=0.95)])) == []


def test_id_switch_after_crossing_does_not_fire_again() -> None:
    frames = [at(0.4), at(0.6), at(0.61, tid=2), at(0.4, tid=2), at(0.6, tid=2)]
    assert fired(run(_line_rule("any", exit_grace_s=2.0), frames)) == [1]


def test_track_lost_longer_than_grace_starts_afresh() -> None:
    rule = _line_rule("any", exit_grace_s=2.0)
    frames = [(0.0, at(0.4)), (10.0, at(0.6))]
    assert fired(run_times(rule, frames)) == []


def test_min_frames_before_crossing() -> None:
    assert fired(run(_line_rule("any", min_frames=3), [at(0.4), at(0.6)])) == []
    assert fired(run(_line_rule("any", min_frames=3), [at(0.3), at(0.4), at(0.45), at(0.6)])) == [3]


def _speed_rule(ground: Any, **cfg: Any) -> Any:
    config: dict[str, Any] = {
        "id": "sp",
        "kind": "speed",
        "category_code": "MT_SPEEDING",
        "object_classes": ["truck"],
        "max_speed_kmh": 40.0,
        "window_s": 2.0,
        "min_span_s": 1.0,
        "min_frames": 2,
        **cfg,
    }
    sc = scene([config])
    return build_rule(sc.rules[0], BuildContext(scene=sc, ground=ground))


def test_speed_refuses_to_build_without_calibration() -> None:
    with pytest.raises(CalibrationRequiredError, match="calibrat"):
        _speed_rule(None)


@pytest.mark.parametrize(
    ("step_px", "expected"),
    [
        # 0.1 m/px: 150 px/s = 15 m/s = 54 km/h; 100 px/s = 36 km/h.
        pytest.param(150, [2], id="54-kmh-fires"),
        pytest.param(100, [], id="36-kmh-ok"),
        pytest.param(0, [], id="parked"),
    ],
)
def test_speed(step_px: int, expected: list[int]) -> None:
    rule = _speed_rule(LinearGround(0.1))
    frames = [[(1, "truck", (100 + i * step_px) / 1000, 0.8)] for i in range(6)]
    hits = run(rule, frames)
    assert fired(hits) == expected
    if expected:
        assert float(hits[expected[0]][0].attributes["speed_kmh"]) == pytest.approx(54.0, rel=0.02)


def test_speed_ignores_unmappable_pixels_and_clock_jumps() -> None:
    rule = _speed_rule(LinearGround(0.1))
    frames = [(0.0, [(1, "truck", 0.1, 0.8)]), (-5.0, [(1, "truck", 0.6, 0.8)])]
    frames += [(-4.0, [(1, "truck", 0.75, 0.8)]), (-3.0, [(1, "truck", 0.9, 0.8)])]
    hits = run_times(rule, frames)
    assert fired(hits) == [3]  # 150 px/s measured only after the clock settled
