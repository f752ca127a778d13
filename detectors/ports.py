"""Small one-verb ports for detection and tracking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from detectors.detections import Detections

Image = npt.NDArray[np.uint8]


class Detector(Protocol):
    """Finds objects in a batch of BGR frames."""

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Return one ``Detections`` per frame, in order."""
        ...


class Tracker(Protocol):
    """Gives stable ids to objects across the frames of one camera."""

    def update(self, detections: Detections, frame: Image | None = None) -> Detections:
        """Return the detections with ``tracker_id`` set (-1 for unconfirmed)."""
        ...
