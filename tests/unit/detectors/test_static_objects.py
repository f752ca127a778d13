"""New static objects by background modelling, on synthetic frames: appear-and-stay, moving,
tracked stopped vehicle, lighting and noise, removal, ghosts, region, area, ids and scaling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from detectors.detections import Detections
from detectors.static_objects import StaticObjectConfig, StaticObjectDetector, merge_detections

H, W = 180, 320
FPS = 10
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
PILE = (20, 120, 60, 150)  # x1, y1, x2, y2 of the test pile
Frame = np.ndarray
Box = tuple[int, int, int, int]


def road(seed: int = 1, h: int = H, w: int = W) -> np.ndarray:
    """A grey, softly textured road (float canvas, before noise)."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 2.0)
    grey = 100 + 12 * texture / texture.std()
    return np.repeat(grey[..., None], 3, axis=2).astype(np.float32)


def paint_pile(canvas: np.ndarray, box: Box, seed: int = 5) -> None:
    """A brown, lumpy pile: the kind of object a truck spills."""
    x1, y1, x2, y2 = box
    rng = np.random.default_rng(seed)
    lumps = cv2.GaussianBlur(rng.normal(0, 1, (y2 - y1, x2 - x1)).astype(np.float32), (0, 0), 1)
    colour = np.array([50.0, 85.0, 125.0], dtype=np.float32)
    canvas[y1:y2, x1:x2] = colour + 15 * lumps[..., None]


