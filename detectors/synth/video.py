"""A fixed street camera with muck trucks (one stopping, some uncovered) and ground truth."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from detectors.synth.background import StreetLayout, render_background
from detectors.synth.camera import StreetCamera
from detectors.synth.objects import CLASS_NAMES, RUBBLE, SceneObject
from detectors.synth.scene import Annotation, Effects, Image, apply_effects, draw_objects

logger = logging.getLogger(__name__)
Keys = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Actor:
    """An object following keyframes ``(t_s, z_m)`` (linear in between); absent outside them."""

    track_id: int
    obj: SceneObject
    keys: Keys

    def at(self, t_s: float) -> SceneObject | None:
        """The object at time ``t_s`` or None when it is not in the scene."""
        times = [k[0] for k in self.keys]
        if t_s < times[0] or t_s > times[-1]:
            return None
        z = float(np.interp(t_s, times, [k[1] for k in self.keys]))
        return self.obj.moved(z - self.obj.z_m)

    def stops(self) -> list[tuple[float, float]]:
        """Intervals ``(t0, t1)`` during which the actor stands still."""
        return [
            (a[0], b[0]) for a, b in zip(self.keys, self.keys[1:], strict=False) if a[1] == b[1]
        ]


def demo_camera(width_px: int, height_px: int) -> StreetCamera:
    """The demo's pole camera: left of a four-lane road, looking down it."""
    return StreetCamera(
        width_px, height_px, 0.75 * width_px, 0.22 * height_px, 0.38 * width_px, 7.0
    )


DEMO_EFFECTS = Effects(gain=1.0, blur_sigma_px=0.4, noise_sigma=3.0, jpeg_quality=80)
DEMO_LAYOUT = StreetLayout(center_x_m=2.0, lanes=4, lane_width_m=3.5, pavement_m=4.0)


def demo_actors(seed: int) -> list[Actor]:
    """The scripted cast; lanes 0-1 approach the camera, lanes 2-3 drive away."""
    lay, rng = DEMO_LAYOUT, np.random.default_rng(seed)

    def obj(
        kind: str,
        lane: float,
        heading: int,
        color: tuple[float, float, float],
        load: str | None,
        length: float,
    ) -> SceneObject:
        x = lay.lane_center_m(int(lane)) if lane >= 0 else lay.center_x_m + lay.half_width_m + 2.5
        return SceneObject(kind, x, 0.0, heading, color, load, length, int(rng.integers(2**31)))

    orange, green, white, red, grey, blue = (
        (30.0, 120.0, 230.0),
        (40.0, 130.0, 40.0),
        (225.0, 225.0, 225.0),
        (40.0, 40.0, 180.0),
        (90.0, 90.0, 90.0),
        (150.0, 90.0, 30.0),
    )
    return [
        Actor(1, obj("truck", 1, -1, orange, "uncovered", 8.5), ((0.0, 95.0), (11.0, 6.0))),
        Actor(
            2,
            obj("truck", 3, 1, green, "uncovered", 8.5),
            ((0.5, 6.0), (3.5, 17.0), (13.0, 17.0), (19.9, 70.0)),
        ),
        Actor(3, obj("truck", 2, 1, blue, "covered", 8.0), ((6.0, 5.0), (16.0, 90.0))),
        Actor(4, obj("truck", 0, -1, white, "covered", 8.0), ((9.0, 100.0), (19.9, 10.0))),
        Actor(5, obj("car", 0, -1, red, None, 4.5), ((0.0, 40.0), (3.5, 8.0))),
        Actor(6, obj("car", 2, 1, white, None, 4.4), ((1.0, 8.0), (9.0, 95.0))),
        Actor(7, obj("car", 1, -1, grey, None, 4.6), ((12.0, 90.0), (19.9, 14.0))),
        Actor(8, obj("car", 2, 1, red, None, 4.3), ((14.0, 6.0), (19.9, 55.0))),
        Actor(9, obj("person", -1, 0, blue, None, 0.5), ((0.0, 30.0), (19.9, 16.0))),
        Actor(10, obj("debris", 3, 0, RUBBLE[0], None, 2.2), ((13.5, 16.0), (19.9, 16.0))),
    ]


def _frame_record(index: int, t_s: float, anns: Sequence[Any]) -> dict[str, Any]:
    objects = [
        {
            "track_id": a.track_id,
            "class": a.class_name,
            "xyxy_px": [round(v, 1) for v in a.xyxy_px],
            "load": a.load,
        }
        for a in anns
    ]
    return {"index": index, "t_s": round(t_s, 3), "objects": objects}


def _check_readable(path: Path, frames: int) -> None:
    cap = cv2.VideoCapture(str(path))
    try:
        ok, first = cap.read()
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    if not ok or first is None or count < frames * 0.9:
        raise RuntimeError(
            f"{path} is not readable back with OpenCV (read={ok}, frames={count}/{frames})"
        )


@dataclass(frozen=True)
class DemoStreet:
    """The demo camera, its static background and the scripted actors."""

    camera: StreetCamera
    background: npt.NDArray[np.float32]
    actors: tuple[Actor, ...]
    seed: int
    effects: Effects = DEMO_EFFECTS

    @classmethod
    def build(cls, seed: int = 7, width: int = 640, height: int = 360) -> DemoStreet:
        """Render the background once for a ``width`` x ``height`` camera."""
        cam = demo_camera(width, height)
        background = render_background(np.random.default_rng(seed), cam, DEMO_LAYOUT)
        return cls(cam, background, tuple(demo_actors(seed)), seed)

    def frame(self, index: int, t_s: float) -> tuple[Image, list[Annotation]]:
        """The frame at ``t_s`` (noise seeded by ``index``) with its visible annotations."""
        present = [(a.track_id, o) for a in self.actors if (o := a.at(t_s)) is not None]
        canvas = self.background.copy()
        anns = draw_objects(canvas, self.camera, [o for _, o in present], [k for k, _ in present])
        noise_rng = np.random.default_rng(self.seed * 100_003 + index)
        return apply_effects(canvas, self.effects, noise_rng), anns


def render_demo_video(
    path: Path,
    *,
    seconds: float = 20.0,
    fps: int = 10,
    seed: int = 7,
    width: int = 640,
    height: int = 360,
) -> Path:
    """Write the demo mp4 (fourcc ``mp4v``) and ``<path>.json`` ground truth; return the path."""
    if seconds <= 0 or fps <= 0:
        raise ValueError("seconds and fps must be positive")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    street = DemoStreet.build(seed, width, height)
    n_frames = round(seconds * fps)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter.fourcc(*"mp4v"), float(fps), (width, height)
    )
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write mp4v video to {path}")
    records = []
    try:
        for i in range(n_frames):
            img, anns = street.frame(i, i / fps)
            writer.write(img)
            records.append(_frame_record(i, i / fps, anns))
    finally:
        writer.release()
    _check_readable(path, n_frames)
    tracks = {
        str(a.track_id): {"class": a.obj.kind, "load": a.obj.load, "stops_s": a.stops()}
        for a in street.actors
    }
    sidecar = {
        "video": path.name, "fps": fps, "width": width, "height": height, "seed": seed,
        "class_names": list(CLASS_NAMES), "tracks": tracks, "frames": records,
    }  # fmt: skip
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    logger.info("demo video %s: %d frames", path, n_frames)
    return path
