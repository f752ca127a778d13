"""Per-camera pixel <-> ground homography, fitted in a local metric frame (UTM).

A street camera sees the road plane obliquely; a plane-to-plane homography fitted from >= 4
image/map point pairs maps a box's bottom-centre pixel to the ground. Fitting happens in metres
(local UTM, re-centred on the points for conditioning) so the reprojection error is in metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pyproj import Geod

from gis.datums import Datum, FloatArray, LocalProjection, to_wgs84

MIN_POINTS = 4
DEFAULT_MAX_RMSE_M = 1.0
DEFAULT_RANSAC_THRESHOLD_M = 1.0
_GEOD = Geod(ellps="WGS84")
_COLLINEAR_RATIO = 0.01  # smallest / largest singular value of the centred points


class CalibrationError(ValueError):
    """The point pairs cannot give a trustworthy homography."""


def _as_points(values: Sequence[Sequence[float]] | FloatArray, what: str) -> FloatArray:
    pts = np.asarray(values, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise CalibrationError(f"{what} must be an (N, 2) array, got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise CalibrationError(f"{what} contain NaN or infinite values")
    return pts


def _check_spread(points: FloatArray, what: str) -> None:
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    if singular[0] == 0.0 or singular[-1] / singular[0] < _COLLINEAR_RATIO:
        raise CalibrationError(
            f"{what} are (nearly) collinear or coincident: pick points spread over the ground "
            f"plane, not along one line"
        )


def _check_quad(points: FloatArray, what: str) -> None:
    """With exactly four pairs, any three collinear points make the homography degenerate."""
    if len(points) != MIN_POINTS:
        return
    scale = float(np.ptp(points, axis=0).max()) or 1.0
    for skip in range(MIN_POINTS):
        a, b, c = np.delete(points, skip, axis=0) / scale
        cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        if abs(cross) < 2 * _COLLINEAR_RATIO**2:
            raise CalibrationError(f"three of the four {what} are collinear: add or move points")


def _apply_h(matrix: FloatArray, points: FloatArray) -> FloatArray:
    """Apply a homography; points mapping to the line at infinity (or behind it) become NaN."""
    homog = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    w = homog[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = homog[:, :2] / w[:, None]
    out[np.abs(w) < 1e-12] = np.nan
    return out


@dataclass(frozen=True)
class CameraCalibration:
    """Pixel <-> WGS84 ground mapping of one camera.

    ``matrix`` maps homogeneous pixels to metres in ``epsg`` (absolute UTM coordinates).
    """

    pixel_points: FloatArray
    world_points: FloatArray  # WGS84 lon, lat
    matrix: FloatArray
    epsg: int
    rmse_m: float
    inliers: npt.NDArray[np.bool_]

    @classmethod
    def fit(
        cls,
        pixel_points: Sequence[Sequence[float]] | FloatArray,
        world_points: Sequence[Sequence[float]] | FloatArray,
        *,
        datum: Datum = Datum.WGS84,
        max_rmse_m: float = DEFAULT_MAX_RMSE_M,
        ransac_threshold_m: float = DEFAULT_RANSAC_THRESHOLD_M,
    ) -> CameraCalibration:
        """Fit from N >= 4 pixel (x, y) <-> (lon, lat) pairs; outliers are dropped by RANSAC."""
        px = _as_points(pixel_points, "pixel points")
        world = _as_points(world_points, "world points")
        if len(px) != len(world):
            raise CalibrationError(f"{len(px)} pixel points but {len(world)} world points")
        if len(px) < MIN_POINTS:
            raise CalibrationError(f"need at least {MIN_POINTS} point pairs, got {len(px)}")
        lon, lat = to_wgs84(world[:, 0], world[:, 1], datum)
        world_wgs = np.column_stack([lon, lat])
        proj = LocalProjection.around(lon, lat)
        metres = np.column_stack(proj.to_metres(lon, lat))
        _check_spread(px, "pixel points")
        _check_spread(metres, "world points")
        _check_quad(px, "pixel points")
        _check_quad(metres, "world points")
        origin = metres.mean(axis=0)
        matrix, inliers = _fit_local(px, metres - origin, ransac_threshold_m)
        shift = np.array([[1.0, 0.0, origin[0]], [0.0, 1.0, origin[1]], [0.0, 0.0, 1.0]])
        absolute = shift @ matrix
        absolute /= absolute[2, 2]
        residual = _apply_h(absolute, px[inliers]) - metres[inliers]
        rmse = float(np.sqrt(np.mean(np.sum(residual**2, axis=1))))
        if not np.isfinite(rmse) or rmse > max_rmse_m:
            raise CalibrationError(
                f"reprojection RMSE {rmse:.2f} m exceeds {max_rmse_m:.2f} m: check the point "
                f"pairs (same order? same datum? points on the road plane?)"
            )
        return cls(px, world_wgs, absolute, proj.epsg, rmse, inliers)

    @property
    def projection(self) -> LocalProjection:
        """The metric frame of the homography."""
        return LocalProjection(self.epsg)

    def pixels_to_metres(self, pixels_px: Sequence[Sequence[float]] | FloatArray) -> FloatArray:
        """Pixels (N, 2) -> projected metres (N, 2); NaN above the horizon."""
        px = np.atleast_2d(np.asarray(pixels_px, dtype=np.float64))
        return _apply_h(self.matrix, px)

    def to_ground(
        self, pixels_px: Sequence[Sequence[float]] | Sequence[float] | FloatArray
    ) -> FloatArray:
        """Pixels -> WGS84 (lon, lat). One (x, y) gives shape (2,), N pixels give (N, 2)."""
        single = np.ndim(pixels_px) == 1
        metres = self.pixels_to_metres(pixels_px)  # type: ignore[arg-type]
        lon, lat = self.projection.to_lonlat(metres[:, 0], metres[:, 1])
        out = np.column_stack([lon, lat])
        return out[0] if single else out

    def to_image(self, lon: float | FloatArray, lat: float | FloatArray) -> FloatArray:
        """WGS84 lon/lat -> pixels: shape (2,) for scalars, (N, 2) for arrays."""
        single = np.ndim(lon) == 0
        x, y = self.projection.to_metres(np.atleast_1d(lon), np.atleast_1d(lat))
        inverse = np.asarray(np.linalg.inv(self.matrix), dtype=np.float64)
        px = _apply_h(inverse, np.column_stack([x, y]))
        return px[0] if single else px

    def ground_distance_m(
        self, anchor_a_px: Sequence[float] | FloatArray, anchor_b_px: Sequence[float] | FloatArray
    ) -> float:
        """Ground (geodesic) distance in metres between two pixel anchors, NaN above horizon."""
        lonlat = self.to_ground(np.vstack([anchor_a_px, anchor_b_px]))
        _, _, dist = _GEOD.inv(lonlat[0, 0], lonlat[0, 1], lonlat[1, 0], lonlat[1, 1])
        return float(dist)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation."""
        return {
            "pixel_points": self.pixel_points.tolist(),
            "world_points": self.world_points.tolist(),
            "world_datum": Datum.WGS84.value,
            "matrix": self.matrix.tolist(),
            "epsg": self.epsg,
            "rmse_m": self.rmse_m,
            "inliers": self.inliers.astype(bool).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CameraCalibration:
        """Inverse of :meth:`to_dict`; validates shapes."""
        try:
            matrix = np.asarray(data["matrix"], dtype=np.float64)
            px = _as_points(data["pixel_points"], "pixel points")
            world = _as_points(data["world_points"], "world points")
            epsg, rmse = int(data["epsg"]), float(data["rmse_m"])
            inliers = np.asarray(data.get("inliers", [True] * len(px)), dtype=bool)
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"invalid calibration data: {exc}") from exc
        if matrix.shape != (3, 3) or abs(np.linalg.det(matrix)) < 1e-15:
            raise CalibrationError("calibration matrix must be an invertible 3x3 matrix")
        return cls(px, world, matrix, epsg, rmse, inliers)


def _fit_local(
    px: FloatArray, local_m: FloatArray, threshold_m: float
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    method = cv2.RANSAC if len(px) > MIN_POINTS else 0
    matrix, mask = cv2.findHomography(px, local_m, method, threshold_m)
    if matrix is None:
        raise CalibrationError("no homography fits these points (degenerate configuration)")
    inliers = mask.ravel().astype(bool) if mask is not None else np.ones(len(px), dtype=bool)
    # Any 4 pairs fit exactly, so with more pairs at least one must confirm the fit,
    # and most of them must agree.
    needed = MIN_POINTS if len(px) == MIN_POINTS else max(MIN_POINTS + 1, -(-len(px) // 2))
    if inliers.sum() < needed:
        raise CalibrationError(
            f"only {int(inliers.sum())} of {len(px)} pairs agree within {threshold_m} m; "
            f"need {needed}: check the pairing order and the datum"
        )
    return np.asarray(matrix, dtype=np.float64), inliers
