"""YOLO (v8/11 head) pre- and post-processing in numpy + OpenCV for the exported-model runtimes."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.detections import Detections
from detectors.ports import Image

Tensor = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Letterbox:
    """How a frame was scaled and padded into the square network input."""

    scale: float
    pad_x_px: float
    pad_y_px: float


def letterbox(frame: Image, size_px: int) -> tuple[Tensor, Letterbox]:
    """Resize keeping aspect, pad with grey 114 to a ``size_px`` square; NCHW float32 in 0..1."""
    h, w = frame.shape[:2]
    scale = min(size_px / h, size_px / w)
    nh, nw = round(h * scale), round(w * scale)
    resized = (
        cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nh, nw) != (h, w) else frame
    )
    top, left = (size_px - nh) // 2, (size_px - nw) // 2
    canvas = np.full((size_px, size_px, 3), 114, dtype=np.uint8)
    canvas[top : top + nh, left : left + nw] = resized
    blob = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return np.ascontiguousarray(blob), Letterbox(scale, float(left), float(top))


def decode(
    output: Tensor,
    box: Letterbox,
    frame_hw: tuple[int, int],
    class_names: Mapping[int, str],
    thresholds: npt.NDArray[np.float32],
    iou: float = 0.7,
) -> Detections:
    """One ``(4 + nc, N)`` head output -> frame-pixel ``Detections`` (class thresholds, NMS)."""
    pred = output.reshape(output.shape[-2], output.shape[-1]).T  # (N, 4 + nc)
    scores_all = pred[:, 4:]
    cls = scores_all.argmax(axis=1)
    scores = scores_all[np.arange(len(cls)), cls]
    keep = scores >= thresholds[cls]
    if not keep.any():
        return Detections.empty(class_names)
    xywh, scores, cls = pred[keep, :4], scores[keep], cls[keep]
    xyxy = np.concatenate([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], axis=1)
    tlwh = np.concatenate([xyxy[:, :2], xywh[:, 2:]], axis=1)
    idx = np.asarray(
        cv2.dnn.NMSBoxesBatched(tlwh.tolist(), scores.tolist(), cls.tolist(), 0.0, iou),
        dtype=np.int64,
    )
    idx = idx.reshape(-1)[:300]
    xyxy = (xyxy[idx] - [box.pad_x_px, box.pad_y_px, box.pad_x_px, box.pad_y_px]) / box.scale
    h, w = frame_hw
    xyxy = np.clip(xyxy, 0, [w, h, w, h])
    return Detections.from_arrays(xyxy, scores[idx], cls[idx], class_names)


def parse_names(raw: str | Mapping[int, str] | Sequence[str]) -> dict[int, str]:
    """Class names from Ultralytics export metadata (a dict literal string, a mapping or a list)."""
    value = ast.literal_eval(raw) if isinstance(raw, str) else raw
    if isinstance(value, Mapping):
        return {int(k): str(v) for k, v in value.items()}
    return dict(enumerate(str(v) for v in value))
