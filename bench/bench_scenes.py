"""How many 1-fps cameras one machine sustains through engine + pipeline; frame-to-event latency.

Runs in well under 2 minutes. Uses a fake detector (scripted boxes: trucks driving through,
parked cars, people, debris) so it measures our per-frame cost, not the model's; pass
``--real-model PATH`` to also time ``detectors.ultralytics_backend.UltralyticsDetector`` when
it exists. Prints one table with ratios against the engine-only baseline.

    .venv/bin/python bench/bench_scenes.py [--frames 1500] [--cameras 1,4,8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import SystemClock
from detectors.detections import Detections
from scenes.config import SceneConfig, TimeWindow, Zone
from scenes.engine import SceneEngine
from scenes.events import SceneEvent
from scenes.evidence import EvidenceStore
from scenes.packs import city_pack, full_frame_zone, muck_truck_pack, with_rules
from scenes.pipeline import CameraPipeline
from scenes.rules.base import FrameMeta

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
SIZE = (1280, 720)
NAMES = {0: "car", 1: "truck", 2: "debris", 3: "person"}


class FakeDetector:
    """Per call: 2 trucks driving across (one uncovered), 3 parked cars, 6 people, debris later."""

    def __init__(self) -> None:
        self.i = 0

    def detect(self, frames: Sequence[Any]) -> list[Detections]:
        out = [self._scene(self.i + k) for k in range(len(frames))]
        self.i += len(frames)
        return out

    def _scene(self, i: int) -> Detections:
        w = SIZE[0]
        boxes, cls, tids, attrs = [], [], [], []
        for lane, load in ((0, "covered"), (1, "uncovered")):
            x = ((i * 40 + lane * 300) % (w + 200)) - 100
            boxes.append([x, 300 + lane * 120, x + 180, 420 + lane * 120])
            cls.append(1)
            tids.append(1000 + lane * 1000 + (i * 40 + lane * 300) // (w + 200))
            attrs.append({"load": load})
        for k in range(3):
            boxes.append([100 + k * 150, 600, 220 + k * 150, 700])
            cls.append(0)
            tids.append(10 + k)
            attrs.append({})
        for k in range(6):
            boxes.append([700 + k * 40, 150, 730 + k * 40, 230])
            cls.append(3)
            tids.append(20 + k)
            attrs.append({})
        if i % 400 > 200:
            boxes.append([600, 560, 640, 580])
            cls.append(2)
            tids.append(50 + i // 400)
            attrs.append({})
        n = len(boxes)
        return Detections.from_arrays(boxes, [0.8] * n, cls, NAMES, tids, attrs)


class PassThroughTracker:
    def update(self, detections: Detections, frame: Any = None) -> Detections:
        return detections


def build_scene(camera_id: str) -> SceneConfig:
    zones = [
        full_frame_zone("road"),
        Zone(id="restricted", polygon=[(0, 0.35), (1, 0.35), (1, 0.8), (0, 0.8)]),
        Zone(id="kerb", polygon=[(0, 0.8), (0.6, 0.8), (0.6, 1), (0, 1)]),
        Zone(id="plaza", polygon=[(0.5, 0.1), (0.8, 0.1), (0.8, 0.4), (0.5, 0.4)]),
    ]
    base = SceneConfig(id=f"scene-{camera_id}", camera_id=camera_id, zones=zones)
    rules = muck_truck_pack(
        restricted_zone_id="restricted",
        road_zone_id="road",
        no_dump_zone_id="kerb",
        restricted_windows=[TimeWindow(start="00:00", end="00:00")],
    )
    rules += city_pack(
        no_parking_zone_id="kerb",
        garbage_zone_id="road",
        crowd_zone_id="plaza",
        crowd_min_count=5,
        crowd_category_code="CROWD",
    )
    return with_rules(base, rules)


def make_pipeline(
    camera_id: str, publish: Callable[[SceneEvent], None], evidence: EvidenceStore | None
) -> CameraPipeline:
    engine = SceneEngine(build_scene(camera_id), clock=SystemClock())
    return CameraPipeline(
        engine=engine,
        detector=FakeDetector(),
        tracker=PassThroughTracker(),
        publish=publish,
        evidence=evidence,
    )


def time_engine(frames: int) -> float:
    engine = SceneEngine(build_scene("cam0"))
    detector = FakeDetector()
    script = [detector.detect([None])[0] for _ in range(frames)]
    warm = SceneEngine(build_scene("warm"))
    for i, dets in enumerate(script[:100]):
        warm.step(FrameMeta("warm", i, T0 + timedelta(seconds=i), SIZE), dets)
    start = time.perf_counter()
    for i, dets in enumerate(script):
        engine.step(FrameMeta("cam0", i, T0 + timedelta(seconds=i), SIZE), dets)
    return (time.perf_counter() - start) / frames


def time_pipeline(frames: int, evidence_root: Path | None) -> tuple[float, list[float], int]:
    """Mean seconds per frame, frame-to-publish latencies (s), events."""
    latencies: list[float] = []
    started = [0.0]
    store = EvidenceStore(evidence_root, pre_s=3, post_s=0) if evidence_root else None
    pipeline = make_pipeline(
        "cam0", lambda e: latencies.append(time.perf_counter() - started[0]), store
    )
    image = np.random.default_rng(1).integers(0, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
    total = time.perf_counter()
    for i in range(frames):
        started[0] = time.perf_counter()
        pipeline.process(image, FrameMeta("cam0", i, T0 + timedelta(seconds=i), SIZE))
    return (time.perf_counter() - total) / frames, latencies, pipeline.stats.events


def time_cameras(n_cameras: int, frames_each: int) -> float:
    """Aggregate frames/s with ``n_cameras`` pipelines in threads (one process)."""
    image = np.zeros((SIZE[1], SIZE[0], 3), dtype=np.uint8)

    def worker(k: int) -> None:
        pipeline = make_pipeline(f"cam{k}", lambda e: None, None)
        for i in range(frames_each):
            meta = FrameMeta(f"cam{k}", i, T0 + timedelta(seconds=i), SIZE)
            pipeline.process(image, meta)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_cameras)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return n_cameras * frames_each / (time.perf_counter() - start)


def time_real(model: str, frames: int) -> float | None:
    try:
        from detectors.ultralytics_backend import UltralyticsDetector  # type: ignore[import-not-found]
    except ImportError as exc:
        print(f"real detector skipped: {exc}")
        return None
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")
    detector = UltralyticsDetector(model)
    image = np.zeros((SIZE[1], SIZE[0], 3), dtype=np.uint8)
    detector.detect([image])
    start = time.perf_counter()
    for _ in range(frames):
        detector.detect([image])
    return (time.perf_counter() - start) / frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--cameras", default="1,4,8")
    parser.add_argument("--real-model", default=None)
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    engine_s = time_engine(args.frames)
    pipe_s, lat, events = time_pipeline(args.frames, None)
    with tempfile.TemporaryDirectory() as tmp:
        evid_s, lat_ev, events_ev = time_pipeline(args.frames // 3, Path(tmp))

    print(f"\nper-frame cost, 1280x720, {args.frames} frames, {cores} cores (fake detector)")
    print(f"{'stage':40} {'ms/frame':>9} {'x engine':>9} {'1-fps cams/core':>16}")
    for name, sec in [
        ("engine.step (13 rules, 12 objects)", engine_s),
        ("pipeline.process, no evidence", pipe_s),
        ("pipeline.process + evidence ring/JPEG", evid_s),
    ]:
        print(f"{name:40} {sec * 1e3:9.3f} {sec / engine_s:9.2f} {1 / sec:16.0f}")

    print("\nframe-to-publish latency (process start -> publish callback)")
    for name, values, n in [
        ("no evidence", lat, events),
        ("evidence, post_s=0", lat_ev, events_ev),
    ]:
        if values:
            p50 = statistics.median(values) * 1e3
            p99 = sorted(values)[int(0.99 * (len(values) - 1))] * 1e3
            print(f"  {name:22} events={n:4d}  p50={p50:7.3f} ms  p99={p99:7.3f} ms")
    print("  (with post_s > 0 an event waits post_s of stream time for its clip: +5 s default)")

    print("\nthreads in one process (GIL-bound): aggregate frames/s = sustainable 1-fps cameras")
    base = None
    for n in (int(c) for c in args.cameras.split(",")):
        fps = time_cameras(n, max(50, args.frames // (2 * n)))
        base = base or fps
        print(f"  {n:2d} cameras: {fps:8.0f} frames/s  (x{fps / base:.2f} vs 1 camera)")
    print(f"  estimate for {cores} cores with one process per core: ~{cores / pipe_s:.0f} cameras")

    if args.real_model:
        real = time_real(args.real_model, 20)
        if real is not None:
            cams = cores / (real + pipe_s)
            print(f"\nreal detector: {real * 1e3:.1f} ms/frame -> ~{cams:.1f} cameras")


if __name__ == "__main__":
    main()
