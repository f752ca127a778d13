"""Synthetic street scenes: geometry, determinism, labels, dataset layout and the demo video."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detectors.synth import CLASS_NAMES, LOADS, render_scene, write_dataset
from detectors.synth.camera import StreetCamera
from detectors.synth.dataset import scene_seed, yolo_lines
from detectors.synth.objects import SceneObject
from detectors.synth.scene import Annotation, label_visible
from detectors.synth.video import DemoStreet, demo_actors, render_demo_video

CAM = StreetCamera(640, 360, 500.0, 100.0, 300.0, 6.0)


@pytest.mark.parametrize(
    ("xyz", "expected_uv"),
    [
        ((0.0, 6.0, 10.0), (300.0, 100.0)),  # at camera height: on the horizon
        ((0.0, 0.0, 10.0), (300.0, 400.0)),  # ground below the camera at 10 m
        ((2.0, 0.0, 20.0), (350.0, 250.0)),
        ((-4.0, 0.0, 50.0), (260.0, 160.0)),
    ],
)
def test_camera_projects_pinhole(xyz, expected_uv):
    uv = CAM.project(np.array([xyz]))[0]
    assert uv == pytest.approx(expected_uv)


@pytest.mark.parametrize("z_m", [8.0, 15.0, 60.0])
def test_ground_depth_inverts_projection(z_m):
    v = CAM.project(np.array([[1.0, 0.0, z_m]]))[0, 1]
    assert CAM.ground_depth_m(v) == pytest.approx(z_m)


def test_render_scene_is_deterministic_per_seed():
    img_a, anns_a = render_scene(11, 320, 180)
    img_b, anns_b = render_scene(11, 320, 180)
    img_c, _ = render_scene(12, 320, 180)
    assert np.array_equal(img_a, img_b)
    assert anns_a == anns_b
    assert not np.array_equal(img_a, img_c)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_annotations_are_valid(seed):
    img, anns = render_scene(seed, 320, 180)
    assert img.shape == (180, 320, 3)
    assert img.dtype == np.uint8
    for a in anns:
        x1, y1, x2, y2 = a.xyxy_px
        assert 0 <= x1 < x2 <= 320
        assert 0 <= y1 < y2 <= 180
        assert a.class_name in CLASS_NAMES
        assert (a.load in LOADS) if a.class_name == "truck" else a.load is None


def test_scenes_cover_every_class_and_load():
    seen_classes, seen_loads = set(), set()
    for seed in range(12):
        for a in render_scene(seed, 320, 180)[1]:
            seen_classes.add(a.class_name)
            seen_loads.add(a.load)
    assert seen_classes == set(CLASS_NAMES)
    assert set(LOADS) <= seen_loads


def test_truck_pixels_differ_from_background_inside_label():
    img, anns = render_scene(5, 640, 360)
    trucks = [a for a in anns if a.class_name == "truck"]
    assert trucks, "seed 5 must contain a truck"
    x1, y1, x2, y2 = (int(v) for v in trucks[0].xyxy_px)
    patch = img[y1:y2, x1:x2].astype(np.float32)
    assert patch.std() > 10  # a drawn vehicle, not flat asphalt


OBJ = SceneObject("car", 0.0, 10.0, 1, (0.0, 0.0, 0.0))


@pytest.mark.parametrize(
    ("boxes", "kept"),
    [
        ([(10, 10, 50, 40)], 1),
        ([(10, 10, 12, 40)], 0),  # narrower than MIN_SIDE_PX
        ([(-100, 10, 20, 40)], 0),  # mostly outside the frame
        ([(10, 10, 50, 40), (5, 5, 55, 45)], 1),  # first hidden by the nearer (later) one
        ([(10, 10, 50, 40), (40, 10, 90, 40)], 2),  # small overlap: both visible
    ],
)
def test_label_visible_rules(boxes, kept):
    drawn = [(OBJ, tuple(float(v) for v in b), i) for i, b in enumerate(boxes)]
    assert len(label_visible(drawn, 320, 180)) == kept


@pytest.mark.parametrize(
    ("ann", "line"),
    [
        (Annotation("car", (0, 0, 320, 180)), "0 0.500000 0.500000 1.000000 1.000000"),
        (Annotation("truck", (32, 18, 96, 54), "covered"), "1 0.200000 0.200000 0.200000 0.200000"),
        (Annotation("person", (160, 90, 176, 180)), "3 0.525000 0.750000 0.050000 0.500000"),
    ],
)
def test_yolo_lines(ann, line):
    assert yolo_lines([ann], 320, 180) == [line]


def test_yolo_lines_rejects_unknown_class():
    with pytest.raises(ValueError, match="bus"):
        yolo_lines([Annotation("bus", (0, 0, 1, 1))], 10, 10)


def test_scene_seeds_are_disjoint_between_splits_and_datasets():
    train = {scene_seed(0, "train", i) for i in range(1000)}
    val = {scene_seed(0, "val", i) for i in range(1000)}
    other = {scene_seed(1, "train", i) for i in range(1000)}
    assert not train & val
    assert not train & other


def test_write_dataset_layout(tmp_path):
    data_yaml = write_dataset(tmp_path / "ds", 3, 2, seed=4, imgsz=160)
    text = data_yaml.read_text()
    assert "0: car\n  1: truck\n  2: debris\n  3: person" in text
    for split, n in (("train", 3), ("val", 2)):
        images = sorted((tmp_path / "ds" / "images" / split).glob("*.jpg"))
        labels = sorted((tmp_path / "ds" / "labels" / split).glob("*.txt"))
        assert len(images) == len(labels) == n
        assert cv2.imread(str(images[0])).shape == (90, 160, 3)
        meta = json.loads((tmp_path / "ds" / f"{split}_annotations.json").read_text())
        assert len(meta) == n
        for lbl in labels:
            rows = [r.split() for r in lbl.read_text().splitlines() if r.strip()]
            assert len(rows) == len(meta[lbl.stem])
            assert all(0 <= float(v) <= 1 for r in rows for v in r[1:])


@pytest.mark.parametrize(("n_train", "n_val", "imgsz"), [(0, 1, 320), (1, 0, 320), (1, 1, 16)])
def test_write_dataset_rejects_bad_sizes(tmp_path, n_train, n_val, imgsz):
    with pytest.raises(ValueError, match="need"):
        write_dataset(tmp_path, n_train, n_val, 0, imgsz)


def test_demo_script_has_uncovered_and_stopping_trucks():
    actors = demo_actors(7)
    trucks = [a for a in actors if a.obj.kind == "truck"]
    assert any(a.obj.load == "uncovered" for a in trucks)
    stopping = [a for a in trucks if any(t1 - t0 >= 5 for t0, t1 in a.stops())]
    assert len(stopping) == 1
    street = DemoStreet.build(7, 640, 360)
    t0, t1 = stopping[0].stops()[0]
    _, anns = street.frame(0, (t0 + t1) / 2)
    box = next(a.xyxy_px for a in anns if a.track_id == stopping[0].track_id)
    assert (box[0] + box[2]) / 2 > 640 / 2  # stands in the right part of the frame


def test_render_demo_video_reads_back_with_sidecar(tmp_path):
    path = render_demo_video(
        tmp_path / "demo.mp4", seconds=1.0, fps=5, seed=7, width=320, height=180
    )
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == 5
    assert frames[0].shape == (180, 320, 3)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert len(sidecar["frames"]) == 5
    assert sidecar["class_names"] == list(CLASS_NAMES)
    ids = {o["track_id"] for f in sidecar["frames"] for o in f["objects"]}
    assert ids <= {int(k) for k in sidecar["tracks"]}
    assert ids, "the first second shows tracked objects"


@pytest.mark.parametrize(("seconds", "fps"), [(0, 10), (5, 0)])
def test_render_demo_video_rejects_bad_timing(tmp_path, seconds, fps):
    with pytest.raises(ValueError, match="positive"):
        render_demo_video(tmp_path / "x.mp4", seconds=seconds, fps=fps)
