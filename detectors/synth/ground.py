"""Regions on the ground of a synthetic street camera, and their image polygons.

Zones drawn on the image and ground truth scripted in metres must agree, so both start from the
same ground rectangle: the truth tests metres, the scene config gets the rectangle projected
through the camera (clipped to the frame, in relative image coordinates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.synth.background import StreetLayout
from detectors.synth.camera import StreetCamera

GroundPoint = tuple[float, float]
"""(x, z) on the ground in metres: lateral offset and depth from the camera."""


@dataclass(frozen=True)
class GroundRect:
    """An axis-aligned rectangle on the ground: ``x`` lateral, ``z`` depth, in metres."""

    x1_m: float
    x2_m: float
    z1_m: float
    z2_m: float

    def __post_init__(self) -> None:
        if not (self.x1_m < self.x2_m and 0 < self.z1_m < self.z2_m):
            raise ValueError(f"need x1 < x2 and 0 < z1 < z2, got {self}")

    @property
    def corners_m(self) -> tuple[GroundPoint, ...]:
        """Near-left, near-right, far-right, far-left."""
        return (
            (self.x1_m, self.z1_m),
            (self.x2_m, self.z1_m),
            (self.x2_m, self.z2_m),
            (self.x1_m, self.z2_m),
        )

    def contains(self, x_m: float, z_m: float) -> bool:
        """True when (x, z) is inside or on the border."""
        return self.x1_m <= x_m <= self.x2_m and self.z1_m <= z_m <= self.z2_m

    def grown(self, dx_m: float, dz_m: float) -> GroundRect:
        """The rectangle grown by ``dx_m`` sideways and ``dz_m`` in depth (negative: shrunk)."""
        return GroundRect(self.x1_m - dx_m, self.x2_m + dx_m, self.z1_m - dz_m, self.z2_m + dz_m)


def road_rect(cam: StreetCamera, layout: StreetLayout, far_m: float) -> GroundRect:
    """The carriageway from the bottom image row to ``far_m`` down the road."""
    left = layout.center_x_m - layout.half_width_m
    return GroundRect(left, left + 2 * layout.half_width_m, cam.near_depth_m, far_m)


def project_ground(cam: StreetCamera, points_m: Sequence[GroundPoint]) -> list[tuple[float, float]]:
    """Pixels (u, v) of ground points (x, z)."""
    xyz = np.array([[x, 0.0, z] for x, z in points_m], dtype=np.float64).reshape(-1, 3)
    return [(float(u), float(v)) for u, v in cam.project(xyz)]


def image_polygon_rel(cam: StreetCamera, rect: GroundRect) -> list[tuple[float, float]]:
    """``rect`` as seen by ``cam``: clipped to the frame, relative coordinates (x, y in 0..1).

    A ground rectangle in front of the camera projects to a convex quadrilateral, so the clip is
    a convex-convex intersection. Raises ``ValueError`` when the rectangle is out of view.
    """
    w, h = float(cam.width_px), float(cam.height_px)
    quad = np.array(project_ground(cam, rect.corners_m), dtype=np.float32)
    frame = np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]], dtype=np.float32)
    if _signed_area(quad) < 0:  # OpenCV wants both polygons wound the same way
        quad = quad[::-1].copy()
    area, clipped = cv2.intersectConvexConvex(quad, frame)
    if area <= 0 or clipped is None:
        raise ValueError(f"ground rectangle {rect} is not in view")
    points = np.asarray(clipped, dtype=np.float64).reshape(-1, 2)
    rel = np.clip(points / np.array([w, h]), 0.0, 1.0)
    return [(round(float(x), 6), round(float(y), 6)) for x, y in rel]


def _signed_area(poly: npt.NDArray[np.float32]) -> float:
    x, y = poly[:, 0].astype(np.float64), poly[:, 1].astype(np.float64)
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2
