"""Ultralytics YOLO detector (``.pt``, ``.onnx``, OpenVINO dirs) and ByteTrack, CPU, offline."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt

from detectors.detections import Detections
from detectors.duplicates import one_box_per_object
from detectors.offline import prepare_offline_runtime
from detectors.ports import Image

logger = logging.getLogger(__name__)


class WeightsError(RuntimeError):
    """The model file is missing, unreadable or has unexpected classes."""


def validate_frames(frames: Sequence[Any]) -> list[Image]:
    """Check each frame is an (H, W, 3) uint8 BGR array; raise ``ValueError`` naming a bad one."""
    checked: list[Image] = []
    for i, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray):
            raise ValueError(f"frame {i}: expected a numpy array, got {type(frame).__name__}")
        if frame.dtype != np.uint8:
            raise ValueError(f"frame {i}: expected dtype uint8, got {frame.dtype}")
        if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < 8:
            raise ValueError(f"frame {i}: expected shape (H>=8, W>=8, 3) BGR, got {frame.shape}")
        checked.append(frame)
    return checked


def _check_weights(weights: Path) -> Path:
    path = Path(weights)
    if not path.exists():
        raise WeightsError(
            f"detector weights not found: {path}. Fix: set SMARTSCENE_DETECTOR_WEIGHTS to an "
            "existing file, or train the demo model with `smartscene detectors train` "
            "(see docs/MODELS.md)."
        )
    if path.is_dir() and not any(path.glob("*.xml")):
        raise WeightsError(
            f"{path} is a directory without an OpenVINO .xml model; export it again."
        )
    return path


def check_class_names(
    weights: Path, names: Mapping[int, str], expected: Sequence[str] | None
) -> None:
    """Raise ``WeightsError`` when the model's classes differ from ``expected`` (order matters)."""
    if expected is None:
        return
    actual = [names[i] for i in sorted(names)]
    if actual != list(expected):
        raise WeightsError(
            f"{weights} predicts classes {actual}, expected {list(expected)}. "
            "Fix: point the detector at weights trained for these classes, "
            "or change the scene config's class list."
        )


class UltralyticsDetector:
    """Batch YOLO inference on CPU with per-class confidence thresholds, one box per object."""

    def __init__(
        self,
        weights: Path,
        *,
        imgsz: int,
        conf: float,
        class_conf: Mapping[str, float] | None = None,
        expected_classes: Sequence[str] | None = None,
        threads: int = 2,
    ) -> None:
        self.weights = _check_weights(weights)
        self.imgsz = imgsz
        self.conf = conf
        self.class_conf = dict(class_conf or {})
        prepare_offline_runtime()
        import torch
        from ultralytics import YOLO  # type: ignore[attr-defined]

        torch.set_num_threads(max(1, threads))
        try:
            self._model = YOLO(str(self.weights), task="detect")
        except Exception as exc:
            raise WeightsError(f"cannot load detector weights {self.weights}: {exc}") from exc
        self.class_names: dict[int, str] = {int(k): str(v) for k, v in dict(self._names()).items()}
        check_class_names(self.weights, self.class_names, expected_classes)
        unknown = set(self.class_conf) - set(self.class_names.values())
        if unknown:
            raise ValueError(
                f"class_conf names {sorted(unknown)} are not classes of {self.weights}"
            )
        self._thresholds = np.array(
            [self.class_conf.get(self.class_names[i], conf) for i in sorted(self.class_names)],
            dtype=np.float32,
        )

    def _names(self) -> Mapping[int, str]:
        names = getattr(self._model, "names", None)
        if names:
            return dict(names)
        # Exported models expose names once the predictor is set up.
        self._model.predict(np.zeros((64, 64, 3), dtype=np.uint8), imgsz=self.imgsz, verbose=False)
        return dict(self._model.names)

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Return one ``Detections`` per frame (class thresholds and ``one_box_per_object``
        applied)."""
        batch = validate_frames(frames)
        if not batch:
            return []
        floor = float(min(self.conf, *self._thresholds)) if len(self._thresholds) else self.conf
        results = self._model.predict(
            batch, imgsz=self.imgsz, conf=floor, device="cpu", verbose=False
        )
        return [
            one_box_per_object(self._apply_thresholds(Detections.from_ultralytics(r)))
            for r in results
        ]

    def _apply_thresholds(self, dets: Detections) -> Detections:
        if len(dets) == 0:
            return Detections.empty(self.class_names)
        keep: npt.NDArray[np.bool_] = dets.confidence >= self._thresholds[dets.class_id]
        return dets.filter(keep)


@dataclass(frozen=True)
class ByteTrackConfig:
    """ByteTrack thresholds and the lost-track buffer in frames (Ultralytics' defaults, except
    ``match_thresh``).

    ``match_thresh`` bounds the first association's cost ``1 - IoU * score``: Ultralytics' 0.8
    lets a track take a box overlapping it by IoU 0.37 at score 0.55. On cameras sampled at a
    few frames per second that is how a truck passing in front of a parked one takes over the
    parked one's track (one truck reported twice, the other never); 0.7 (IoU * score >= 0.3)
    keeps them apart and still follows trucks near the camera at 5 fps (measured on the demo
    street video, tests/unit/scenes/test_scenes_real_model_golden.py).
    """

    track_high_thresh: float = 0.25
    track_low_thresh: float = 0.1
    new_track_thresh: float = 0.25
    track_buffer: int = 30
    match_thresh: float = 0.7
    fuse_score: bool = True


class _TrackInput:
    """What BYTETracker reads: numpy ``conf``, ``cls``, ``xywh``, ``xyxy``; boolean indexing."""

    def __init__(
        self, xyxy: npt.NDArray[np.float32], conf: npt.NDArray[np.float32], cls: npt.NDArray[Any]
    ) -> None:
        self.xyxy, self.conf, self.cls = xyxy, conf, cls
        wh = xyxy[:, 2:4] - xyxy[:, 0:2]
        self.xywh = np.concatenate([xyxy[:, 0:2] + wh / 2, wh], axis=1)

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, mask: Any) -> _TrackInput:
        return _TrackInput(self.xyxy[mask], self.conf[mask], self.cls[mask])


class ByteTrackTracker:
    """Stable track ids for one camera, using Ultralytics' BYTETracker on our ``Detections``."""

    def __init__(self, config: ByteTrackConfig | None = None, *, frame_rate: int = 10) -> None:
        self.config = config or ByteTrackConfig()
        self.frame_rate = frame_rate
        self._tracker = self._new_tracker()

    def _new_tracker(self) -> Any:
        prepare_offline_runtime()
        from ultralytics.trackers.byte_tracker import BYTETracker

        args = SimpleNamespace(**self.config.__dict__, tracker_type="bytetrack")
        return BYTETracker(args)

    def reset(self) -> None:
        """Forget all tracks (e.g. after a camera cut)."""
        self._tracker = self._new_tracker()

    def update(self, detections: Detections, frame: Image | None = None) -> Detections:
        """Return the detections with ``tracker_id`` set (-1 for unconfirmed)."""
        feed = _TrackInput(
            detections.xyxy_px.astype(np.float32),
            detections.confidence.astype(np.float32),
            detections.class_id.astype(np.float32),
        )
        out = self._tracker.update(feed, frame)
        ids = np.full(len(detections), -1, dtype=np.int64)
        for row in np.asarray(out).reshape(-1, 8):
            ids[int(row[7])] = int(row[4])
        return detections.with_tracker_ids(ids)
