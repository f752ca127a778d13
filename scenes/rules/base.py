"""Value objects and ports shared by the rules: frame metadata, object views, hits, ground."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from core.clock import ensure_utc
from detectors.detections import Detections

if TYPE_CHECKING:
    from scenes.config import SceneConfig

logger = logging.getLogger(__name__)
_VIEWS = threading.local()

Box = tuple[float, float, float, float]
Point = tuple[float, float]


class CalibrationRequiredError(ValueError):
    """A rule needs ground coordinates but the camera has no calibration."""


class GroundMapper(Protocol):
    """Maps an image pixel to a ground position; any camera calibration object fits."""

    def to_ground(self, px: tuple[float, float]) -> tuple[float, float]:
        """Return (lon, lat) in WGS84 for a pixel (x, y); raise ``ValueError`` if unmappable."""
        ...


@dataclass(frozen=True)
class FrameMeta:
    """What a rule knows about the frame besides its detections."""

    camera_id: str
    frame_index: int
    timestamp: datetime
    frame_size_px: tuple[int, int]
    """(width, height) in pixels."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", ensure_utc(self.timestamp))
        width, height = self.frame_size_px
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {self.frame_size_px}")


@dataclass(frozen=True, slots=True)
class ObjectView:
    """One detected object as the rules see it."""

    index: int
    track_id: int
    class_name: str
    confidence: float
    attributes: Mapping[str, str]
    anchor_px: Point
    anchor_rel: Point
    box_xyxy_px: Box


def object_views(meta: FrameMeta, detections: Detections) -> tuple[ObjectView, ...]:
    """One view per detection, anchored at the bottom-centre of its box.

    The views of the last ``detections`` object are cached per thread: every rule of a scene
    sees the same detections, so they are built once per frame instead of once per rule.
    """
    cached = getattr(_VIEWS, "entry", None)
    if cached is not None and cached[0] is detections and cached[1] == meta.frame_size_px:
        views: tuple[ObjectView, ...] = cached[2]
        return views
    views = _build_views(meta.frame_size_px, detections)
    _VIEWS.entry = (detections, meta.frame_size_px, views)
    return views


def _build_views(size_px: tuple[int, int], detections: Detections) -> tuple[ObjectView, ...]:
    if len(detections) == 0:
        return ()
    width, height = size_px
    boxes: list[list[float]] = detections.xyxy_px.astype(np.float64).tolist()
    confidences: list[float] = detections.confidence.astype(np.float64).tolist()
    track_ids: list[int] = detections.tracker_id.tolist()
    names = detections.names
    views = []
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        ax, ay = (x1 + x2) / 2, y2
        views.append(
            ObjectView(
                index=i,
                track_id=track_ids[i],
                class_name=names[i],
                confidence=confidences[i],
                attributes=detections.attributes[i],
                anchor_px=(ax, ay),
                anchor_rel=(ax / width, ay / height),
                box_xyxy_px=(x1, y1, x2, y2),
            )
        )
    return tuple(views)


def view_matcher(
    classes: Sequence[str], attributes: Mapping[str, str], min_confidence: float
) -> Callable[[ObjectView], bool]:
    """Predicate: class in ``classes``, confidence high enough and every attribute equal."""
    wanted = frozenset(classes)
    required = dict(attributes)

    def matches(view: ObjectView) -> bool:
        return (
            view.class_name in wanted
            and view.confidence >= min_confidence
            and all(view.attributes.get(k) == v for k, v in required.items())
        )

    return matches


def anchors_rel(views: Sequence[ObjectView]) -> npt.NDArray[np.float64]:
    """Anchors of ``views`` as an (N, 2) array."""
    return np.array([v.anchor_rel for v in views], dtype=np.float64).reshape(-1, 2)


@dataclass(frozen=True)
class RuleHit:
    """A rule's finding, before it becomes a ``SceneEvent``."""

    rule_id: str
    category_code: str
    occurred_at: datetime
    """When the violation began (first frame of the episode), UTC."""
    detected_at: datetime
    """Timestamp of the frame on which the rule fired, UTC."""
    track_id: int | None = None
    object_class: str | None = None
    confidence: float = 1.0
    anchor_px: Point | None = None
    anchor_rel: Point | None = None
    box_xyxy_px: Box | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    description: str = ""


class Rule(Protocol):
    """A stateful rule over detections."""

    rule_id: str

    def step(self, meta: FrameMeta, detections: Detections) -> list[RuleHit]:
        """Consume one frame; return the hits that fired on it."""
        ...

    def reset(self) -> None:
        """Forget ongoing episodes (keep cooldowns): called when the rule goes inactive."""
        ...


class HitRule(Protocol):
    """A rule over other rules' hits (composition)."""

    rule_id: str

    def consume(self, meta: FrameMeta, hits: Sequence[RuleHit]) -> list[RuleHit]:
        """Consume the hits of one frame; return composed hits."""
        ...

    def reset(self) -> None:
        """Forget pending partial matches."""
        ...


@dataclass(frozen=True)
class BuildContext:
    """What a rule builder may use besides its own config."""

    scene: SceneConfig
    ground: GroundMapper | None = None


class SceneTime:
    """Monotonic rule time from frame timestamps.

    Clock jumps are absorbed: a backwards step counts as zero, a forward step is capped at
    ``max_gap_s``, so dwell timers never fire because a clock moved.
    """

    def __init__(self, max_gap_s: float) -> None:
        self._max_gap_s = max_gap_s
        self._last: datetime | None = None
        self._t_s = 0.0

    def tick(self, timestamp: datetime) -> float:
        """Advance to ``timestamp`` and return monotonic seconds since the first frame."""
        if self._last is not None:
            delta_s = (timestamp - self._last).total_seconds()
            if delta_s < 0:
                logger.warning("clock went back %.3f s; rule time holds", -delta_s)
            elif delta_s > self._max_gap_s:
                logger.info("frame gap %.1f s capped at %.1f s", delta_s, self._max_gap_s)
            self._t_s += min(max(delta_s, 0.0), self._max_gap_s)
        self._last = timestamp
        return self._t_s
