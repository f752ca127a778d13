"""Compose a street scene from a seed: background, objects, camera effects and exact labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.synth.background import Canvas, StreetLayout, render_background, sample_layout
from detectors.synth.camera import StreetCamera, sample_camera
from detectors.synth.objects import LOADS, RUBBLE, BoxPx, SceneObject, draw_object

Image = npt.NDArray[np.uint8]
MIN_SIDE_PX = 5.0
MIN_VISIBLE_FRACTION = 0.35
MAX_OCCLUDED_FRACTION = 0.7
PAINT = (
    (40.0, 40.0, 170.0), (200.0, 200.0, 200.0), (30.0, 30.0, 30.0), (150.0, 90.0, 30.0),
    (40.0, 150.0, 220.0), (90.0, 90.0, 90.0), (30.0, 120.0, 40.0), (230.0, 230.0, 230.0),
)  # fmt: skip


@dataclass(frozen=True)
class Annotation:
    """Ground truth for one visible object (pixel box clipped to the image)."""

    class_name: str
    xyxy_px: BoxPx
    load: str | None = None
    track_id: int = -1


@dataclass(frozen=True)
class Effects:
    """Photometric camera effects applied to a rendered frame."""

    gain: float = 1.0
    cast: tuple[float, float, float] = (1.0, 1.0, 1.0)
    blur_sigma_px: float = 0.0
    noise_sigma: float = 3.0
    jpeg_quality: int = 85


def sample_effects(rng: np.random.Generator) -> Effects:
    """Random lighting (dusk to noon), colour cast, focus blur, sensor noise and compression."""
    return Effects(
        gain=float(rng.uniform(0.5, 1.25)),
        cast=(float(rng.uniform(0.85, 1.15)), 1.0, float(rng.uniform(0.85, 1.15))),
        blur_sigma_px=float(rng.choice([0.0, rng.uniform(0.3, 1.4)])),
        noise_sigma=float(rng.uniform(1.0, 8.0)),
        jpeg_quality=int(rng.integers(35, 96)),
    )


def apply_effects(img: Canvas, fx: Effects, rng: np.random.Generator) -> Image:
    """Turn a float canvas into a camera-looking uint8 BGR frame."""
    out = np.asarray(img * fx.gain * np.asarray(fx.cast, dtype=np.float32), dtype=np.float32)
    if fx.blur_sigma_px > 0.05:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), fx.blur_sigma_px), dtype=np.float32)
    out = out + rng.normal(0, fx.noise_sigma, out.shape[:2])[..., None].astype(np.float32)
    frame = np.clip(out, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, fx.jpeg_quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid array
        return np.asarray(frame, dtype=np.uint8)
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), dtype=np.uint8)


def _vehicle(
    rng: np.random.Generator, lay: StreetLayout, lane: int, z: float, heading: int
) -> SceneObject:
    is_truck = rng.random() < 0.45
    color = PAINT[int(rng.integers(len(PAINT)))]
    x = lay.lane_center_m(lane) + float(rng.normal(0, 0.25))
    if is_truck:
        load = LOADS[int(rng.integers(2))]
        length = float(rng.uniform(7.0, 9.5))
        return SceneObject("truck", x, z, heading, color, load, length, int(rng.integers(2**31)))
    return SceneObject(
        "car", x, z, heading, color, None, float(rng.uniform(3.9, 4.9)), int(rng.integers(2**31))
    )


def sample_objects(
    rng: np.random.Generator, cam: StreetCamera, lay: StreetLayout
) -> list[SceneObject]:
    """Vehicles in lanes (left half one way, right half the other), debris and pedestrians."""
    objs: list[SceneObject] = []
    z_min = cam.near_depth_m * 0.85
    for lane in range(lay.lanes):
        heading = -1 if lane < lay.lanes / 2 else 1
        z = z_min + float(rng.uniform(-2, 12))
        while z < 70:
            vehicle = _vehicle(rng, lay, lane, z, heading)
            if rng.random() < 0.75:
                objs.append(vehicle)
            z += vehicle.length_m + float(rng.uniform(4, 22))
    for _ in range(int(rng.choice([0, 0, 1, 1, 2, 3]))):
        size = float(rng.uniform(0.8, 2.8))
        x = lay.center_x_m + float(rng.uniform(-1, 1)) * lay.half_width_m * 0.9
        color = RUBBLE[int(rng.integers(len(RUBBLE)))]
        objs.append(
            SceneObject(
                "debris",
                x,
                float(rng.uniform(z_min, 40)),
                0,
                color,
                None,
                size,
                int(rng.integers(2**31)),
            )
        )
    for _ in range(int(rng.integers(0, 5))):
        side = float(rng.choice([-1.0, 1.0]))
        x = lay.center_x_m + side * (lay.half_width_m + rng.uniform(0.5, lay.pavement_m))
        if rng.random() < 0.2:
            x = lay.center_x_m + float(rng.uniform(-1, 1)) * lay.half_width_m
        color = PAINT[int(rng.integers(len(PAINT)))]
        objs.append(
            SceneObject(
                "person",
                x,
                float(rng.uniform(z_min + 1, 35)),
                0,
                color,
                None,
                0.5,
                int(rng.integers(2**31)),
            )
        )
    return objs


def _overlap_fraction(box: BoxPx, other: BoxPx) -> float:
    w = max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
    h = max(0.0, min(box[3], other[3]) - max(box[1], other[1]))
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-6)
    return w * h / area


def _clip(box: BoxPx, width: int, height: int) -> BoxPx:
    return (
        max(box[0], 0.0),
        max(box[1], 0.0),
        min(box[2], float(width)),
        min(box[3], float(height)),
    )


def label_visible(
    drawn: Sequence[tuple[SceneObject, BoxPx, int]], width: int, height: int
) -> list[Annotation]:
    """Keep objects that are large, in frame and not hidden by nearer objects (drawn later)."""
    out: list[Annotation] = []
    for i, (obj, full, track_id) in enumerate(drawn):
        box = _clip(full, width, height)
        bw, bh = box[2] - box[0], box[3] - box[1]
        full_area = max((full[2] - full[0]) * (full[3] - full[1]), 1e-6)
        if bw < MIN_SIDE_PX or bh < MIN_SIDE_PX or bw * bh / full_area < MIN_VISIBLE_FRACTION:
            continue
        if any(
            _overlap_fraction(box, later[1]) > MAX_OCCLUDED_FRACTION for later in drawn[i + 1 :]
        ):
            continue
        out.append(Annotation(obj.kind, box, obj.load, track_id))
    return out


def draw_objects(
    canvas: Canvas,
    cam: StreetCamera,
    objects: Sequence[SceneObject],
    track_ids: Sequence[int] | None = None,
) -> list[Annotation]:
    """Draw far-to-near (painter's order) and return the visible annotations."""
    ids = list(track_ids) if track_ids is not None else [-1] * len(objects)
    order = sorted(range(len(objects)), key=lambda k: -objects[k].z_m)
    drawn = [(objects[k], draw_object(canvas, cam, objects[k]), ids[k]) for k in order]
    return label_visible(drawn, cam.width_px, cam.height_px)


@dataclass(frozen=True)
class StreetScene:
    """A fixed camera over a street, with its static background."""

    camera: StreetCamera
    layout: StreetLayout
    background: Canvas
    effects: Effects


def sample_street(rng: np.random.Generator, width_px: int, height_px: int) -> StreetScene:
    """A random camera, street layout, background and lighting."""
    cam = sample_camera(rng, width_px, height_px)
    lay = sample_layout(rng)
    return StreetScene(cam, lay, render_background(rng, cam, lay), sample_effects(rng))


def render_scene(
    seed: int, width_px: int = 640, height_px: int = 360
) -> tuple[Image, list[Annotation]]:
    """One random street image with its exact labels; deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    street = sample_street(rng, width_px, height_px)
    canvas = street.background.copy()
    anns = draw_objects(canvas, street.camera, sample_objects(rng, street.camera, street.layout))
    return apply_effects(canvas, street.effects, rng), anns
