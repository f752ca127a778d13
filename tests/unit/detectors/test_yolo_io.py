"""Letterbox and head decoding used by the ONNX Runtime / OpenVINO backends."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.yolo_io import decode, letterbox, parse_names

NAMES = {0: "car", 1: "truck"}


@pytest.mark.parametrize(
    ("hw", "size", "scale", "pad_x", "pad_y"),
    [
        ((360, 640), 320, 0.5, 0.0, 70.0),
        ((640, 320), 320, 0.5, 80.0, 0.0),
        ((320, 320), 320, 1.0, 0.0, 0.0),
    ],
)
def test_letterbox_geometry(hw, size, scale, pad_x, pad_y):
    frame = np.full((*hw, 3), 200, dtype=np.uint8)
    blob, box = letterbox(frame, size)
    assert blob.shape == (1, 3, size, size)
    assert blob.dtype == np.float32
    assert (box.scale, box.pad_x_px, box.pad_y_px) == (scale, pad_x, pad_y)
    assert blob[0, 0, size // 2, size // 2] == pytest.approx(200 / 255)
    if pad_y:
        assert blob[0, 0, 0, size // 2] == pytest.approx(114 / 255)


def head(rows):
    """Build a (1, 4 + nc, N) output from rows of (cx, cy, w, h, score_car, score_truck)."""
    return np.asarray(rows, dtype=np.float32).T[None]


@pytest.mark.parametrize(
    ("rows", "thresholds", "expected"),
    [
        ([(160, 160, 40, 20, 0.1, 0.9)], (0.5, 0.5), [("truck", (280, 160, 360, 200))]),
        ([(160, 160, 40, 20, 0.1, 0.4)], (0.5, 0.5), []),  # below threshold
        (
            [(160, 160, 40, 20, 0.1, 0.4)],
            (0.5, 0.3),
            [("truck", (280, 160, 360, 200))],
        ),  # class threshold
        (
            [(160, 160, 40, 20, 0.9, 0.1), (161, 160, 40, 20, 0.8, 0.1)],
            (0.5, 0.5),
            [("car", (280, 160, 360, 200))],
        ),
        (
            [(160, 160, 40, 20, 0.9, 0.1), (161, 160, 40, 20, 0.1, 0.8)],
            (0.5, 0.5),
            [("car", None), ("truck", None)],
        ),
        (
            [(5, 75, 20, 20, 0.9, 0.0)],
            (0.5, 0.5),
            [("car", (0, 0, 30, 30))],
        ),  # clipped to the frame
    ],
)
def test_decode(rows, thresholds, expected):
    frame = np.zeros((360, 640, 3), dtype=np.uint8)
    _, box = letterbox(frame, 320)
    dets = decode(head(rows), box, (360, 640), NAMES, np.asarray(thresholds, dtype=np.float32))
    assert sorted(dets.names) == sorted(name for name, _ in expected)
    for name, xyxy in expected:
        if xyxy is not None:
            got = dets.xyxy_px[dets.names.index(name)]
            assert got == pytest.approx(xyxy, abs=0.01)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("{0: 'car', 1: 'truck'}", NAMES),
        ({"0": "car", "1": "truck"}, NAMES),
        (["car", "truck"], NAMES),
    ],
)
def test_parse_names(raw, names):
    assert parse_names(raw) == names
