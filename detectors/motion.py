"""Motion gate: skip the detector on frames where nothing moved and nothing is being tracked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from detectors.ports import Image

BoxPx = tuple[int, int, int, int]
Mask = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class MotionGateConfig:
    """Per-camera tuning of the gate."""

    min_area_px: int = 300
    """Smallest moving blob (in full-resolution pixels) that counts as motion."""
    downscale: int = 2
    """Background subtraction runs on the frame shrunk by this factor (speed)."""
    history: int = 300
    """Frames of history of the MOG2 background model."""
    var_threshold: float = 32.0
    """MOG2 variance threshold: higher ignores more noise."""
    warmup_frames: int = 5
    """Frames after start (or reset) on which the detector always runs."""
    stationary_recheck_every: int = 10
    """With live tracks but no motion, run the detector every N frames."""
    idle_recheck_every: int = 0
    """With nothing tracked and no motion, still run every N frames (0 = never)."""

    def __post_init__(self) -> None:
        if self.min_area_px < 1 or self.downscale < 1 or self.stationary_recheck_every < 1:
            raise ValueError("min_area_px, downscale and stationary_recheck_every must be >= 1")
        if self.idle_recheck_every < 0 or self.warmup_frames < 0:
            raise ValueError("idle_recheck_every and warmup_frames must be >= 0")


@dataclass(frozen=True)
class GateDecision:
    """Whether to run the detector on this frame, why, and where things moved."""

    run_detector: bool
    reason: str
    regions_px: tuple[BoxPx, ...] = ()


@dataclass
class GateStats:
    """Counters for monitoring (frames seen, detector calls, skipped frames)."""

    frames: int = 0
    detector_calls: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def mask_from_polygons(
    shape_hw: tuple[int, int], polygons_px: Sequence[Sequence[tuple[float, float]]]
) -> Mask:
    """A watch mask (255 inside any polygon, 0 elsewhere); no polygons means watch everything."""
    if not polygons_px:
        return np.full(shape_hw, 255, dtype=np.uint8)
    mask = np.zeros(shape_hw, dtype=np.uint8)
    for poly in polygons_px:
        pts = np.round(np.asarray(poly, dtype=np.float64)).astype(np.int32).reshape(-1, 2)
        if len(pts) < 3:
            raise ValueError(f"a mask polygon needs at least 3 points, got {len(pts)}")
        cv2.fillPoly(mask, [pts], 255)
    return mask


class MotionGate:
    """MOG2 background subtraction with a per-camera mask, a minimum blob area, re-check rates."""

    def __init__(self, config: MotionGateConfig | None = None, mask: Mask | None = None) -> None:
        self.config = config or MotionGateConfig()
        self._mask_full = None if mask is None else np.asarray(mask, dtype=np.uint8)
        self._mask_small: Mask | None = None
        self.stats = GateStats()
        self.reset()

    def reset(self) -> None:
        """Forget the background (e.g. after the camera moved); the warm-up starts again."""
        cfg = self.config
        self._bg = cv2.createBackgroundSubtractorMOG2(cfg.history, cfg.var_threshold, True)
        self._seen = 0
        self._since_run = 0
        self._shape: tuple[int, int] | None = None

    def _prepare(self, frame: Image) -> Image:
        if (
            not isinstance(frame, np.ndarray)
            or frame.ndim != 3
            or frame.shape[2] != 3
            or frame.dtype != np.uint8
        ):
            shape = getattr(frame, "shape", None)
            raise ValueError(f"motion gate expects an (H, W, 3) uint8 BGR frame, got {shape}")
        hw = (frame.shape[0], frame.shape[1])
        if self._shape is None:
            self._shape = hw
            if self._mask_full is not None and self._mask_full.shape[:2] != hw:
                raise ValueError(
                    f"mask shape {self._mask_full.shape[:2]} does not match frame shape {hw}"
                )
        elif hw != self._shape:
            raise ValueError(f"frame shape changed from {self._shape} to {hw}; call reset() first")
        k = self.config.downscale
        small = (
            frame
            if k == 1
            else cv2.resize(frame, (hw[1] // k, hw[0] // k), interpolation=cv2.INTER_AREA)
        )
        if self._mask_full is not None and self._mask_small is None:
            size = (small.shape[1], small.shape[0])
            resized = cv2.resize(self._mask_full, size, interpolation=cv2.INTER_NEAREST)
            self._mask_small = np.asarray(resized, dtype=np.uint8)
        return np.asarray(small, dtype=np.uint8)

    def regions(self, frame: Image) -> list[BoxPx]:
        """Update the background model; return full-resolution boxes of moving blobs."""
        small = self._prepare(frame)
        fg = self._bg.apply(small)
        _, fg = cv2.threshold(fg, 200, 255, cv2.THRESH_BINARY)  # drop MOG2 shadows (127)
        if self._mask_small is not None:
            fg = cv2.bitwise_and(fg, self._mask_small)
        kernel = np.ones((3, 3), dtype=np.uint8)
        fg = cv2.dilate(cv2.morphologyEx(fg, cv2.MORPH_OPEN, kernel), kernel, iterations=2)
        contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        k = self.config.downscale
        min_area_small = self.config.min_area_px / (k * k)
        boxes = []
        for c in contours:
            if cv2.contourArea(c) >= min_area_small:
                x, y, w, h = cv2.boundingRect(c)
                boxes.append((x * k, y * k, (x + w) * k, (y + h) * k))
        self._seen += 1
        return boxes

    def decide(self, frame: Image, active_tracks: int = 0) -> GateDecision:
        """Update with ``frame`` and decide whether the detector must run on it."""
        boxes = tuple(self.regions(frame))
        cfg = self.config
        self._since_run += 1
        if self._seen <= cfg.warmup_frames:
            reason = "warmup"
        elif boxes:
            reason = "motion"
        elif active_tracks > 0:
            reason = (
                "stationary_recheck"
                if self._since_run >= cfg.stationary_recheck_every
                else "stationary_hold"
            )
        elif cfg.idle_recheck_every and self._since_run >= cfg.idle_recheck_every:
            reason = "idle_recheck"
        else:
            reason = "idle"
        run = reason not in ("stationary_hold", "idle")
        self._count(run, reason)
        return GateDecision(run, reason, boxes)

    def _count(self, run: bool, reason: str) -> None:
        self.stats.frames += 1
        self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
        if run:
            self.stats.detector_calls += 1
            self._since_run = 0
        else:
            self.stats.skipped += 1
