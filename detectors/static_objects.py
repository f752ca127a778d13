"""New static objects on the road (spilled load, dumped debris, dropped cargo) found by
background modelling, not by a class detector (which has no data for them).

Design, chosen to be cheap (one small image, a few OpenCV calls per frame) and robust:

* Two running-average backgrounds of a small copy of the frame (``work_width_px``): a long-term
  one (time constant ``absorb_s``, minutes) that has not absorbed a new object, and a short-term
  one (``short_s``) that has. A pixel far from the first and close to the second is *new and
  static*. Running averages (``cv2.accumulateWeighted``) rather than two MOG2 models, because
  they take a mask, so the long-term model is never taught what the tracker follows (a stopped
  truck is not learnt; the road it uncovers when it leaves matches the background again), and a
  mean image can be compared, edge-tested and healed directly. "Far" means outside the
  background's range over a ``shake_px`` neighbourhood, so a shaking camera's edges are not new.
* Per-pixel static evidence in seconds: it grows while a pixel is new and static, holds while
  the pixel is occluded (moving over it, or under a tracked box) and falls twice as fast once
  the pixel matches the background again (object removed). A changed region is a candidate once
  half of its pixels have ``min_static_s`` of evidence: nothing is reported sooner.
* A stopped vehicle is not a pile because the tracker knows it: the boxes passed in (grown by
  ``box_margin_rel``, remembered ``box_memory_s`` to bridge detector misses) freeze evidence and
  learning, and regions with much of their border on such a box (shadows) are dropped.
* Edges tell objects from ghosts and light: an object brings edges to its border that the
  background did not have. A ghost (something in the background left, e.g. a car parked at
  start-up) has them in the background instead and is healed into it at once; a region without
  new edges (sun patch, exposure) is not reported. Brightness is compensated globally, and a
  change over ``relearn_fraction`` of the view (scene cut, lights) restarts the model.
* One ``track_id`` per object (from ``track_id_offset``, far above tracker ids) while its box
  overlaps the previous one, through ``max_miss_s`` of absence; confidence from contrast and
  persistence.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np

from detectors.detections import Detections
from detectors.ports import Image
from detectors.static_ops import (
    KERNEL3,
    BoxPx,
    Mask,
    Plane,
    Scratch,
    alpha,
    border_edges,
    gain,
    iou,
    mean_contrast,
    polygon_mask,
    to_work,
    touch_fraction,
)

_DECAY = 2.0  # evidence falls this many times faster than it grows


@dataclass(frozen=True)
class StaticObjectConfig:
    """Tuning of the new-static-object detector (one per camera)."""

    class_name: str = "debris"
    """Class given to the blobs (the spillage and dumping rules look for ``debris``)."""
    min_static_s: float = 3.0
    """A blob is reported once it has been new and static this long."""
    work_width_px: int = 320
    """Frames are shrunk to this width (never enlarged) before any work."""
    absorb_s: float = 300.0
    """Time constant of the long-term background: an unmoved object fades into it after ~this."""
    short_s: float = 0.5
    """Time constant of the short-term background that tells static from moving pixels."""
    diff_threshold: float = 30.0
    """A pixel is new when a channel differs from the long-term background by more (0-255)."""
    static_threshold: float = 15.0
    """A pixel is static when every channel is this close to the short-term background."""
    shake_px: int = 2
    """A pixel is new only if it differs from the background all around this radius (work
    pixels): edges of a shaking or slowly drifting camera are not new objects."""
    min_area_rel: float = 0.0005
    """Smallest blob, as a fraction of the frame area."""
    max_area_rel: float = 0.05
    """Largest blob, as a fraction of the frame area (bigger: lighting or a missed vehicle)."""
    region_rel: tuple[tuple[float, float], ...] | None = None
    """Watched polygon in relative image coordinates (0-1); None watches the whole frame."""
    box_margin_rel: float = 0.1
    """Tracked boxes are grown by this fraction of their size on each side."""
    box_memory_s: float = 1.0
    """A tracked box still masks for this long after it was last passed in."""
    max_touch_fraction: float = 0.25
    """Blobs with more of their border than this on a tracked box belong to that object."""
    edge_ratio: float = 1.15
    """Border edges must be this much stronger in the frame than in the background."""
    max_miss_s: float = 2.0
    """A static blob keeps its track id through this much absence."""
    relearn_fraction: float = 0.5
    """When this fraction of the watched, untracked area is new, the model restarts."""
    track_id_offset: int = 1_000_000_000
    """First track id; far above tracker ids (ByteTrack counts from 1)."""
    max_gap_s: float = 5.0
    """A longer gap between frames counts as this long (clock jumps, reconnects)."""

    def __post_init__(self) -> None:
        positive = (self.min_static_s, self.absorb_s, self.short_s, self.diff_threshold)
        if min(positive) <= 0 or self.static_threshold <= 0 or self.max_gap_s <= 0:
            raise ValueError("times and thresholds must be positive")
        if self.work_width_px < 32 or not 0 <= self.shake_px <= 8:
            raise ValueError("work_width_px must be at least 32 and shake_px in 0..8")
        if not 0 < self.min_area_rel < self.max_area_rel <= 1:
            raise ValueError("need 0 < min_area_rel < max_area_rel <= 1")
        if self.region_rel is not None and len(self.region_rel) < 3:
            raise ValueError("region_rel needs at least 3 points")
        fractions = (self.max_touch_fraction, self.relearn_fraction)
        if not all(0 < f <= 1 for f in fractions) or self.edge_ratio < 1:
            raise ValueError("fractions must be in (0, 1] and edge_ratio >= 1")
        if min(self.box_margin_rel, self.box_memory_s, self.max_miss_s) < 0:
            raise ValueError("box_margin_rel, box_memory_s and max_miss_s must be >= 0")


@dataclass
class StaticObjectStats:
    """Counters for monitoring and benchmarks."""

    frames: int = 0
    reported: int = 0
    ghosts_healed: int = 0
    relearns: int = 0
    busy_s: float = 0.0

    @property
    def ms_per_frame(self) -> float:
        """Mean processing time per frame in milliseconds."""
        return 1000.0 * self.busy_s / self.frames if self.frames else 0.0


@dataclass
class _Model:
    """The per-camera state at work size."""

    long: Plane
    short: Plane
    evidence: Plane
    region: Mask
    scale: tuple[float, float]


@dataclass
class _Frame:
    """What one step knows about the current frame (work size)."""

    image: Plane
    dt: float
    covered: Mask
    gain: float = 1.0
    new: Mask = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))


@dataclass
class _Blob:
    box: BoxPx
    contrast: float


@dataclass
class _Track:
    track_id: int
    box: BoxPx
    first_t: float
    last_t: float


class StaticObjectDetector:
    """Stateful: feed every frame of one camera in order with its timestamp."""

    def __init__(self, config: StaticObjectConfig | None = None) -> None:
        self.config = config or StaticObjectConfig()
        self.stats = StaticObjectStats()
        self._next_id = self.config.track_id_offset
        self._scratch = Scratch()
        self.reset()

    def reset(self) -> None:
        """Forget the background, evidence and blobs (e.g. after the camera moved)."""
        self._model: _Model | None = None
        self._last_ts: datetime | None = None
        self._t = 0.0
        self._boxes: deque[tuple[float, list[BoxPx]]] = deque()
        self._tracks: list[_Track] = []

    def update(
        self, frame: Image, timestamp: datetime, moving: Detections | None = None
    ) -> Detections:
        """Consume one frame; return the new static objects on it.

        ``moving`` are the objects the tracker follows (any class): no static object is reported
        on or against them, and the background does not learn them.
        """
        start = time.perf_counter()
        image = self._prepare(frame)
        dt = self._tick(timestamp)
        model = self._model
        if model is None or model.long.shape != image.shape:
            self._start(image, frame.shape[1], frame.shape[0])
            result = self._empty()
        else:
            boxes = [] if moving is None else _boxes_px(moving)
            result = self._step(model, _Frame(image, dt, self._covered(model, boxes)))
        self.stats.frames += 1
        self.stats.reported += len(result)
        self.stats.busy_s += time.perf_counter() - start
        return result

    # Steps.
    def _step(self, model: _Model, cur: _Frame) -> Detections:
        cfg = self.config
        cur.gain = gain(cur.image, model.long, ~cur.covered)
        scaled = np.multiply(
            model.long, cur.gain, out=self._scratch.get("scaled", model.long.shape)
        )
        envelope = self._scratch.outside_envelope(cur.image, scaled, cfg.shake_px)
        cur.new = envelope > cfg.diff_threshold
        watched = model.region & ~cur.covered
        if watched.any() and cur.new[watched].mean() > cfg.relearn_fraction:
            self.stats.relearns += 1
            h, w = cur.image.shape[:2]
            self._start(cur.image, round(w * model.scale[0]), round(h * model.scale[1]))
            return self._empty()
        moving_px = self._scratch.max_diff(cur.image, model.short) > cfg.static_threshold
        self._learn(model, cur)
        self._accumulate(model, cur, moving_px)
        return self._report(self._blobs(model, cur, scaled))

    def _start(self, image: Plane, width: int, height: int) -> None:
        h, w = image.shape[:2]
        self._model = _Model(
            long=image.copy(),
            short=image.copy(),
            evidence=np.zeros((h, w), dtype=np.float32),
            region=polygon_mask(self.config.region_rel, h, w),
            scale=(width / w, height / h),
        )
        self._tracks.clear()
        self._boxes.clear()

    def _learn(self, model: _Model, cur: _Frame) -> None:
        cfg = self.config
        cv2.accumulateWeighted(cur.image, model.short, alpha(cur.dt, cfg.short_s))
        learn_mask = (~cur.covered).view(np.uint8)
        cv2.accumulateWeighted(cur.image, model.long, alpha(cur.dt, cfg.absorb_s), learn_mask)

    def _accumulate(self, model: _Model, cur: _Frame, moving_px: Mask) -> None:
        """Grow while new and static, hold while occluded, fall while back to background."""
        evidence, visible = model.evidence, ~cur.covered
        np.add(evidence, cur.dt, out=evidence, where=cur.new & ~moving_px & visible)
        np.subtract(evidence, _DECAY * cur.dt, out=evidence, where=~cur.new & visible)
        np.clip(evidence, 0.0, self.config.min_static_s + 1.0, out=evidence)

    def _blobs(self, model: _Model, cur: _Frame, scaled: Plane) -> list[_Blob]:
        """Changed regions (new pixels, closed) at least half of whose pixels are mature.

        Judging whole changed regions, not mature pixels, keeps one blob per object while its
        pixels reach ``min_static_s`` a few frames apart, and gives the object's full box.
        """
        cfg = self.config
        candidate = cur.new & model.region & ~cur.covered
        mature = (model.evidence >= cfg.min_static_s) & candidate
        if not mature.any():
            return []
        closed = cv2.morphologyEx(candidate.view(np.uint8), cv2.MORPH_CLOSE, KERNEL3)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
        areas = stats[:, cv2.CC_STAT_AREA]
        mature_share = np.bincount(labels[mature], minlength=count) / np.maximum(areas, 1)
        size_ok = (areas >= cfg.min_area_rel * mature.size) & (
            areas <= cfg.max_area_rel * mature.size
        )
        blobs = []
        for label in np.flatnonzero((mature_share >= 0.5) & size_ok).tolist():
            if label == 0:
                continue
            region = labels == label
            if touch_fraction(region, cur.covered) > cfg.max_touch_fraction:
                continue
            if self._is_object(model, cur, scaled, region):
                x, y, w, h = (int(v) for v in stats[label, :4])
                box = (x, y, x + w, y + h)
                blobs.append(_Blob(box, mean_contrast(cur.image, scaled, region, box)))
        return blobs

    def _is_object(self, model: _Model, cur: _Frame, scaled: Plane, region: Mask) -> bool:
        """Edge test on the whole changed region: a real object brings edges to its border; a
        ghost (the background has the stronger border) is healed at once; a region without
        edges on either side (lighting) is not reported."""
        frame_edges, bg_edges = border_edges(
            cur.image, scaled, region, cur.covered, self.config.shake_px + 1
        )
        ratio = self.config.edge_ratio
        if frame_edges >= ratio * bg_edges:
            return True
        if bg_edges > ratio * frame_edges:
            # Heal only mature pixels: an object appearing later next to the ghost is younger.
            healed = region & (model.evidence >= self.config.min_static_s)
            model.long[healed] = cur.image[healed] / max(cur.gain, 1e-3)
            model.evidence[healed] = 0.0
            self.stats.ghosts_healed += 1
        return False

    def _report(self, blobs: list[_Blob]) -> Detections:
        cfg = self.config
        self._tracks = [tr for tr in self._tracks if self._t - tr.last_t <= cfg.max_miss_s]
        rows: list[tuple[BoxPx, float, int]] = []
        for blob in blobs:
            track = self._match(blob.box)
            age_s = self._t - track.first_t + cfg.min_static_s
            persistence = min(1.0, age_s / (3 * cfg.min_static_s))
            contrast = min(1.0, blob.contrast / (3 * cfg.diff_threshold))
            rows.append((blob.box, 0.5 * contrast + 0.5 * persistence, track.track_id))
        return self._detections(rows)

    def _match(self, box: BoxPx) -> _Track:
        """The track this blob continues (best overlap, one blob per track) or a new one."""
        free = [tr for tr in self._tracks if tr.last_t < self._t]
        best = max(free, key=lambda tr: iou(tr.box, box), default=None)
        if best is None or iou(best.box, box) < 0.2:
            best = _Track(self._next_id, box, self._t, self._t)
            self._next_id += 1
            self._tracks.append(best)
        best.box, best.last_t = box, self._t
        return best

    def _detections(self, rows: list[tuple[BoxPx, float, int]]) -> Detections:
        if not rows or self._model is None:
            return self._empty()
        sx, sy = self._model.scale
        boxes = [(x1 * sx, y1 * sy, x2 * sx, y2 * sy) for (x1, y1, x2, y2), _, _ in rows]
        return Detections.from_arrays(
            boxes,
            [round(conf, 3) for _, conf, _ in rows],
            [0] * len(rows),
            {0: self.config.class_name},
            tracker_id=[tid for _, _, tid in rows],
            attributes=[{"detector": "static_objects"} for _ in rows],
        )

    # Helpers over state.
    def _prepare(self, frame: Image) -> Plane:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 BGR frame, got {frame.shape}")
        return self._scratch.work_image(frame, self.config.work_width_px)

    def _tick(self, timestamp: datetime) -> float:
        last = self._last_ts
        self._last_ts = timestamp
        if last is None:
            return 0.0
        dt = min(max((timestamp - last).total_seconds(), 0.0), self.config.max_gap_s)
        self._t += dt
        return dt

    def _covered(self, model: _Model, boxes: list[BoxPx]) -> Mask:
        """Tracked boxes (grown, remembered ``box_memory_s``) as a work-size mask."""
        self._boxes.append(
            (self._t, [to_work(b, model.scale, self.config.box_margin_rel) for b in boxes])
        )
        while self._boxes and self._t - self._boxes[0][0] > self.config.box_memory_s:
            self._boxes.popleft()
        covered = np.zeros(model.evidence.shape, dtype=bool)
        for _, remembered in self._boxes:
            for x1, y1, x2, y2 in remembered:
                covered[y1:y2, x1:x2] = True
        return covered

    def _empty(self) -> Detections:
        return Detections.empty({0: self.config.class_name})


def merge_detections(base: Detections, extra: Detections) -> Detections:
    """``base`` followed by ``extra``, with ``extra``'s class names mapped into ``base``'s ids."""
    if len(extra) == 0:
        return base
    names = dict(base.class_names)
    ids = {name: cid for cid, name in names.items()}
    for name in extra.names:
        if name not in ids:
            ids[name] = max(names, default=-1) + 1
            names[ids[name]] = name
    return Detections(
        xyxy_px=np.concatenate([base.xyxy_px, extra.xyxy_px]).astype(np.float32),
        confidence=np.concatenate([base.confidence, extra.confidence]).astype(np.float32),
        class_id=np.array([*base.class_id.tolist(), *(ids[n] for n in extra.names)], np.int64),
        class_names=names,
        tracker_id=np.concatenate([base.tracker_id, extra.tracker_id]).astype(np.int64),
        attributes=(*base.attributes, *extra.attributes),
    )


def _boxes_px(detections: Detections) -> list[BoxPx]:
    return [
        (int(x1), int(y1), math.ceil(x2), math.ceil(y2))
        for x1, y1, x2, y2 in detections.xyxy_px.tolist()
    ]
