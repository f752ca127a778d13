"""One box per object: the clean-up every detector backend applies after its own NMS.

YOLO's NMS is per class and keeps boxes overlapping less than IoU 0.7, so a small, distant
truck sometimes comes out as both ``truck`` and ``car``, or as two ``truck`` boxes, and a near
truck as its whole box plus a box on its front part. A tracker ignores classes and gives each
box its own track, so the rules see two objects and report one truck twice (measured on the
demo street video: tests/unit/scenes/test_scenes_real_model_golden.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from detectors.detections import Detections

MAX_IOU = 0.5
"""Two boxes overlapping more than this are one object, whatever their classes (``car`` and
``truck`` are exclusive labels of one vehicle)."""
MAX_COVER = 0.7
"""A box lying this much inside a more confident, larger box of the same class is a part of
that object (a truck's front detected again). Not less: a car queued behind another, its lower
part hidden, lies about 0.6 inside the front car's box and is a car of its own."""


def one_box_per_object(
    detections: Detections, *, max_iou: float = MAX_IOU, max_cover: float = MAX_COVER
) -> Detections:
    """Keep the most confident box of each object; drop the others (order is kept)."""
    n = len(detections)
    if n < 2:
        return detections
    boxes = detections.xyxy_px.astype(np.float64)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    inter = _intersections(boxes)
    iou = inter / np.maximum(area[:, None] + area[None, :] - inter, 1e-9)
    cover = inter / np.maximum(area[:, None], 1e-9)  # [i, j]: share of box i inside box j
    same_class = detections.class_id[:, None] == detections.class_id[None, :]
    keep = np.zeros(n, dtype=bool)
    for i in np.argsort(-detections.confidence, kind="stable"):
        kept = np.flatnonzero(keep)
        inside = same_class[i, kept] & (cover[i, kept] >= max_cover) & (area[kept] >= area[i])
        keep[i] = not (np.any(iou[i, kept] > max_iou) or np.any(inside))
    return detections.filter(keep)


def _intersections(boxes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x1 = np.maximum(boxes[:, None, 0], boxes[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    inter: npt.NDArray[np.float64] = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return inter
