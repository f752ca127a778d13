"""Second-stage attributes on detected objects: the muck-truck ``load`` (covered | uncovered).

The classifier is a logistic regression (numpy) on hand-made crop features (colour histogram,
texture energy grid, gradient orientation histograms): well under 1 ms per crop on one core,
trained from generated scenes in seconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from detectors.detections import Detections
from detectors.ports import Image

logger = logging.getLogger(__name__)
CROP_PX = 64
LOAD_VALUES: tuple[str, ...] = ("covered", "uncovered")
Features = npt.NDArray[np.float32]


class AttributeClassifier(Protocol):
    """Adds attributes to some detections of a frame."""

    def classify(self, frame: Image, detections: Detections) -> Detections:
        """Return ``detections.with_attributes(...)`` with this classifier's keys added."""
        ...


def _orientation_histograms(gray: npt.NDArray[np.uint8], cells: int = 4, bins: int = 8) -> Features:
    """A coarse HOG: magnitude-weighted orientation histograms on a ``cells`` x ``cells`` grid."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    mag, ang = cv2.cartToPolar(gx, gy)
    idx = np.minimum((ang % np.pi) / np.pi * bins, bins - 1).astype(np.int64)
    cell = CROP_PX // cells
    rows = (np.arange(CROP_PX) // cell)[:, None] * cells + (np.arange(CROP_PX) // cell)[None, :]
    hist = np.bincount(
        (rows * bins + idx).ravel(), weights=mag.ravel(), minlength=cells * cells * bins
    )
    grid = np.asarray(hist, dtype=np.float64).reshape(cells * cells, bins)
    grid = grid / (np.linalg.norm(grid, axis=1, keepdims=True) + 1e-6)
    return np.asarray(grid.ravel(), dtype=np.float32)


def crop_features(frame: Image, xyxy_px: Sequence[float]) -> Features:
    """Feature vector of one box: HSV histogram, 4x4 Laplacian energy grid and a coarse HOG."""
    h, w = frame.shape[:2]
    x1, y1 = max(int(xyxy_px[0]), 0), max(int(xyxy_px[1]), 0)
    x2, y2 = min(int(np.ceil(xyxy_px[2])), w), min(int(np.ceil(xyxy_px[3])), h)
    if x2 - x1 < 2 or y2 - y1 < 2:
        raise ValueError(f"box {list(xyxy_px)} is empty inside a {w}x{h} frame")
    crop = cv2.resize(frame[y1:y2, x1:x2], (CROP_PX, CROP_PX), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hist = np.asarray(
        cv2.calcHist([hsv], [0, 1], None, [12, 4], [0, 180, 0, 256]), np.float32
    ).ravel()
    hist = hist / max(float(hist.sum()), 1.0)
    gray = np.asarray(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    lap = np.abs(cv2.Laplacian(gray, cv2.CV_32F))
    energy = lap.reshape(4, CROP_PX // 4, 4, CROP_PX // 4).mean(axis=(1, 3)).ravel() / 64.0
    hog = _orientation_histograms(gray)
    return np.concatenate([hist * 4, energy, hog]).astype(np.float32)


@dataclass(frozen=True)
class LoadClassifierMetrics:
    """Accuracy of the load classifier on held-out crops."""

    train_crops: int
    val_crops: int
    val_accuracy: float
    confusion: dict[str, dict[str, int]]


def _collect(
    dataset_dir: Path, split: str, limit: int | None = None
) -> tuple[Features, npt.NDArray[np.int32]]:
    meta = json.loads((dataset_dir / f"{split}_annotations.json").read_text())
    feats, labels = [], []
    for name, objs in list(meta.items())[:limit]:
        trucks = [o for o in objs if o["class"] == "truck" and o.get("load") in LOAD_VALUES]
        if not trucks:
            continue
        raw = cv2.imread(str(dataset_dir / "images" / split / f"{name}.jpg"))
        if raw is None:
            raise FileNotFoundError(f"missing image for {name} in {dataset_dir}")
        img = np.asarray(raw, dtype=np.uint8)
        for o in trucks:
            x1, y1, x2, y2 = o["xyxy_px"]
            if min(x2 - x1, y2 - y1) >= 12:
                feats.append(crop_features(img, o["xyxy_px"]))
                labels.append(LOAD_VALUES.index(o["load"]))
    if not feats:
        raise ValueError(f"no truck crops with a load label in {dataset_dir} ({split})")
    return np.stack(feats), np.asarray(labels, dtype=np.int32)


@dataclass(frozen=True)
class LogisticModel:
    """Standardised features -> logistic regression (numpy; saved as ``.npz``)."""

    mean: Features
    scale: Features
    weights: Features
    bias: float

    def margin(self, x: Features) -> Features:
        """Log-odds of the positive class (``uncovered``) per row."""
        z = (np.asarray(x, dtype=np.float32) - self.mean) / self.scale
        return np.asarray(z @ self.weights + self.bias, dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write the model to ``path`` (.npz)."""
        with Path(path).open("wb") as fh:
            np.savez(
                fh,
                mean=self.mean,
                scale=self.scale,
                weights=self.weights,
                bias=np.float32(self.bias),
            )

    @classmethod
    def load(cls, path: Path) -> LogisticModel:
        """Read a model written by :meth:`save`."""
        with np.load(path) as data:
            return cls(data["mean"], data["scale"], data["weights"], float(data["bias"]))


