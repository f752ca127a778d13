"""UltralyticsDetector with the demo model: unseen scenes, thresholds, errors, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from detectors.synth import CLASS_NAMES, render_scene
from detectors.ultralytics_backend import UltralyticsDetector, WeightsError, check_class_names

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "detectors" / "weights" / "smartscene-demo-yolo.pt"
UNSEEN_SEEDS = range(777_000, 777_006)  # never used by write_dataset's seed 0 dataset


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def detector() -> UltralyticsDetector:
    return UltralyticsDetector(DEMO, imgsz=320, conf=0.25, expected_classes=CLASS_NAMES, threads=2)


@pytest.fixture(scope="module")
def scenes():
    return [render_scene(s, 640, 360) for s in UNSEEN_SEEDS]


def test_demo_model_finds_trucks_in_unseen_scenes(detector, scenes):
    results = detector.detect([img for img, _ in scenes])
    assert len(results) == len(scenes)
    found = total = 0
    for dets, (_, anns) in zip(results, scenes, strict=True):
        truck_boxes = [d for d, n in zip(dets.xyxy_px, dets.names, strict=True) if n == "truck"]
        for a in anns:
            if a.class_name == "truck" and (a.xyxy_px[2] - a.xyxy_px[0]) >= 40:
                total += 1
                found += any(iou(a.xyxy_px, b) >= 0.5 for b in truck_boxes)
    assert total >= 5
    assert found / total >= 0.7


def test_class_thresholds_filter_per_class(detector, scenes):
    frames = [img for img, _ in scenes]
    base = detector.detect(frames)
    strict = UltralyticsDetector(DEMO, imgsz=320, conf=0.25, class_conf={"truck": 0.999})
    after = strict.detect(frames)
    for b, a in zip(base, after, strict=True):
        assert "truck" not in a.names or a.confidence[np.array(a.names) == "truck"].min() >= 0.999
        assert sorted(n for n in a.names if n != "truck") == sorted(
            n for n in b.names if n != "truck"
        )


def test_empty_batch_and_class_names(detector):
    assert detector.detect([]) == []
    assert [detector.class_names[i] for i in range(4)] == list(CLASS_NAMES)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((64, 64), dtype=np.uint8), "shape"),
        (np.zeros((64, 64, 3), dtype=np.float32), "uint8"),
        (np.zeros((64, 64, 4), dtype=np.uint8), "shape"),
        (np.zeros((4, 64, 3), dtype=np.uint8), "shape"),
        (b"jpeg bytes", "numpy array"),
    ],
)
def test_bad_frames_raise_clear_errors(detector, frame, message):
    with pytest.raises(ValueError, match=f"frame 1: .*{message}"):
        detector.detect([np.zeros((64, 64, 3), dtype=np.uint8), frame])


def test_missing_weights_name_file_and_fix(tmp_path):
    with pytest.raises(WeightsError, match=r"nope\.pt.*smartscene detectors train"):
        UltralyticsDetector(tmp_path / "nope.pt", imgsz=320, conf=0.3)


def test_corrupt_weights_name_file(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(WeightsError, match=r"bad\.pt"):
        UltralyticsDetector(bad, imgsz=320, conf=0.3)


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        (["car", "truck", "debris", "person"], True),
        (["car", "truck"], False),
        (["truck", "car", "debris", "person"], False),
    ],
)
def test_class_name_check(expected, ok):
    names = dict(enumerate(CLASS_NAMES))
    if ok:
        check_class_names(DEMO, names, expected)
    else:
        with pytest.raises(WeightsError, match="expected"):
            check_class_names(DEMO, names, expected)


def test_mismatched_expected_classes_rejected_at_load():
    with pytest.raises(WeightsError, match="Fix"):
        UltralyticsDetector(DEMO, imgsz=320, conf=0.3, expected_classes=["person", "bicycle"])


def test_unknown_class_conf_rejected():
    with pytest.raises(ValueError, match="bus"):
        UltralyticsDetector(DEMO, imgsz=320, conf=0.3, class_conf={"bus": 0.5})


NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise SystemExit(f"network access attempted: {args[:2]}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse
socket.create_connection = refuse
from pathlib import Path
import numpy as np
from detectors.ultralytics_backend import UltralyticsDetector
det = UltralyticsDetector(Path(sys.argv[1]), imgsz=320, conf=0.25)
out = det.detect([np.zeros((360, 640, 3), dtype=np.uint8)])
print("ok", len(out))
"""


def test_import_load_and_predict_touch_no_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    env["YOLO_CONFIG_DIR"] = str(
        tmp_path
    )  # fresh config dir: fonts and settings must be made locally
    proc = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, str(DEMO)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ok 1" in proc.stdout