def finish(canvas: np.ndarray, index: int, gain: float = 1.0, noise: float = 3.0) -> Frame:
    rng = np.random.default_rng(1000 + index)
    out = canvas * gain + rng.normal(0, noise, canvas.shape[:2])[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


@dataclass
class Run:
    """What the detector reported, frame by frame."""

    times_s: list[float]
    outputs: list[Detections]

    def first_report_s(self) -> float | None:
        return next((t for t, d in zip(self.times_s, self.outputs, strict=True) if len(d)), None)

    def last_report_s(self) -> float | None:
        hits = [t for t, d in zip(self.times_s, self.outputs, strict=True) if len(d)]
        return hits[-1] if hits else None

    def track_ids(self) -> set[int]:
        return {int(i) for d in self.outputs for i in d.tracker_id}

    def reports(self) -> int:
        return sum(len(d) for d in self.outputs)


Scene = Callable[[int, float], tuple[Frame, list[Box]]]
"""(frame index, time) -> (frame, tracked boxes)."""


def run(scene: Scene, seconds: float, config: StaticObjectConfig | None = None) -> Run:
    det = StaticObjectDetector(config or StaticObjectConfig(min_static_s=3.0))
    times, outputs = [], []
    for i in range(round(seconds * FPS)):
        t = i / FPS
        frame, boxes = scene(i, t)
        moving = Detections.from_arrays(
            np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
            [0.9] * len(boxes),
            [1] * len(boxes),
            {1: "truck"},
            tracker_id=list(range(1, len(boxes) + 1)),
        )
        outputs.append(det.update(frame, T0 + timedelta(seconds=t), moving))
        times.append(t)
    return Run(times, outputs)


def pile_between(start_s: float, end_s: float = 1e9, box: Box = PILE) -> Scene:
    base = road()

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        canvas = base.copy()
        if start_s <= t < end_s:
            paint_pile(canvas, box)
        return finish(canvas, i), []

    return scene


def iou(a: Box | np.ndarray, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return float(w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h))


def test_object_appearing_and_staying_is_one_track_after_min_static_s():
    result = run(pile_between(2.0), 10.0)
    first = result.first_report_s()
    assert first is not None
    assert 2.0 + 3.0 <= first <= 2.0 + 3.0 + 1.5
    assert len(result.track_ids()) == 1
    assert min(result.track_ids()) >= 1_000_000_000
    reported = [d for d in result.outputs if len(d)]
    assert all(len(d) == 1 for d in reported)
    assert len(reported) == round((10.0 - first) * FPS)  # every frame from the first on
    final = reported[-1]
    assert iou(final.xyxy_px[0], PILE) > 0.6
    assert final.names == ["debris"]
    assert 0.0 < float(final.confidence[0]) <= 1.0
    assert float(final.confidence[0]) > float(reported[0].confidence[0])  # persistence grows


@pytest.mark.parametrize("min_static_s", [1.0, 5.0])
def test_min_static_s_sets_the_delay(min_static_s):
    result = run(pile_between(1.0), 9.0, StaticObjectConfig(min_static_s=min_static_s))
    first = result.first_report_s()
    assert first is not None
    assert 1.0 + min_static_s <= first <= 1.0 + min_static_s + 1.5


def test_removed_object_stops_being_reported():
    result = run(pile_between(1.0, end_s=8.0), 14.0)
    last = result.last_report_s()
    assert result.first_report_s() is not None
    assert last is not None
    assert 7.9 <= last <= 8.0 + 1.0
    assert len(result.track_ids()) == 1  # and nothing comes back where it was


def moving_square(speed_px: int, size: int = 24, tracked: bool = False) -> Scene:
    base = road()

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        canvas = base.copy()
        x = (10 + speed_px * i) % (W - size)
        box = (x, 80, x + size, 80 + size)
        canvas[80 : 80 + size, x : x + size] = (200.0, 60.0, 40.0)
        return finish(canvas, i), [box] if tracked else []

    return scene


def stopping_vehicle(tracked: bool) -> Scene:
    """A vehicle drives in, stops at x=150 from 2 s on and stays (a stopped truck)."""
    base = road()

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        canvas = base.copy()
        x = int(min(150, 75 * t))
        box = (x, 70, x + 60, 110)
        canvas[70:110, x : x + 60] = (40.0, 130.0, 40.0)
        canvas[102:110, x + 4 : x + 56] = (20.0, 20.0, 20.0)  # dark underside
        return finish(canvas, i), [box] if tracked else []

    return scene


def lighting(kind: str) -> Scene:
    base = road()
    yy, xx = np.mgrid[0:H, 0:W]
    spot = np.exp(-(((xx - 200) / 50.0) ** 2 + ((yy - 90) / 40.0) ** 2)).astype(np.float32)

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        if kind == "step":  # exposure jump (auto-iris, cloud)
            return finish(base, i, gain=1.3 if t >= 3.0 else 1.0), []
        if kind == "ramp":  # dusk: -40 % over the run
            return finish(base, i, gain=1.0 - 0.04 * t), []
        if kind == "sun_patch":  # soft local brightening, no edges
            return finish(base * (1 + 0.45 * spot[..., None] * (t >= 2.0)), i), []
        return finish(base, i, noise=8.0), []  # heavy sensor noise

    return scene


@pytest.mark.parametrize(
    ("name", "scene"),
    [
        ("fast mover", moving_square(6)),
        ("slower mover", moving_square(3)),
        ("tracked mover", moving_square(2, tracked=True)),
        ("stopped vehicle, tracked", stopping_vehicle(tracked=True)),
        ("exposure step", lighting("step")),
        ("dusk ramp", lighting("ramp")),
        ("soft sun patch", lighting("sun_patch")),
        ("heavy noise", lighting("noise")),
    ],
)
def test_nothing_is_reported(name, scene):
    assert run(scene, 10.0).reports() == 0, name


def test_stopped_vehicle_is_reported_when_nobody_tracks_it():
    """The control for the tracked case above: the tracker's box is what tells them apart."""
    assert run(stopping_vehicle(tracked=False), 10.0).first_report_s() is not None


def test_pile_next_to_stopped_tracked_vehicle_is_still_found():
    base, vehicle = road(), stopping_vehicle(tracked=True)

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        frame, boxes = vehicle(i, t)
        if t >= 3.0:
            canvas = base.copy()
            canvas[:, :] = frame
            paint_pile(canvas, PILE)
            frame = finish(canvas, i, noise=0.0)
        return frame, boxes

    result = run(scene, 10.0)
    assert len(result.track_ids()) == 1
    assert all(iou(d.xyxy_px[0], PILE) > 0.5 for d in result.outputs if len(d))


def test_pile_appearing_where_a_start_up_vehicle_stood_is_found():
    """The vehicle is in the first frame (so in the background); when it leaves, its ghost
    touches the pile that appears just below: the ghost is healed, the pile is still reported.
    (Pile pixels landing *inside* a ghost before it is healed are healed with it.)"""
    base = road()

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        canvas = base.copy()
        x = int(75 * t)
        canvas[89:119, x : x + 60] = (40.0, 130.0, 40.0)
        if t >= 3.0:
            paint_pile(canvas, PILE)
        return finish(canvas, i), [(x, 89, x + 60, 119)]

    result = run(scene, 10.0)
    assert len(result.track_ids()) == 1
    assert 6.0 <= (result.first_report_s() or 0.0) <= 7.5
    assert all(iou(d.xyxy_px[0], PILE) > 0.5 for d in result.outputs if len(d))


def test_object_in_first_frame_leaving_leaves_no_ghost():
    base = road()

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        canvas = base.copy()
        if t < 1.0:
            paint_pile(canvas, (150, 40, 200, 90))
        return finish(canvas, i), []

    det = StaticObjectDetector(StaticObjectConfig(min_static_s=2.0))
    reports = 0
    for i in range(80):
        frame, _ = scene(i, i / FPS)
        reports += len(det.update(frame, T0 + timedelta(seconds=i / FPS)))
    assert reports == 0
    assert det.stats.ghosts_healed >= 1


@pytest.mark.parametrize(
    ("config", "reported"),
    [
        (StaticObjectConfig(min_static_s=2.0), True),
        (
            StaticObjectConfig(min_static_s=2.0, region_rel=((0.5, 0), (1, 0), (1, 1), (0.5, 1))),
            False,
        ),
        (
            StaticObjectConfig(min_static_s=2.0, region_rel=((0, 0), (0.5, 0), (0.5, 1), (0, 1))),
            True,
        ),
        (StaticObjectConfig(min_static_s=2.0, min_area_rel=0.05, max_area_rel=0.5), False),
        (StaticObjectConfig(min_static_s=2.0, max_area_rel=0.01), False),
    ],
)
def test_region_and_area_limits(config, reported):
    result = run(pile_between(0.5), 6.0, config)  # the pile is 40x30 px: 2 % of the frame
    assert (result.first_report_s() is not None) is reported


def test_wide_frames_are_downscaled_and_boxes_come_back_in_frame_pixels():
    big = cv2.resize(road(), (1280, 720), interpolation=cv2.INTER_LINEAR)
    pile_big = (80, 480, 240, 600)

    def scene(i: int, t: float) -> tuple[Frame, list[Box]]:
        canvas = big.copy()
        if t >= 0.5:
            paint_pile(canvas, pile_big)
        return finish(canvas, i), []

    config = StaticObjectConfig(min_static_s=2.0, class_name="spill", track_id_offset=5_000)
    result = run(scene, 5.0, config)
    last = [d for d in result.outputs if len(d)][-1]
    assert iou(last.xyxy_px[0], pile_big) > 0.6
    assert last.names == ["spill"]
    assert result.track_ids() == {5_000}


@pytest.mark.parametrize(
    "bad",
    [
        {"min_static_s": 0},
        {"work_width_px": 8},
        {"min_area_rel": 0.1, "max_area_rel": 0.05},
        {"region_rel": ((0, 0), (1, 1))},
        {"edge_ratio": 0.5},
        {"relearn_fraction": 0},
        {"box_memory_s": -1},
    ],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(ValueError):
        StaticObjectConfig(**bad)


def test_bad_frames_are_refused():
    det = StaticObjectDetector()
    with pytest.raises(ValueError, match="uint8 BGR"):
        det.update(np.zeros((H, W), dtype=np.uint8), T0)
    with pytest.raises(ValueError, match="uint8 BGR"):
        det.update(np.zeros((H, W, 3), dtype=np.float32), T0)  # type: ignore[arg-type]


def test_merge_maps_class_names_and_keeps_track_ids():
    tracked = Detections.from_arrays(
        [[0, 0, 10, 10]], [0.9], [1], {0: "car", 1: "truck"}, tracker_id=[7]
    )
    static = Detections.from_arrays(
        [[20, 20, 30, 30]], [0.6], [0], {0: "debris"}, tracker_id=[1_000_000_000]
    )
    merged = merge_detections(tracked, static)
    assert merged.names == ["truck", "debris"]
    assert merged.tracker_id.tolist() == [7, 1_000_000_000]
    assert merge_detections(tracked, Detections.empty()) is tracked
    with_debris = Detections.from_arrays([[0, 0, 5, 5]], [0.5], [2], {2: "debris"})
    assert merge_detections(with_debris, static).class_id.tolist() == [2, 2]
