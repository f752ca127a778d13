"""The numpy-backed value object that every detector, tracker and rule speaks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Detections:
    """N objects in one frame.

    ``xyxy_px`` are pixel boxes (x1, y1, x2, y2); ``tracker_id`` is -1 where untracked;
    ``attributes`` holds one dict per object (e.g. ``{"load": "uncovered"}``).
    """

    xyxy_px: FloatArray
    confidence: FloatArray
    class_id: IntArray
    class_names: Mapping[int, str]
    tracker_id: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    attributes: tuple[dict[str, str], ...] = ()

    def __post_init__(self) -> None:
        n = len(self.xyxy_px)
        if self.xyxy_px.shape != (n, 4):
            raise ValueError(f"xyxy_px must have shape (N, 4), got {self.xyxy_px.shape}")
        if len(self.confidence) != n or len(self.class_id) != n:
            raise ValueError("confidence and class_id must have one entry per box")
        if len(self.tracker_id) == 0 and n:
            object.__setattr__(self, "tracker_id", np.full(n, -1, dtype=np.int64))
        if not self.attributes and n:
            object.__setattr__(self, "attributes", tuple({} for _ in range(n)))
        if len(self.tracker_id) != n or len(self.attributes) != n:
            raise ValueError("tracker_id and attributes must have one entry per box")

    @classmethod
    def empty(cls, class_names: Mapping[int, str] | None = None) -> Detections:
        """No objects."""
        return cls(
            xyxy_px=np.empty((0, 4), dtype=np.float32),
            confidence=np.empty(0, dtype=np.float32),
            class_id=np.empty(0, dtype=np.int64),
            class_names=dict(class_names or {}),
        )

    @classmethod
    def from_arrays(
        cls,
        xyxy_px: Sequence[Sequence[float]] | FloatArray,
        confidence: Sequence[float] | FloatArray,
        class_id: Sequence[int] | IntArray,
        class_names: Mapping[int, str],
        tracker_id: Sequence[int] | IntArray | None = None,
        attributes: Sequence[dict[str, str]] | None = None,
    ) -> Detections:
        """Build from plain sequences (tests, other runtimes)."""
        boxes = np.asarray(xyxy_px, dtype=np.float32).reshape(-1, 4)
        return cls(
            xyxy_px=boxes,
            confidence=np.asarray(confidence, dtype=np.float32),
            class_id=np.asarray(class_id, dtype=np.int64),
            class_names=dict(class_names),
            tracker_id=np.asarray(tracker_id if tracker_id is not None else [], dtype=np.int64),
            attributes=tuple(dict(a) for a in attributes) if attributes is not None else (),
        )

    @classmethod
    def from_ultralytics(cls, result: Any) -> Detections:
        """Convert one ``ultralytics.engine.results.Results`` (duck-typed: no import here)."""
        boxes = result.boxes
        names = {int(k): str(v) for k, v in dict(result.names).items()}
        if boxes is None or len(boxes) == 0:
            return cls.empty(names)
        ids = boxes.id
        return cls.from_arrays(
            xyxy_px=boxes.xyxy.cpu().numpy(),
            confidence=boxes.conf.cpu().numpy(),
            class_id=boxes.cls.cpu().numpy().astype(np.int64),
            class_names=names,
            tracker_id=None if ids is None else ids.cpu().numpy().astype(np.int64),
        )

    def __len__(self) -> int:
        return len(self.xyxy_px)

    @property
    def names(self) -> list[str]:
        """Class name per object."""
        return [self.class_names.get(int(c), str(int(c))) for c in self.class_id]

    @property
    def bottom_center_px(self) -> FloatArray:
        """Ground-contact anchor per object: bottom-centre of the box, shape (N, 2)."""
        x = (self.xyxy_px[:, 0] + self.xyxy_px[:, 2]) / 2
        return np.stack([x, self.xyxy_px[:, 3]], axis=1).astype(np.float32)

    def filter(self, mask: npt.NDArray[np.bool_]) -> Detections:
        """Keep the objects where ``mask`` is true."""
        idx = np.flatnonzero(mask)
        return Detections(
            xyxy_px=self.xyxy_px[idx],
            confidence=self.confidence[idx],
            class_id=self.class_id[idx],
            class_names=self.class_names,
            tracker_id=self.tracker_id[idx],
            attributes=tuple(self.attributes[i] for i in idx),
        )

    def with_attributes(self, attributes: Sequence[dict[str, str]]) -> Detections:
        """Return a copy with one attribute dict per object."""
        return Detections(
            self.xyxy_px,
            self.confidence,
            self.class_id,
            self.class_names,
            self.tracker_id,
            tuple(dict(a) for a in attributes),
        )

    def with_tracker_ids(self, tracker_id: IntArray) -> Detections:
        """Return a copy with tracker ids set."""
        return Detections(
            self.xyxy_px,
            self.confidence,
            self.class_id,
            self.class_names,
            np.asarray(tracker_id, dtype=np.int64),
            self.attributes,
        )
