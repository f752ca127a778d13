"""A fixed pinhole camera over a flat street, looking down the road at an oblique angle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StreetCamera:
    """Ground-plane projection: world x (lateral, m), y (height, m), z (depth from camera, m).

    The road runs along +z; ``vanish_x_px`` off the image centre makes the view oblique.
    """

    width_px: int
    height_px: int
    focal_px: float
    horizon_px: float
    vanish_x_px: float
    height_m: float

    def project(self, xyz_m: FloatArray) -> FloatArray:
        """Project (N, 3) world points to (N, 2) pixels; depths are clamped to 0.5 m."""
        pts = np.asarray(xyz_m, dtype=np.float64).reshape(-1, 3)
        z = np.maximum(pts[:, 2], 0.5)
        u = self.vanish_x_px + self.focal_px * pts[:, 0] / z
        v = self.horizon_px + self.focal_px * (self.height_m - pts[:, 1]) / z
        return np.stack([u, v], axis=1)

    def ground_depth_m(self, v_px: float) -> float:
        """Depth of the ground point seen at image row ``v_px`` (below the horizon)."""
        return self.focal_px * self.height_m / max(v_px - self.horizon_px, 1e-3)

    def lateral_m(self, u_px: float, z_m: float) -> float:
        """World x of the ground point at column ``u_px`` and depth ``z_m``."""
        return (u_px - self.vanish_x_px) * z_m / self.focal_px

    @property
    def near_depth_m(self) -> float:
        """Depth of the ground at the bottom image row."""
        return self.ground_depth_m(float(self.height_px))


def sample_camera(rng: np.random.Generator, width_px: int, height_px: int) -> StreetCamera:
    """A random plausible street camera (pole or gantry mount, oblique view)."""
    focal = width_px * rng.uniform(0.75, 1.15)
    horizon = height_px * rng.uniform(0.18, 0.36)
    side = rng.choice([-1.0, 1.0])
    vanish_x = width_px * (0.5 + side * rng.uniform(0.05, 0.3))
    return StreetCamera(
        width_px=width_px,
        height_px=height_px,
        focal_px=float(focal),
        horizon_px=float(horizon),
        vanish_x_px=float(vanish_x),
        height_m=float(rng.uniform(5.0, 9.0)),
    )
