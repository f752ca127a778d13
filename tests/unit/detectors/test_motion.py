"""Motion gate: warm-up, motion, masks, minimum area, stationary re-checks and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.motion import MotionGate, MotionGateConfig, mask_from_polygons

H, W = 120, 160


def background(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.full((H, W, 3), 90, dtype=np.uint8)
    return np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)


def with_square(frame: np.ndarray, x: int, size: int = 20) -> np.ndarray:
    out = frame.copy()
    out[40 : 40 + size, x : x + size] = 250
    return out


def run(gate: MotionGate, frames: list[np.ndarray], tracks: int = 0) -> list[str]:
    return [gate.decide(f, tracks).reason for f in frames]


def static_frames(n: int) -> list[np.ndarray]:
    return [background(i) for i in range(n)]


def test_warmup_then_idle_on_static_scene():
    gate = MotionGate(MotionGateConfig(warmup_frames=3, downscale=1))
    reasons = run(gate, static_frames(30))
    assert reasons[:3] == ["warmup"] * 3
    assert reasons[-10:] == ["idle"] * 10
    assert gate.stats.frames == 30
    assert gate.stats.skipped == reasons.count("idle")
    assert gate.stats.detector_calls == 30 - gate.stats.skipped


def test_moving_object_triggers_detector_with_region():
    gate = MotionGate(MotionGateConfig(warmup_frames=1, downscale=1, min_area_px=50))
    run(gate, static_frames(30))
    decision = gate.decide(with_square(background(99), 60))
    assert decision.run_detector
    assert decision.reason == "motion"
    x1, y1, x2, y2 = decision.regions_px[0]
    assert x1 <= 62 and x2 >= 78 and y1 <= 42 and y2 >= 58


@pytest.mark.parametrize(
    ("size_px", "min_area_px", "mask_poly", "expect_motion"),
    [
        (20, 50, None, True),
        (6, 200, None, False),  # blob smaller than min_area
        (20, 50, [(0, 0), (40, 0), (40, H), (0, H)], False),  # motion outside the watched polygon
        (20, 50, [(50, 0), (W, 0), (W, H), (50, H)], True),  # motion inside the watched polygon
    ],
)
def test_min_area_and_mask(size_px, min_area_px, mask_poly, expect_motion):
    mask = mask_from_polygons((H, W), [mask_poly]) if mask_poly else None
    gate = MotionGate(MotionGateConfig(warmup_frames=1, downscale=1, min_area_px=min_area_px), mask)
    run(gate, static_frames(30))
    decision = gate.decide(with_square(background(99), 60, size_px))
    assert (decision.reason == "motion") is expect_motion


def test_stationary_tracks_are_rechecked_at_lower_rate():
    gate = MotionGate(MotionGateConfig(warmup_frames=1, downscale=2, stationary_recheck_every=5))
    run(gate, static_frames(30))
    reasons = run(gate, static_frames(20), tracks=2)
    assert reasons.count("stationary_recheck") == 4
    assert reasons.count("stationary_hold") == 16


def test_idle_recheck_rate():
    gate = MotionGate(MotionGateConfig(warmup_frames=0, downscale=2, idle_recheck_every=10))
    reasons = run(gate, static_frames(40))
    assert 3 <= reasons.count("idle_recheck") <= 4


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((H, W), dtype=np.uint8), "BGR"),
        (np.zeros((H, W, 3), dtype=np.float32), "BGR"),
        (np.zeros((H, W, 4), dtype=np.uint8), "BGR"),
        ("not an image", "BGR"),
    ],
)
def test_bad_frames_raise(frame, message):
    with pytest.raises(ValueError, match=message):
        MotionGate().decide(frame)


def test_shape_change_and_mask_mismatch_raise():
    gate = MotionGate()
    gate.decide(background())
    with pytest.raises(ValueError, match="reset"):
        gate.decide(np.zeros((60, 80, 3), dtype=np.uint8))
    gate.reset()
    gate.decide(np.zeros((60, 80, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="mask shape"):
        MotionGate(mask=np.zeros((10, 10), dtype=np.uint8)).decide(background())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_area_px": 0},
        {"downscale": 0},
        {"stationary_recheck_every": 0},
        {"idle_recheck_every": -1},
    ],
)
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError, match=">="):
        MotionGateConfig(**kwargs)


def test_mask_from_polygons():
    assert mask_from_polygons((4, 4), []).min() == 255
    mask = mask_from_polygons((10, 10), [[(0, 0), (4, 0), (4, 4), (0, 4)]])
    assert mask[2, 2] == 255 and mask[8, 8] == 0
    with pytest.raises(ValueError, match="3 points"):
        mask_from_polygons((10, 10), [[(0, 0), (1, 1)]])