def fit_logistic(
    x: Features, y: npt.NDArray[np.int32], *, l2: float = 1e-3, epochs: int = 400, lr: float = 0.5
) -> LogisticModel:
    """Full-batch gradient descent on the L2-regularised logistic loss (deterministic)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    w = np.zeros(z.shape[1], dtype=np.float64)
    b = 0.0
    target = y.astype(np.float64)
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        grad = p - target
        w -= lr * (z.T @ grad / len(z) + l2 * w)
        b -= lr * float(grad.mean())
    return LogisticModel(mean.astype(np.float32), scale.astype(np.float32), w.astype(np.float32), b)


def train_load_classifier(
    dataset_dir: Path, out_path: Path, *, l2: float = 1e-3
) -> LoadClassifierMetrics:
    """Train on a generated dataset's train crops, report val accuracy, save ``out_path``."""
    x_tr, y_tr = _collect(Path(dataset_dir), "train")
    x_va, y_va = _collect(Path(dataset_dir), "val")
    model = fit_logistic(x_tr, y_tr, l2=l2)
    pred = (model.margin(x_va) > 0).astype(np.int32)
    confusion = {
        t: {p: int(np.sum((y_va == i) & (pred == j))) for j, p in enumerate(LOAD_VALUES)}
        for i, t in enumerate(LOAD_VALUES)
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(out_path)
    acc = float(np.mean(pred == y_va))
    logger.info("load classifier: %d train crops, val accuracy %.3f", len(y_tr), acc)
    return LoadClassifierMetrics(len(y_tr), len(y_va), acc, confusion)


def _min_side_px(xyxy: npt.NDArray[np.float32]) -> float:
    return float(min(xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]))


class LoadClassifier:
    """``AttributeClassifier`` that sets ``load`` and ``load_margin`` on ``truck`` detections.

    Trucks whose box is under ``min_side_px`` on a side are not judged: a detector's box on a
    distant truck often cuts off the heap on top, and such crops were read ``covered`` with
    confidence (an uncovered truck was never reported on the demo street video; 24-40 px all
    fixed it: tests/unit/scenes/test_scenes_real_model_golden.py, bench/bench_demo_seeds.py).
    """

    def __init__(
        self, model_path: Path, *, class_name: str = "truck", min_side_px: float = 30.0
    ) -> None:
        if not Path(model_path).is_file():
            raise FileNotFoundError(
                f"load classifier not found: {model_path}. "
                "Fix: run `smartscene detectors train-load` "
                "or point the scene config at an existing file."
            )
        self._model = LogisticModel.load(model_path)
        self.class_name = class_name
        self.min_side_px = min_side_px

    def classify(self, frame: Image, detections: Detections) -> Detections:
        """Add ``load`` to trucks large enough to judge; other objects keep their attributes."""
        attrs = [dict(a) for a in detections.attributes]
        idx = [
            i for i, name in enumerate(detections.names)
            if name == self.class_name and _min_side_px(detections.xyxy_px[i]) >= self.min_side_px
        ]  # fmt: skip
        if not idx:
            return detections
        feats = np.stack([crop_features(frame, detections.xyxy_px[i]) for i in idx])
        margins = self._model.margin(feats)
        for i, margin in zip(idx, margins, strict=True):
            attrs[i]["load"] = LOAD_VALUES[int(margin > 0)]
            attrs[i]["load_margin"] = f"{abs(float(margin)):.3f}"
        return detections.with_attributes(attrs)


