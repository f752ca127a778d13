"""Exported runtimes agree with PyTorch; export is offline; a training smoke run; evaluation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from detectors.runtimes import OnnxRuntimeDetector, OpenVinoDetector, load_detector
from detectors.synth import CLASS_NAMES, render_scene, write_dataset
from detectors.ultralytics_backend import UltralyticsDetector, WeightsError

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "detectors" / "weights" / "smartscene-demo-yolo.pt"
CONF = 0.3


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    from detectors.training import export_model

    out = tmp_path_factory.mktemp("export")
    return {
        "onnx": export_model(DEMO, "onnx", out_dir=out, imgsz=320),
        "openvino": export_model(DEMO, "openvino", out_dir=out, imgsz=320),
    }


def assert_same_objects(ref, got, min_iou: float) -> int:
    """Every confident reference box has a same-class box in ``got`` with IoU >= ``min_iou``."""
    matched = 0
    for r, g in zip(ref, got, strict=True):
        for box, cls, conf in zip(r.xyxy_px, r.class_id, r.confidence, strict=True):
            if conf < CONF + 0.1:
                continue  # near the threshold a runtime may legitimately flip
            same = [iou(box, gb) for gb, gc in zip(g.xyxy_px, g.class_id, strict=True) if gc == cls]
            assert same and max(same) >= min_iou, f"lost a {r.class_names[int(cls)]} at {box}"
            matched += 1
    return matched


@pytest.fixture(scope="module")
def frames():
    return [render_scene(s)[0] for s in range(880_000, 880_004)]


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["onnx", "openvino"])
def test_our_runtime_matches_ultralytics_on_the_same_export(exported, frames, runtime):
    stock = UltralyticsDetector(exported[runtime], imgsz=320, conf=CONF).detect(frames)
    ours = load_detector(exported[runtime], imgsz=320, conf=CONF - 0.1, threads=1).detect(frames)
    assert assert_same_objects(stock, ours, min_iou=0.95) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["onnx", "openvino"])
def test_exported_runtime_agrees_with_pytorch(exported, frames, runtime):
    # PyTorch predicts on a 320x192 letterbox (minimal padding), exports on a fixed 320x320 square:
    # same objects, boxes within a looser IoU.
    ref = UltralyticsDetector(DEMO, imgsz=320, conf=CONF).detect(frames)
    got = load_detector(exported[runtime], imgsz=320, conf=CONF - 0.1, threads=1).detect(frames)
    assert assert_same_objects(ref, got, min_iou=0.75) >= 5


@pytest.mark.slow
def test_runtime_classes_and_expected_check(exported):
    det = OnnxRuntimeDetector(exported["onnx"], imgsz=320, conf=0.3, expected_classes=CLASS_NAMES)
    assert list(det.class_names.values()) == list(CLASS_NAMES)
    assert isinstance(load_detector(exported["openvino"], imgsz=320, conf=0.3), OpenVinoDetector)
    with pytest.raises(WeightsError, match="expected"):
        OpenVinoDetector(exported["openvino"], imgsz=320, conf=0.3, expected_classes=["car"])


@pytest.mark.parametrize(
    ("factory", "path", "message"),
    [
        (OnnxRuntimeDetector, "missing.onnx", "export"),
        (OpenVinoDetector, "missing_openvino_model", "export"),
    ],
)
def test_missing_exports_name_the_fix(tmp_path, factory, path, message):
    with pytest.raises(WeightsError, match=message):
        factory(tmp_path / path, imgsz=320, conf=0.3)


def test_corrupt_onnx_names_file(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(WeightsError, match=r"bad\.onnx"):
        OnnxRuntimeDetector(bad, imgsz=320, conf=0.3)


@pytest.mark.parametrize(
    ("fmt", "int8", "data", "message"),
    [("tflite", False, None, "unknown export format"), ("onnx", True, None, "calibration")],
)
def test_export_rejects_bad_requests(tmp_path, fmt, int8, data, message):
    from detectors.training import export_model

    with pytest.raises(ValueError, match=message):
        export_model(DEMO, fmt, out_dir=tmp_path, int8=int8, data_yaml=data)


EXPORT_OFFLINE = """
import socket, sys
def refuse(*args, **kwargs):
    raise SystemExit(f"network access attempted: {args[:2]}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse
socket.create_connection = refuse
from pathlib import Path
import numpy as np
from detectors.training import export_model
from detectors.runtimes import load_detector
onnx = export_model(Path(sys.argv[1]), "onnx", out_dir=Path(sys.argv[2]), imgsz=160)
det = load_detector(onnx, imgsz=160, conf=0.3)
print("ok", len(det.detect([np.zeros((90, 160, 3), dtype=np.uint8)])))
"""


@pytest.mark.slow
def test_export_and_runtime_touch_no_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    env["YOLO_CONFIG_DIR"] = str(tmp_path / "cfg")
    proc = subprocess.run(
        [sys.executable, "-c", EXPORT_OFFLINE, str(DEMO), str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ok 1" in proc.stdout


@pytest.mark.slow
def test_training_smoke_and_evaluate_match_ultralytics_val(tmp_path):
    from ultralytics import YOLO

    from detectors.training import TrainConfig, dataset_summary, evaluate, train

    data = write_dataset(tmp_path / "ds", 8, 4, seed=3, imgsz=128)
    summary = dataset_summary(data)
    assert summary["train"]["images"] == 8
    assert sum(summary["val"]["boxes"].values()) > 0
    cfg = TrainConfig(
        data, str(REPO / "detectors" / "models" / "yolo11-pico.yaml"), epochs=1, imgsz=64, batch=4,
        project_dir=tmp_path / "runs", name="smoke",
    )  # fmt: skip
    result = train(cfg, out_weights=tmp_path / "w.pt")
    assert result.weights.is_file()
    ours = evaluate(data, DEMO, imgsz=128)
    theirs = YOLO(str(DEMO)).val(
        data=str(data), imgsz=128, device="cpu", plots=False, verbose=False,
        project=str(tmp_path / "val"), workers=0,
    )  # fmt: skip
    assert ours.map50 == pytest.approx(float(theirs.box.map50))
    assert ours.map50_95 == pytest.approx(float(theirs.box.map))
    assert set(ours.per_class) <= set(CLASS_NAMES)
    assert all(0 <= m.precision <= 1 and 0 <= m.recall <= 1 for m in ours.per_class.values())
    assert np.isfinite(result.seconds)
