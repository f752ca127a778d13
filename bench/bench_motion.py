"""Motion gate: detector calls and wall time with and without it, on a real and a generated video.

YOLO_OFFLINE=1 .venv/bin/python bench/bench_motion.py
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from detectors.motion import MotionGate, MotionGateConfig
from detectors.offline import prepare_offline_runtime

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEO = REPO / ".." / "shared" / "data" / "video" / "intel_car-detection.mp4"
WEIGHTS = REPO / "detectors" / "weights" / "smartscene-demo-yolo.pt"


def read_frames(path: Path, limit: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    while len(frames) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def run(frames: list[np.ndarray], detector, gated: bool) -> tuple[int, float]:
    from detectors.ultralytics_backend import ByteTrackTracker

    gate, tracker = MotionGate(MotionGateConfig()), ByteTrackTracker()
    calls, active = 0, 0
    t0 = time.perf_counter()
    for frame in frames:
        if gated and not gate.decide(frame, active).run_detector:
            continue
        dets = tracker.update(detector.detect([frame])[0], frame)
        active = int(np.sum(dets.tracker_id >= 0))
        calls += 1
    return calls, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--weights", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    prepare_offline_runtime()
    from detectors.runtimes import load_detector
    from detectors.synth import render_demo_video

    detector = load_detector(args.weights, imgsz=320, conf=0.3, threads=2)
    videos = {}
    if SHARED_VIDEO.is_file():
        videos["intel_car-detection.mp4"] = read_frames(SHARED_VIDEO, args.frames)
    else:
        print(f"skipped {SHARED_VIDEO}: ../shared/data not present")
    with tempfile.TemporaryDirectory() as tmp:
        demo = render_demo_video(Path(tmp) / "demo.mp4", seconds=20, fps=10)
        videos["generated demo (20 s)"] = read_frames(demo, args.frames)
    print(
        f"{'video':<26} {'frames':>6} {'calls off':>9} {'calls on':>8} {'s off':>7} {'s on':>7}"
        f" {'speed-up':>8}"
    )
    for name, frames in videos.items():
        calls_off, s_off = run(frames, detector, gated=False)
        calls_on, s_on = run(frames, detector, gated=True)
        print(
            f"{name:<26} {len(frames):>6} {calls_off:>9} {calls_on:>8} {s_off:>7.1f} {s_on:>7.1f} "
            f"{s_off / max(s_on, 1e-9):>7.2f}x"
        )


if __name__ == "__main__":
    main()
