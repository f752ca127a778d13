"""Shared fakes and builders for the scenes tests (imported as a top-level module)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from detectors.detections import Detections
from scenes.config import SceneConfig
from scenes.rules.base import FrameMeta

# Monday 2025-03-03 10:00 in Asia/Shanghai.
T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
FRAME_SIZE = (1000, 1000)
CLASSES = {0: "car", 1: "truck", 2: "debris", 3: "person"}
IDS = {name: cid for cid, name in CLASSES.items()}
HALF = 0.05

Obj = tuple[Any, ...]
"""(track_id, class_name, x_rel, y_rel[, attributes[, confidence]]): anchor = bottom-centre."""


def dets(objs: Sequence[Obj]) -> Detections:
    """Detections whose bottom-centre anchors are at the given relative points."""
    if not objs:
        return Detections.empty(CLASSES)
    w, h = FRAME_SIZE
    boxes, conf, cls, tids, attrs = [], [], [], [], []
    for obj in objs:
        tid, name, x, y = obj[:4]
        boxes.append([(x - HALF) * w, (y - 2 * HALF) * h, (x + HALF) * w, y * h])
        attrs.append(dict(obj[4]) if len(obj) > 4 else {})
        conf.append(obj[5] if len(obj) > 5 else 0.9)
        cls.append(IDS[name])
        tids.append(tid)
    return Detections.from_arrays(boxes, conf, cls, CLASSES, tids, attrs)


def meta(i: int, t_s: float, camera_id: str = "cam1") -> FrameMeta:
    """Frame ``i`` at ``T0 + t_s``."""
    return FrameMeta(camera_id, i, T0 + timedelta(seconds=t_s), FRAME_SIZE)


def scene(rules: list[dict[str, Any]], **extra: Any) -> SceneConfig:
    """A scene with a left-half zone ``left``, a full zone ``all`` and a horizontal line ``mid``."""
    data: dict[str, Any] = {
        "id": "s1",
        "camera_id": "cam1",
        "zones": [
            {"id": "left", "polygon": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]},
            {"id": "all", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]},
        ],
        "lines": [{"id": "mid", "a": [0.1, 0.5], "b": [0.9, 0.5]}],
        "rules": rules,
    }
    data.update(extra)
    return SceneConfig.model_validate(data)


def run(rule: Any, frames: Sequence[Sequence[Obj]], dt_s: float = 1.0) -> list[list[Any]]:
    """Step ``rule`` over frames 1 s apart; return the hits per frame."""
    return [rule.step(meta(i, i * dt_s), dets(objs)) for i, objs in enumerate(frames)]


def run_times(rule: Any, frames: Sequence[tuple[float, Sequence[Obj]]]) -> list[list[Any]]:
    """Step ``rule`` over (t_s, objects) frames; return hits per frame."""
    return [rule.step(meta(i, t), dets(objs)) for i, (t, objs) in enumerate(frames)]


class LinearGround:
    """Fake calibration: 1 px = ``m_per_px`` metres east/south of a point near Shenzhen."""

    LON0, LAT0 = 114.05, 22.54

    def __init__(self, m_per_px: float = 0.1) -> None:
        self.m_per_px = m_per_px

    def to_ground(self, px: tuple[float, float]) -> tuple[float, float]:
        if px[1] < 0:
            raise ValueError("above the horizon")
        east_m, south_m = px[0] * self.m_per_px, px[1] * self.m_per_px
        lat = self.LAT0 - south_m / 111_320.0
        lon = self.LON0 + east_m / (111_320.0 * float(np.cos(np.radians(self.LAT0))))
        return lon, lat


class ScriptedDetector:
    """Returns pre-scripted detections, one entry per call; can raise on chosen calls."""

    def __init__(self, script: Sequence[Detections], fail_on: Sequence[int] = ()) -> None:
        self.script = list(script)
        self.calls = 0
        self.fail_on = set(fail_on)

    def detect(self, frames: Sequence[Any]) -> list[Detections]:
        call = self.calls
        self.calls += 1
        if call in self.fail_on:
            raise RuntimeError("detector exploded")
        return [self.script[min(call, len(self.script) - 1)] for _ in frames]


class IdentityTracker:
    """Keeps the tracker ids already present in the detections."""

    def __init__(self) -> None:
        self.calls = 0

    def update(self, detections: Detections, frame: Any = None) -> Detections:
        self.calls += 1
        return detections


def write_video(
    path: Any, n_frames: int = 30, fps: float = 10.0, size: tuple[int, int] = (160, 120)
) -> None:
    """Write a small mp4 whose frame k has brightness 8*k (frame identity survives encoding)."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for k in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), min(255, 8 * k), dtype=np.uint8))
    writer.release()


class FakeCapture:
    """A scripted capture: ``reads`` is a list of frames (arrays) or None for a failed read."""

    def __init__(self, reads: Sequence[Any], opened: bool = True, delay_s: float = 0.0) -> None:
        self.reads = list(reads)
        self.opened = opened
        self.delay_s = delay_s
        self.released = False

    def isOpened(self) -> bool:
        return self.opened

    def read(self) -> tuple[bool, Any]:
        import time

        if self.delay_s:
            time.sleep(self.delay_s)
        if not self.reads:
            return False, None
        item = self.reads.pop(0)
        return item is not None, item

    def grab(self) -> bool:
        return bool(self.reads)

    def retrieve(self) -> tuple[bool, Any]:
        return self.read()

    def get(self, prop_id: int) -> float:
        return 0.0

    def release(self) -> None:
        self.released = True
