"""Static-object detector: ms/frame beside the motion gate and the YOLO detector, and how many
static objects it reports, on the generated demo street and a real video. No tracker boxes are
passed: on the demo the stopped truck is reported too (2 tracks: truck, debris); on the real
video every report is a false alarm or an object left there.

YOLO_OFFLINE=1 .venv/bin/python bench/bench_static_objects.py
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from detectors.motion import MotionGate, MotionGateConfig
from detectors.offline import prepare_offline_runtime
from detectors.static_objects import StaticObjectDetector

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEO = REPO / ".." / "shared" / "data" / "video" / "intel_car-detection.mp4"
WEIGHTS = REPO / "detectors" / "weights" / "smartscene-demo-yolo.pt"
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def read_frames(path: Path, limit: int) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    frames: list[np.ndarray] = []
    while len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def static_run(frames: list[np.ndarray], fps: float) -> tuple[float, int, int]:
    """ms/frame, reports and distinct static tracks."""
    det = StaticObjectDetector()
    tracks: set[int] = set()
    for i, frame in enumerate(frames):
        found = det.update(frame, T0 + timedelta(seconds=i / fps))
        tracks.update(found.tracker_id.tolist())
    return det.stats.ms_per_frame, det.stats.reported, len(tracks)


def gate_ms(frames: list[np.ndarray]) -> float:
    gate = MotionGate(MotionGateConfig())
    start = time.perf_counter()
    for frame in frames:
        gate.decide(frame)
    return 1000 * (time.perf_counter() - start) / len(frames)


def yolo_ms(frames: list[np.ndarray], detector: object) -> float:
    sample = frames[: min(len(frames), 50)]
    detector.detect([sample[0]])  # type: ignore[attr-defined]  # warm-up
    start = time.perf_counter()
    for frame in sample:
        detector.detect([frame])  # type: ignore[attr-defined]
    return 1000 * (time.perf_counter() - start) / len(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    prepare_offline_runtime()
    from detectors.runtimes import load_detector
    from detectors.synth import render_demo_video

    detector = load_detector(args.weights, imgsz=320, conf=0.3, threads=2)
    videos: dict[str, tuple[list[np.ndarray], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        demo = render_demo_video(Path(tmp) / "demo.mp4", seconds=20, fps=10)
        videos["demo street 640x360"] = read_frames(demo, args.frames)
    if SHARED_VIDEO.is_file():
        frames, fps = read_frames(SHARED_VIDEO, args.frames)
        videos["intel_car 768x432"] = (frames, fps)
        big = [cv2.resize(f, (1920, 1080), interpolation=cv2.INTER_LINEAR) for f in frames]
        videos["intel_car 1920x1080"] = (big, fps)
    else:
        print(f"skipped {SHARED_VIDEO}: ../shared/data not present")
    print(
        f"{'video':<22} {'frames':>6} {'static ms':>9} {'gate ms':>8} {'yolo ms':>8}"
        f" {'static/gate':>11} {'static/yolo':>11} {'reports':>7} {'tracks':>6}"
    )
    for name, (frames, fps) in videos.items():
        s_ms, reports, tracks = static_run(frames, fps)
        g_ms, y_ms = gate_ms(frames), yolo_ms(frames, detector)
        print(
            f"{name:<22} {len(frames):>6} {s_ms:>9.2f} {g_ms:>8.2f} {y_ms:>8.1f}"
            f" {s_ms / g_ms:>10.2f}x {s_ms / y_ms:>10.3f}x {reports:>7} {tracks:>6}"
        )


if __name__ == "__main__":
    main()
