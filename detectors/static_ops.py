"""Image operations of the static-object detector, on small float32 BGR work images.

Every per-frame image lives in a ``Scratch`` buffer: allocating a few hundred KB per operation
(page faults) cost about ten times the arithmetic on them (1 ms vs 0.1 ms per difference image).
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
Plane = npt.NDArray[np.float32]
BoxPx = tuple[int, int, int, int]
KERNEL3 = np.ones((3, 3), dtype=np.uint8)


class Scratch:
    """Named work buffers, reused while their shape stays the same."""

    def __init__(self) -> None:
        self._buffers: dict[str, npt.NDArray[Any]] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float32) -> Any:
        """The buffer ``name`` with this shape and dtype (contents undefined)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buffers[name] = np.empty(shape, dtype=dtype)
        return buf

    def work_image(self, frame: npt.NDArray[np.uint8], max_width: int) -> Plane:
        """The frame shrunk to ``max_width`` (never enlarged), as float32, lightly blurred.

        Bilinear, not ``INTER_AREA``: area averaging costs 1-2 ms at non-integer factors
        (768 or 1920 px wide) against 0.1 ms, and the blur after it tames the aliasing."""
        height, width = frame.shape[:2]
        target = min(width, max_width)
        size_hw = (max(1, round(height * target / width)), target)
        small = frame
        if target != width:
            small = self.get("small_u8", (*size_hw, 3), np.uint8)
            cv2.resize(frame, size_hw[::-1], dst=small, interpolation=cv2.INTER_LINEAR)
        as_float = self.get("small_f32", (*size_hw, 3))
        as_float[...] = small
        out: Plane = self.get("frame", (*size_hw, 3))
        cv2.GaussianBlur(as_float, (3, 3), 0, dst=out)
        return out

    def max_diff(self, a: Plane, b: Plane) -> Plane:
        """Largest per-channel absolute difference (valid until the next call)."""
        diff: Plane = self.get("diff3", a.shape)
        cv2.absdiff(a, b, dst=diff)
        return self.channel_max(diff)

    def outside_envelope(self, image: Plane, background: Plane, radius: int) -> Plane:
        """How far each pixel lies outside the background's range over its neighbourhood of
        ``radius`` (largest channel): a camera shaking that much moves no edge out of it."""
        if radius == 0:
            return self.max_diff(image, background)
        kernel = np.ones((2 * radius + 1, 2 * radius + 1), dtype=np.uint8)
        high = cv2.dilate(background, kernel, dst=self.get("bg_high", image.shape))
        low = cv2.erode(background, kernel, dst=self.get("bg_low", image.shape))
        above = cv2.subtract(image, high, dst=self.get("above", image.shape))
        below = cv2.subtract(low, image, dst=self.get("below", image.shape))
        np.maximum(above, below, out=above)
        return self.channel_max(np.maximum(above, 0.0, out=above))

    def channel_max(self, image: Plane) -> Plane:
        """Per-pixel maximum over the three channels (numpy's last-axis max is 20x slower)."""
        chans = [self.get(f"chan{i}", image.shape[:2]) for i in range(3)]
        cv2.split(image, chans)
        out: Plane = self.get("diff", image.shape[:2])
        cv2.max(chans[0], chans[1], dst=out)
        return np.asarray(cv2.max(out, chans[2], dst=out), dtype=np.float32)


def alpha(dt_s: float, tau_s: float) -> float:
    """Running-average weight of a frame ``dt_s`` after the previous one (time constant)."""
    return 1.0 - math.exp(-dt_s / tau_s)


def gain(image: Plane, background: Plane, usable: Mask) -> float:
    """Global brightness ratio frame / background (median, on a sparse grid): exposure changes."""
    grid = usable[::4, ::4]
    if grid.sum() < 16:
        return 1.0
    frame_level = float(np.median(image[::4, ::4][grid].sum(axis=1)))
    bg_level = float(np.median(background[::4, ::4][grid].sum(axis=1)))
    return frame_level / bg_level if bg_level > 1.0 else 1.0


def touch_fraction(mask: Mask, covered: Mask) -> float:
    """Fraction of the ring just outside ``mask`` that lies on tracked boxes."""
    if not covered.any():
        return 0.0
    ring = cv2.dilate(mask.view(np.uint8), KERNEL3, iterations=2).astype(bool) & ~mask
    return float(covered[ring].mean()) if ring.any() else 0.0


def border_edges(
    frame: Plane, background: Plane, region: Mask, covered: Mask, reach: int
) -> tuple[float, float]:
    """Edge strength on the region's border (off tracked boxes) in the frame and in the
    background, relative to the local brightness so that light falling on texture (a sun patch)
    does not count as new edges. The band reaches ``reach`` pixels outwards: with the shake
    envelope a ghost's region stops short of the edge it left behind."""
    ys, xs = np.nonzero(region)
    pad = reach + 2
    y1, x1 = max(0, int(ys.min()) - pad), max(0, int(xs.min()) - pad)
    y2, x2 = int(ys.max()) + 1 + pad, int(xs.max()) + 1 + pad
    blob = region[y1:y2, x1:x2].view(np.uint8)
    outer = cv2.dilate(blob, np.ones((2 * reach + 1, 2 * reach + 1), dtype=np.uint8))
    band = (outer - cv2.erode(blob, KERNEL3)).astype(bool) & ~covered[y1:y2, x1:x2]
    if not band.any():
        return 0.0, 0.0
    return (
        _relative_edges(frame[y1:y2, x1:x2], band),
        _relative_edges(background[y1:y2, x1:x2], band),
    )


def mean_contrast(image: Plane, background: Plane, region: Mask, box: BoxPx) -> float:
    """Mean largest-channel difference inside ``region`` (limited to its box)."""
    x1, y1, x2, y2 = box
    diff = cv2.absdiff(image[y1:y2, x1:x2], background[y1:y2, x1:x2]).max(axis=2)
    return float(diff[region[y1:y2, x1:x2]].mean())


def polygon_mask(
    polygon_rel: tuple[tuple[float, float], ...] | None, height: int, width: int
) -> Mask:
    """A relative polygon rasterised at this size; None covers everything."""
    if polygon_rel is None:
        return np.ones((height, width), dtype=bool)
    pts = np.array([(x * width, y * height) for x, y in polygon_rel])
    mask = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def to_work(box: BoxPx, scale: tuple[float, float], margin_rel: float) -> BoxPx:
    """A frame-pixel box in work pixels (``scale`` = frame / work), grown by ``margin_rel``."""
    x1, y1, x2, y2 = box[0] / scale[0], box[1] / scale[1], box[2] / scale[0], box[3] / scale[1]
    mx, my = margin_rel * (x2 - x1), margin_rel * (y2 - y1)
    return (
        max(0, math.floor(x1 - mx)),
        max(0, math.floor(y1 - my)),
        max(0, math.ceil(x2 + mx)),
        max(0, math.ceil(y2 + my)),
    )


def iou(a: BoxPx, b: BoxPx) -> float:
    """Intersection over union of two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


def _relative_edges(patch: Plane, band: Mask) -> float:
    return float(_gradient(patch)[band].mean() / (patch[band].mean() + 10.0))


def _gradient(patch: Plane) -> Plane:
    gx = cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray((np.abs(gx) + np.abs(gy)).max(axis=2), dtype=np.float32)
