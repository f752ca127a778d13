"""Second-stage load classifier: features, fitting, and accuracy on unseen generated trucks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.attributes import LoadClassifier, LogisticModel, crop_features, fit_logistic
from detectors.detections import Detections
from detectors.synth import render_scene

WEIGHTS = Path(__file__).resolve().parents[3] / "detectors" / "weights" / "load-classifier.npz"
NAMES = {0: "car", 1: "truck", 2: "debris", 3: "person"}


@pytest.mark.parametrize(
    ("box", "ok"),
    [
        ((10, 10, 60, 50), True),
        ((-20, -5, 30, 30), True),
        ((10, 10, 11, 50), False),
        ((400, 10, 500, 50), False),
    ],
)
def test_crop_features_shape_and_empty_boxes(box, ok):
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    if ok:
        feats = crop_features(frame, box)
        assert feats.dtype == np.float32
        assert feats.shape == crop_features(frame, (0, 0, 160, 120)).shape
        assert np.isfinite(feats).all()
    else:
        with pytest.raises(ValueError, match="empty"):
            crop_features(frame, box)


def test_fit_logistic_separates_and_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-1, 0.5, (50, 3)), rng.normal(1, 0.5, (50, 3))]).astype(
        np.float32
    )
    y = np.array([0] * 50 + [1] * 50, dtype=np.int32)
    model = fit_logistic(x, y)
    assert np.mean((model.margin(x) > 0) == y) > 0.95
    model.save(tmp_path / "m.npz")
    again = LogisticModel.load(tmp_path / "m.npz")
    assert np.allclose(again.margin(x), model.margin(x))


def test_missing_model_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-load"):
        LoadClassifier(tmp_path / "nope.npz")


def _truth(seeds):
    for seed in seeds:
        img, anns = render_scene(seed, 640, 360)
        trucks = [
            a
            for a in anns
            if a.class_name == "truck"
            and min(a.xyxy_px[2] - a.xyxy_px[0], a.xyxy_px[3] - a.xyxy_px[1]) >= 30
        ]
        others = [a for a in anns if a.class_name != "truck"]
        if trucks:
            yield img, trucks, others


def test_classifier_labels_unseen_trucks_and_leaves_others_alone():
    if not WEIGHTS.is_file():
        pytest.skip(f"{WEIGHTS} not trained yet")
    clf = LoadClassifier(WEIGHTS)
    correct = total = 0
    for img, trucks, others in _truth(range(900_000, 900_012)):
        objs = trucks + others
        d = Detections.from_arrays(
            [a.xyxy_px for a in objs], [0.9] * len(objs),
            [1] * len(trucks) + [[*NAMES.values()].index(a.class_name) for a in others], NAMES,
        )  # fmt: skip
        out = clf.classify(img, d)
        for a, attrs in zip(trucks, out.attributes[: len(trucks)], strict=True):
            total += 1
            correct += attrs["load"] == a.load
            assert float(attrs["load_margin"]) >= 0
        assert all("load" not in attrs for attrs in out.attributes[len(trucks) :])
    assert total >= 10
    assert correct / total >= 0.8
