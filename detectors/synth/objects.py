"""Perspective-correct drawings of cars, muck trucks, debris piles and people."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from detectors.synth.background import Canvas
from detectors.synth.camera import StreetCamera

Points = npt.NDArray[np.float64]
BoxPx = tuple[float, float, float, float]

CLASS_NAMES: tuple[str, ...] = ("car", "truck", "debris", "person")
LOADS: tuple[str, ...] = ("covered", "uncovered")
TARPS = ((40.0, 120.0, 45.0), (150.0, 90.0, 30.0), (60.0, 140.0, 90.0), (170.0, 120.0, 60.0))
RUBBLE = ((45.0, 75.0, 115.0), (110.0, 112.0, 115.0), (70.0, 95.0, 125.0), (95.0, 140.0, 170.0))


@dataclass(frozen=True)
class SceneObject:
    """One object on the ground; ``z_m`` is its near end; ``heading`` -1 approaches, +1 recedes."""

    kind: str
    x_m: float
    z_m: float
    heading: int
    color: tuple[float, float, float]
    load: str | None = None
    length_m: float = 4.5
    detail_seed: int = 0

    def moved(self, dz_m: float, dx_m: float = 0.0) -> SceneObject:
        """The same object shifted on the ground."""
        return replace(self, z_m=self.z_m + dz_m, x_m=self.x_m + dx_m)


def _poly(cam: StreetCamera, pts: Points) -> npt.NDArray[np.int32]:
    return np.round(cam.project(pts)).astype(np.int32)


def _fill(img: Canvas, poly: npt.NDArray[np.int32], color: npt.ArrayLike) -> None:
    cv2.fillPoly(img, [poly], tuple(float(c) for c in np.asarray(color, dtype=np.float64).ravel()))


def _fill_textured(
    img: Canvas,
    poly: npt.NDArray[np.int32],
    color: npt.ArrayLike,
    rng: np.random.Generator,
    amp: float,
) -> None:
    x, y, w, h = cv2.boundingRect(poly)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, img.shape[1]), min(y + h, img.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    cv2.fillPoly(mask, [poly - np.array([x0, y0], dtype=np.int32)], 255)
    patch = np.asarray(color, dtype=np.float32) + rng.normal(0, amp, (y1 - y0, x1 - x0, 1)).astype(
        np.float32
    )
    roi = img[y0:y1, x0:x1]
    roi[mask > 0] = patch[mask > 0]


def _box_corners(x_c: float, w: float, y1: float, y2: float, z1: float, z2: float) -> Points:
    xa, xb = x_c - w / 2, x_c + w / 2
    return np.array(
        [[xa, y1, z1], [xb, y1, z1], [xb, y2, z1], [xa, y2, z1],
         [xa, y1, z2], [xb, y1, z2], [xb, y2, z2], [xa, y2, z2]]
    )  # fmt: skip


def draw_box(
    img: Canvas,
    cam: StreetCamera,
    corners: Points,
    color: npt.ArrayLike,
    top: npt.ArrayLike | None = None,
) -> Points:
    """Draw the visible faces of an axis-aligned 3D box; return its projected corners."""
    col = np.asarray(color, dtype=np.float64)
    xa, xb, y2 = corners[0, 0], corners[1, 0], corners[2, 1]
    if xa > 0:
        _fill(img, _poly(cam, corners[[0, 4, 7, 3]]), col * 0.7)
    elif xb < 0:
        _fill(img, _poly(cam, corners[[1, 5, 6, 2]]), col * 0.7)
    if y2 < cam.height_m:
        _fill(img, _poly(cam, corners[[3, 2, 6, 7]]), col * 1.08 if top is None else top)
    _fill(img, _poly(cam, corners[[0, 1, 2, 3]]), col * 0.9)
    return cam.project(corners)


def _shadow(img: Canvas, cam: StreetCamera, x_c: float, w: float, z1: float, z2: float) -> None:
    base = _box_corners(x_c, w * 1.1, 0.0, 0.0, z1 - 0.3, z2 + 0.3)[[0, 1, 5, 4]]
    poly = _poly(cam, base)
    x, y, bw, bh = cv2.boundingRect(poly)
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + bw, img.shape[1]), min(y + bh, img.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    cv2.fillPoly(mask, [poly - np.array([x0, y0], dtype=np.int32)], 255)
    img[y0:y1, x0:x1][mask > 0] *= 0.5


def _extent(points: list[Points]) -> BoxPx:
    allp = np.concatenate(points, axis=0)
    return (
        float(allp[:, 0].min()),
        float(allp[:, 1].min()),
        float(allp[:, 0].max()),
        float(allp[:, 1].max()),
    )


def draw_car(img: Canvas, cam: StreetCamera, obj: SceneObject) -> BoxPx:
    """A saloon: lower body plus a glazed cabin."""
    rng = np.random.default_rng(obj.detail_seed)
    w, length = 1.8, obj.length_m
    z1, z2 = obj.z_m, obj.z_m + length
    _shadow(img, cam, obj.x_m, w, z1, z2)
    pts = [draw_box(img, cam, _box_corners(obj.x_m, w, 0.0, 0.35, z1, z2), (25, 25, 28))]
    pts.append(draw_box(img, cam, _box_corners(obj.x_m, w, 0.3, 0.85, z1, z2), obj.color))
    glass = rng.uniform(30, 70) * np.array([1.1, 1.0, 0.9])
    c1, c2 = z1 + length * rng.uniform(0.2, 0.3), z2 - length * rng.uniform(0.2, 0.3)
    cabin = _box_corners(obj.x_m, w * 0.86, 0.85, rng.uniform(1.35, 1.55), c1, c2)
    pts.append(draw_box(img, cam, cabin, glass, top=np.asarray(obj.color) * 1.05))
    return _extent(pts)


def _load(
    img: Canvas, cam: StreetCamera, obj: SceneObject, body: Points, rng: np.random.Generator
) -> Points:
    """Tarp or rubble on top of the dump body; return extra projected points (heap)."""
    top = body[[3, 2, 6, 7]]
    if obj.load == "covered":
        tarp = TARPS[int(rng.integers(len(TARPS)))]
        _fill_textured(
            img,
            _poly(cam, top + np.array([0, 0.05, 0])),
            np.asarray(tarp) * rng.uniform(0.8, 1.1),
            rng,
            6,
        )
        return cam.project(top)
    rubble = np.asarray(RUBBLE[int(rng.integers(len(RUBBLE)))]) * rng.uniform(0.8, 1.15)
    _fill_textured(img, _poly(cam, top), rubble * 0.8, rng, 22)
    x_c, z_mid = float(top[:, 0].mean()), float(top[:, 2].mean())
    half_w, half_l = abs(top[1, 0] - top[0, 0]) * 0.45, abs(top[2, 2] - top[1, 2]) * 0.42
    hump = float(top[0, 1] + rng.uniform(0.4, 1.0))
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.stack(
        [x_c + half_w * np.cos(ang), np.full(12, top[0, 1]), z_mid + half_l * np.sin(ang)], 1
    )
    peak = ring.copy()
    peak[:, 1] = hump - rng.uniform(0, 0.3, 12)
    peak[:, 0] = x_c + (ring[:, 0] - x_c) * 0.45
    peak[:, 2] = z_mid + (ring[:, 2] - z_mid) * 0.45
    heap = np.concatenate([cam.project(ring), cam.project(peak)])
    hull = np.asarray(cv2.convexHull(np.round(heap).astype(np.int32)), dtype=np.int32)
    _fill_textured(img, hull.reshape(-1, 2), rubble, rng, 28)
    return heap


def draw_truck(img: Canvas, cam: StreetCamera, obj: SceneObject) -> BoxPx:
    """A muck truck: chassis, cab and dump body with a covered or uncovered load."""
    rng = np.random.default_rng(obj.detail_seed)
    w, length, cab_l = 2.5, obj.length_m, 2.3
    z1, z2 = obj.z_m, obj.z_m + length
    _shadow(img, cam, obj.x_m, w, z1, z2)
    cab_near = obj.heading < 0
    cab_z = (z1, z1 + cab_l) if cab_near else (z2 - cab_l, z2)
    body_z = (z1 + cab_l + 0.2, z2) if cab_near else (z1, z2 - cab_l - 0.2)
    body_color = np.asarray(obj.color) if rng.random() < 0.6 else rng.uniform(40, 200, 3)
    body_h = float(rng.uniform(2.5, 3.0))

    def draw_cab() -> Points:
        cab = _box_corners(obj.x_m, w, 0.5, 3.0, *cab_z)
        p = draw_box(img, cam, cab, obj.color)
        if cab_near:
            wind = np.array(
                [
                    [obj.x_m - 1.1, 1.9, z1],
                    [obj.x_m + 1.1, 1.9, z1],
                    [obj.x_m + 1.1, 2.8, z1],
                    [obj.x_m - 1.1, 2.8, z1],
                ]
            )
            _fill(img, _poly(cam, wind), (60, 50, 40))
        return p

    def draw_body() -> list[Points]:
        body = _box_corners(obj.x_m, w, 1.1, body_h, *body_z)
        p = draw_box(img, cam, body, body_color)
        return [p, _load(img, cam, obj, body, rng)]

    pts = [draw_box(img, cam, _box_corners(obj.x_m, w * 0.95, 0.0, 1.1, z1, z2), (30, 30, 32))]
    if cab_near:
        pts += draw_body()
        pts.append(draw_cab())
    else:
        pts.append(draw_cab())
        pts += draw_body()
    return _extent(pts)


def draw_person(img: Canvas, cam: StreetCamera, obj: SceneObject) -> BoxPx:
    """A standing or walking pedestrian."""
    rng = np.random.default_rng(obj.detail_seed)
    height = float(rng.uniform(1.55, 1.9))
    feet, hip, shoulder, head = cam.project(
        np.array(
            [
                [obj.x_m, 0, obj.z_m],
                [obj.x_m, height * 0.5, obj.z_m],
                [obj.x_m, height * 0.8, obj.z_m],
                [obj.x_m, height * 0.93, obj.z_m],
            ]
        )
    )
    scale = cam.focal_px / max(obj.z_m, 0.5)
    half = 0.2 * scale
    leg = max(1, int(0.12 * scale))
    trousers = tuple(float(c) for c in rng.uniform(20, 90, 3))
    for dx in (-0.5, 0.5):
        foot = (int(feet[0] + dx * half * rng.uniform(0.4, 1.2)), int(feet[1]))
        cv2.line(img, foot, (int(hip[0] + dx * half * 0.4), int(hip[1])), trousers, leg)
    torso = np.array(
        [
            [hip[0] - half * 0.8, hip[1]],
            [hip[0] + half * 0.8, hip[1]],
            [shoulder[0] + half, shoulder[1]],
            [shoulder[0] - half, shoulder[1]],
        ]
    )
    _fill(img, np.round(torso).astype(np.int32), obj.color)
    r = max(1, int(0.11 * scale))
    skin = tuple(float(c) for c in rng.uniform([60, 100, 140], [150, 180, 220]))
    cv2.circle(img, (int(head[0]), int(head[1])), r, skin, -1)
    cv2.circle(
        img, (int(head[0]), int(head[1] - r * 0.4)), r, (25, 25, 30), -1
    ) if rng.random() < 0.6 else None
    return (
        float(feet[0] - half * 1.1),
        float(head[1] - r),
        float(feet[0] + half * 1.1),
        float(feet[1]),
    )


def draw_debris(img: Canvas, cam: StreetCamera, obj: SceneObject) -> BoxPx:
    """An irregular pile of soil or rubble lying on the road."""
    rng = np.random.default_rng(obj.detail_seed)
    n = 10
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = obj.length_m / 2 * rng.uniform(0.6, 1.15, n)
    cz = obj.z_m + obj.length_m / 2
    base = np.stack([obj.x_m + radius * np.cos(ang), np.zeros(n), cz + radius * np.sin(ang)], 1)
    top = base * [1, 0, 1] * 0.45 + [obj.x_m * 0.55, 0, cz * 0.55]
    top[:, 1] = rng.uniform(0.1, 0.45) * rng.uniform(0.6, 1.0, n)
    color = np.asarray(obj.color)
    base_px, top_px = cam.project(base), cam.project(top)
    _fill_textured(img, np.round(base_px).astype(np.int32), color * 0.75, rng, 18)
    hull = np.asarray(cv2.convexHull(np.round(top_px).astype(np.int32)), dtype=np.int32).reshape(
        -1, 2
    )
    _fill_textured(img, hull, color, rng, 25)
    return _extent([base_px, top_px])


DRAWERS = {"car": draw_car, "truck": draw_truck, "person": draw_person, "debris": draw_debris}


def draw_object(img: Canvas, cam: StreetCamera, obj: SceneObject) -> BoxPx:
    """Draw ``obj`` onto ``img``; return its full (unclipped) pixel box."""
    return DRAWERS[obj.kind](img, cam, obj)
