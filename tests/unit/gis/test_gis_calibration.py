"""Camera homography: exact recovery, refusals, RANSAC outlier rejection, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Geod

from gis.calibration import CalibrationError, CameraCalibration
from gis.datums import Datum, LocalProjection, convert, haversine_m

# A plausible oblique street camera: pixels (1920x1080) -> local metres around a Shenzhen point.
H_TRUE = np.array([[0.05, 0.01, -20.0], [0.002, -0.08, 60.0], [0.00001, 0.0004, 1.0]])
ORIGIN_LONLAT = (114.05, 22.54)
PIXELS = np.array(
    [[100, 700], [1800, 720], [1500, 300], [400, 320], [960, 500], [200, 1000], [1700, 1050]],
    dtype=float,
)


def world_of(pixels: np.ndarray) -> np.ndarray:
    """Ground truth lon/lat of pixels under H_TRUE."""
    homog = np.column_stack([pixels, np.ones(len(pixels))]) @ H_TRUE.T
    local = homog[:, :2] / homog[:, 2:]
    proj = LocalProjection(32650)
    x0, y0 = proj.to_metres(*ORIGIN_LONLAT)
    lon, lat = proj.to_lonlat(local[:, 0] + x0, local[:, 1] + y0)
    return np.column_stack([lon, lat])


@pytest.mark.parametrize("n_points", [4, 5, 7])
def test_exact_homography_recovers_points_within_cm(n_points):
    world = world_of(PIXELS)
    cal = CameraCalibration.fit(PIXELS[:n_points], world[:n_points])
    assert cal.rmse_m < 0.01
    assert cal.epsg == 32650
    probe_px = np.array([[300.0, 600.0], [1200.0, 900.0], [900.0, 400.0]])
    got = cal.to_ground(probe_px)
    want = world_of(probe_px)
    assert np.max(haversine_m(got[:, 0], got[:, 1], want[:, 0], want[:, 1])) < 0.01
    back = cal.to_image(want[:, 0], want[:, 1])
    np.testing.assert_allclose(back, probe_px, atol=0.05)


def test_scalar_forms_and_ground_distance():
    world = world_of(PIXELS)
    cal = CameraCalibration.fit(PIXELS, world)
    one = cal.to_ground([960.0, 500.0])
    assert one.shape == (2,)
    assert cal.to_image(float(one[0]), float(one[1])).shape == (2,)
    _, _, expected = Geod(ellps="WGS84").inv(*world[0], *world[1])
    # UTM grid distance would be ~0.2 % too long this far from the central meridian.
    assert cal.ground_distance_m(PIXELS[0], PIXELS[1]) == pytest.approx(expected, rel=1e-5)
    assert cal.ground_distance_m(PIXELS[0], PIXELS[0]) == pytest.approx(0.0, abs=1e-6)


def test_gcj_world_points_are_converted():
    world = world_of(PIXELS)
    g_lon, g_lat = convert(world[:, 0], world[:, 1], Datum.WGS84, Datum.GCJ02)
    cal = CameraCalibration.fit(PIXELS, np.column_stack([g_lon, g_lat]), datum=Datum.GCJ02)
    np.testing.assert_allclose(cal.world_points, world, atol=1e-8)
    assert cal.rmse_m < 0.01


def test_ransac_drops_a_gross_outlier():
    world = world_of(PIXELS)
    noisy = world.copy()
    noisy[2] += (0.001, 0.001)  # ~150 m off
    cal = CameraCalibration.fit(PIXELS, noisy, ransac_threshold_m=0.5)
    assert not cal.inliers[2]
    assert cal.inliers.sum() == len(PIXELS) - 1
    assert cal.rmse_m < 0.01


def _collinear_px() -> np.ndarray:
    return np.array([[0, 0], [100, 100], [200, 200], [300, 300], [400, 400]], dtype=float)


@pytest.mark.parametrize(
    ("pixels", "world", "message"),
    [
        (PIXELS[:3], world_of(PIXELS[:3]), "at least 4"),
        (PIXELS, world_of(PIXELS)[:-1], "pixel points but"),
        (_collinear_px(), world_of(PIXELS[:5]), "collinear"),
        (PIXELS[:5], np.repeat(world_of(PIXELS[:1]), 5, axis=0), "collinear"),
        (
            np.array([[0, 0], [100, 0], [200, 0], [50, 300]], dtype=float),
            world_of(PIXELS[:4]),
            "three of the four",
        ),
        (PIXELS[:, :1], world_of(PIXELS), r"\(N, 2\)"),
        (np.vstack([PIXELS[:4], [[np.nan, 1.0]]]), world_of(PIXELS[:5]), "NaN"),
        # Shuffled correspondences: a homography exists for 4 of them at most, RMSE explodes.
        (PIXELS, world_of(PIXELS)[[3, 0, 6, 1, 5, 2, 4]], "RMSE|agree"),
    ],
)
def test_bad_fits_are_refused(pixels, world, message):
    with pytest.raises(CalibrationError, match=message):
        CameraCalibration.fit(pixels, world, ransac_threshold_m=0.5)


def test_noisy_points_over_threshold_are_refused():
    rng = np.random.default_rng(3)
    world = world_of(PIXELS) + rng.normal(0, 2e-5, (len(PIXELS), 2))  # ~2 m noise
    with pytest.raises(CalibrationError, match="RMSE"):
        CameraCalibration.fit(PIXELS, world, max_rmse_m=0.2, ransac_threshold_m=50.0)


def test_json_round_trip():
    cal = CameraCalibration.fit(PIXELS, world_of(PIXELS))
    data = json.loads(json.dumps(cal.to_dict()))
    again = CameraCalibration.from_dict(data)
    np.testing.assert_allclose(again.matrix, cal.matrix)
    assert again.epsg == cal.epsg
    np.testing.assert_allclose(again.to_ground(PIXELS), cal.to_ground(PIXELS))


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {
            "matrix": [[1, 0], [0, 1]],
            "pixel_points": [],
            "world_points": [],
            "epsg": 1,
            "rmse_m": 0,
        },
        {
            "matrix": [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
            "pixel_points": [[0, 0]],
            "world_points": [[0, 0]],
            "epsg": 32650,
            "rmse_m": 0,
        },
    ],
)
def test_from_dict_rejects_broken_data(broken):
    with pytest.raises(CalibrationError):
        CameraCalibration.from_dict(broken)