Classify = Callable[[Image, Detections], Detections]


@dataclass
class _Evidence:
    log_odds: float = 0.0
    frames: int = 0
    last_seen: int = 0


class TrackAttributeVote:
    """Decides a binary attribute per *track*, not per frame, from a per-frame classifier.

    The classifier's signed margin is a log-odds, so the margins of one track's frames add up
    (naive-Bayes evidence; each frame clipped to ``clip`` so one confident mistake cannot
    decide). The attribute is set only once the total reaches ``min_evidence`` over at least
    ``min_frames`` frames; before that the
    detection carries no ``key`` at all (unknown), so a rule waiting for ``load=uncovered``
    does not fire on a distant, blurry first look. Untracked detections keep the per-frame
    answer. One instance per camera: it remembers that camera's tracks (forgotten after
    ``forget_after`` calls without them).
    """

    def __init__(
        self,
        classify: Classify,
        *,
        key: str = "load",
        values: tuple[str, str] = ("covered", "uncovered"),
        min_evidence: float = 3.0,
        min_frames: int = 2,
        clip: float = 4.0,
        forget_after: int = 300,
    ) -> None:
        self._classify = classify
        self._key, self._values = key, values
        self._margin_key = f"{key}_margin"
        self._min_evidence, self._min_frames = min_evidence, min_frames
        self._clip, self._forget_after = clip, forget_after
        self._tracks: dict[int, _Evidence] = {}
        self._calls = 0

    def __call__(self, frame: Image, detections: Detections) -> Detections:
        """Classify, then replace each tracked object's attribute by its track's decision."""
        self._calls += 1
        judged = self._classify(frame, detections)
        attrs = [dict(a) for a in judged.attributes]
        for i, track_id in enumerate(judged.tracker_id.tolist()):
            if track_id < 0 or self._key not in attrs[i]:
                continue
            attrs[i] = self._decide(int(track_id), attrs[i])
        self._forget()
        return judged.with_attributes(attrs)

    def evidence(self, track_id: int) -> float:
        """The track's accumulated log-odds for ``values[1]`` (0 for an unknown track)."""
        state = self._tracks.get(track_id)
        return 0.0 if state is None else state.log_odds

    def _decide(self, track_id: int, attrs: dict[str, str]) -> dict[str, str]:
        state = self._tracks.setdefault(track_id, _Evidence())
        sign = 1.0 if attrs[self._key] == self._values[1] else -1.0
        margin = min(float(attrs.get(self._margin_key, "0")), self._clip)
        state.log_odds += sign * margin
        state.frames += 1
        state.last_seen = self._calls
        out = {k: v for k, v in attrs.items() if k not in (self._key, self._margin_key)}
        if state.frames >= self._min_frames and abs(state.log_odds) >= self._min_evidence:
            out[self._key] = self._values[int(state.log_odds > 0)]
            out[self._margin_key] = f"{abs(state.log_odds):.3f}"
        return out

    def _forget(self) -> None:
        stale = [
            k for k, s in self._tracks.items() if self._calls - s.last_seen > self._forget_after
        ]
        for track_id in stale:
            del self._tracks[track_id]
