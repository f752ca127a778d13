"""Static street background: sky, buildings, trees, pavement, kerbs, asphalt and lane markings."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.synth.camera import StreetCamera

Canvas = npt.NDArray[np.float32]
FAR_M = 400.0


@dataclass(frozen=True)
class StreetLayout:
    """Where the road is, in world metres (the camera stands at x = 0)."""

    center_x_m: float
    lanes: int
    lane_width_m: float
    pavement_m: float

    @property
    def half_width_m(self) -> float:
        """Half the carriageway width."""
        return self.lanes * self.lane_width_m / 2

    def lane_center_m(self, lane: int) -> float:
        """World x of the centre of lane ``lane`` (0 = leftmost)."""
        return self.center_x_m - self.half_width_m + (lane + 0.5) * self.lane_width_m


def sample_layout(rng: np.random.Generator) -> StreetLayout:
    """A random two- to four-lane street."""
    lanes = int(rng.integers(2, 5))
    lane_w = float(rng.uniform(3.2, 3.8))
    offset = float(rng.uniform(0.0, 5.0)) * float(rng.choice([-1.0, 1.0]))
    return StreetLayout(offset, lanes, lane_w, float(rng.uniform(2.5, 5.0)))


def noise_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> Canvas:
    """Smooth noise in [-1, 1] of ``shape`` built from a ``cells``-wide random grid."""
    h, w = shape
    small = rng.uniform(-1, 1, (max(2, cells * h // max(w, 1)), cells)).astype(np.float32)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def ground_quad(
    cam: StreetCamera, x1_m: float, x2_m: float, z1_m: float, z2_m: float
) -> npt.NDArray[np.int32]:
    """Pixel polygon of the ground rectangle x1..x2, z1..z2."""
    pts = np.array([[x1_m, 0, z1_m], [x2_m, 0, z1_m], [x2_m, 0, z2_m], [x1_m, 0, z2_m]])
    return np.round(cam.project(pts)).astype(np.int32)


def _fill(img: Canvas, poly: npt.NDArray[np.int32], color: npt.ArrayLike) -> None:
    cv2.fillPoly(img, [poly], tuple(float(c) for c in np.asarray(color).ravel()))


def _sky_and_ground(rng: np.random.Generator, cam: StreetCamera) -> Canvas:
    h, w = cam.height_px, cam.width_px
    img = np.empty((h, w, 3), dtype=np.float32)
    top = rng.uniform([150, 110, 70], [250, 200, 170])
    low = rng.uniform([200, 190, 170], [250, 240, 235])
    hz = max(int(cam.horizon_px), 1)
    t = np.linspace(0, 1, hz, dtype=np.float32)[:, None, None]
    img[:hz] = top * (1 - t) + low * t
    ground = rng.uniform([60, 80, 60], [130, 150, 140])  # grass/soil verge
    img[hz:] = ground
    img[hz:] += 25 * noise_field(rng, (h - hz, w), 24)[..., None]
    return img


def _buildings(rng: np.random.Generator, cam: StreetCamera, lay: StreetLayout, img: Canvas) -> None:
    edge = lay.half_width_m + lay.pavement_m + 1.0
    specs = []
    for side in (-1.0, 1.0):
        z = float(rng.uniform(8, 25))
        while z < 220:
            depth = float(rng.uniform(10, 30))
            x_in = lay.center_x_m + side * (edge + rng.uniform(0, 6))
            specs.append((z, depth, x_in, side, float(rng.uniform(6, 45))))
            z += depth + float(rng.uniform(0, 8))
    for z, depth, x_in, side, height in sorted(specs, key=lambda s: -s[0]):
        _building(rng, cam, img, (z, depth, x_in, side, height))


def _building(
    rng: np.random.Generator,
    cam: StreetCamera,
    img: Canvas,
    spec: tuple[float, float, float, float, float],
) -> None:
    z, depth, x_in, side, height = spec
    color = rng.uniform(70, 220, 3)
    facade = np.array(
        [[x_in, 0, z], [x_in, 0, z + depth], [x_in, height, z + depth], [x_in, height, z]]
    )
    _fill(img, np.round(cam.project(facade)).astype(np.int32), color * 0.85)
    floors = max(1, int(height // 3.2))
    bays = max(1, int(depth // 3.0))
    win = rng.uniform(20, 90, 3)
    for f in range(floors):
        for b in range(bays):
            if rng.random() < 0.15:
                continue
            y0, zz = f * 3.2 + 1.0, z + b * 3.0 + 0.8
            quad = np.array(
                [
                    [x_in, y0, zz],
                    [x_in, y0, zz + 1.4],
                    [x_in, y0 + 1.5, zz + 1.4],
                    [x_in, y0 + 1.5, zz],
                ]
            )
            _fill(img, np.round(cam.project(quad)).astype(np.int32), win + rng.uniform(-15, 15, 3))
    del side


def _trees(rng: np.random.Generator, cam: StreetCamera, lay: StreetLayout, img: Canvas) -> None:
    for side in (-1.0, 1.0):
        x = lay.center_x_m + side * (lay.half_width_m + lay.pavement_m * 0.7)
        for z in sorted(rng.uniform(6, 120, int(rng.integers(0, 9))), reverse=True):
            trunk_h = float(rng.uniform(2.0, 3.5))
            base, top = cam.project(np.array([[x, 0, z], [x, trunk_h, z]]))
            scale = cam.focal_px / z
            thick = max(1, int(0.25 * scale))
            cv2.line(
                img,
                tuple(np.round(base).astype(int)),
                tuple(np.round(top).astype(int)),
                (40, 55, 70),
                thick,
            )
            radius = max(2, int(rng.uniform(1.5, 3.0) * scale))
            green = rng.uniform([20, 70, 20], [70, 140, 80])
            for _ in range(5):
                off = rng.normal(0, radius * 0.35, 2)
                centre = tuple(np.round(top + off - [0, radius * 0.6]).astype(int))
                cv2.circle(
                    img, centre, radius, tuple(float(c) for c in green * rng.uniform(0.8, 1.2)), -1
                )


def _road(rng: np.random.Generator, cam: StreetCamera, lay: StreetLayout, img: Canvas) -> None:
    z0 = cam.near_depth_m * 0.6
    left, right = lay.center_x_m - lay.half_width_m, lay.center_x_m + lay.half_width_m
    pave = rng.uniform(120, 190) * rng.uniform(0.9, 1.1, 3)
    _fill(img, ground_quad(cam, left - lay.pavement_m, left, z0, FAR_M), pave)
    _fill(img, ground_quad(cam, right, right + lay.pavement_m, z0, FAR_M), pave)
    asphalt = rng.uniform(55, 110) * rng.uniform(0.95, 1.05, 3)
    mask = np.zeros(img.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [ground_quad(cam, left, right, z0, FAR_M)], 255)
    tex = 12 * noise_field(rng, img.shape[:2], 60) + rng.normal(0, 4, img.shape[:2]).astype(
        np.float32
    )
    road = (asphalt[None, None, :] + tex[..., None]).astype(np.float32)
    img[mask > 0] = road[mask > 0]
    kerb = rng.uniform(170, 230)
    for x in (left, right):
        _fill(img, ground_quad(cam, x - 0.15, x + 0.15, z0, FAR_M), (kerb, kerb, kerb))
    _lane_marks(rng, cam, lay, img, z0)


def _lane_marks(
    rng: np.random.Generator, cam: StreetCamera, lay: StreetLayout, img: Canvas, z0: float
) -> None:
    paint = rng.uniform(190, 245)
    yellow = rng.random() < 0.4
    for k in range(1, lay.lanes):
        x = lay.center_x_m - lay.half_width_m + k * lay.lane_width_m
        centre = k == lay.lanes // 2 and lay.lanes % 2 == 0
        color = (40.0, 190.0, 220.0) if centre and yellow else (paint, paint, paint)
        if centre:
            _fill(img, ground_quad(cam, x - 0.1, x + 0.1, z0, FAR_M), color)
            continue
        z = z0 - float(rng.uniform(0, 9))
        while z < 150:
            _fill(img, ground_quad(cam, x - 0.08, x + 0.08, max(z, 0.6), z + 3.0), color)
            z += 9.0


def render_background(rng: np.random.Generator, cam: StreetCamera, lay: StreetLayout) -> Canvas:
    """Draw the static scene as float32 BGR in 0..255 (no objects, no camera effects)."""
    img = _sky_and_ground(rng, cam)
    _buildings(rng, cam, lay, img)
    _road(rng, cam, lay, img)
    _trees(rng, cam, lay, img)
    shade = 1.0 + 0.12 * noise_field(rng, img.shape[:2], 4)
    return np.asarray(img * shade[..., None], dtype=np.float32)
