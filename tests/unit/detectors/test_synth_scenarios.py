"""Golden scenario generator: ground regions, truth derived from scripts, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon, box

from detectors.synth.ground import GroundRect, image_polygon_rel, project_ground, road_rect
from detectors.synth.objects import SceneObject
from detectors.synth.scenarios import golden_regions, golden_scenario
from detectors.synth.truth import AmbiguousScriptError, Regulation, expected_events
from detectors.synth.video import DEMO_LAYOUT, Actor, demo_camera

CAM = demo_camera(640, 360)
REGIONS = golden_regions(CAM)
REG = Regulation()
LANE = [DEMO_LAYOUT.lane_center_m(k) for k in range(4)]
KMH = 1 / 3.6
DROP_S = 36.0  # the dumper below stops from 2.8 s to 32.8 s


def _actor(
    tid: int, kind: str, x: float, keys: tuple[tuple[float, float], ...], **kw: str
) -> Actor:
    heading = 0 if kind == "debris" else (1 if keys[-1][1] > keys[0][1] else -1)
    length = {"truck": 8.0, "car": 4.5}.get(kind, 2.0)
    return Actor(
        tid, SceneObject(kind, x, 0.0, heading, (90.0, 90.0, 90.0), kw.get("load"), length), keys
    )


def _receding(tid: int, lane: int, kmh: float, load: str = "covered", kind: str = "truck") -> Actor:
    mps = kmh * KMH
    return _actor(tid, kind, LANE[lane], ((0.0, 5.0), (80.0 / mps, 85.0)), load=load)


def _dumper(stop_s: float, z_stop: float = 16.5, x: float = LANE[3]) -> Actor:
    mps = 15 * KMH
    t_a = (z_stop - 5.0) / mps
    keys = ((0.0, 5.0), (t_a, z_stop), (t_a + stop_s, z_stop), (t_a + stop_s + 10.0, z_stop + 30))
    return _actor(1, "truck", x, keys, load="covered")


def _kinds(actors: list[Actor]) -> list[tuple[str, int]]:
    return sorted((e.kind, e.track_id) for e in expected_events(CAM, actors, REGIONS, REG))


@pytest.mark.parametrize(
    ("actors", "expected"),
    [
        pytest.param([_receding(1, 2, 20)], [("restricted", 1)], id="slow-covered-truck-lane-2"),
        pytest.param(
            [_receding(1, 3, 65, "uncovered")],
            [("restricted", 1), ("speeding", 1), ("uncovered", 1)],
            id="fast-uncovered-truck",
        ),
        pytest.param([_receding(1, 2, 40, kind="car")], [], id="car-in-closed-section"),
        pytest.param(
            [_actor(1, "truck", LANE[1], ((0.0, 95.0), (20.0, 4.0)), load="covered")],
            [],
            id="oncoming-truck-beside-closed-section",
        ),
        pytest.param([_dumper(8.0)], [("restricted", 1)], id="short-stop-no-debris"),
        pytest.param(
            [_dumper(30.0), _actor(2, "debris", LANE[3], ((DROP_S, 17.0), (DROP_S + 9, 17.0)))],
            [("dumping", 1), ("restricted", 1)],  # the pile is dumping, not also spillage
            id="long-stop-then-debris",
        ),
        pytest.param(
            [_actor(2, "debris", LANE[2], ((0.0, 17.5), (30.0, 17.5))), _receding(1, 2, 20)],
            [("restricted", 1)],
            id="debris-before-any-truck",
        ),
    ],
)
def test_truth_from_scripts(actors: list[Actor], expected: list[tuple[str, int]]) -> None:
    assert _kinds(actors) == sorted(expected)


@pytest.mark.parametrize(
    ("actors", "reason"),
    [
        pytest.param([_receding(1, 2, 32)], "not clearly fast", id="speed-near-the-limit"),
        pytest.param([_dumper(20.0)], "stop is borderline", id="stop-as-long-as-the-dwell"),
        pytest.param(
            [_dumper(30.0, z_stop=13.5)], "stop is borderline", id="stop-on-the-no-dump-border"
        ),
        pytest.param(
            [_actor(1, "truck", 1.6, ((0.0, 95.0), (20.0, 4.0)), load="covered")],
            "restricted: track 1 grazes",
            id="truck-grazing-the-closed-section",
        ),
        pytest.param(
            [_receding(1, 2, 20), _actor(2, "debris", LANE[2], ((20.0, 17.5), (30.0, 17.5)))],
            "near a truck path",
            id="debris-long-after-the-truck-but-within-the-rule-window",
        ),
    ],
)
def test_borderline_scripts_are_refused(actors: list[Actor], reason: str) -> None:
    with pytest.raises(AmbiguousScriptError, match=reason):
        expected_events(CAM, actors, REGIONS, REG)


def test_generator_finds_an_unambiguous_script_for_many_seeds() -> None:
    for seed in range(40, 100):
        scenario = golden_scenario(seed)
        assert scenario.expected and scenario.duration_s > 60


def test_generator_refuses_a_dwell_too_short_for_short_stops() -> None:
    with pytest.raises(ValueError, match="dump_dwell_s"):
        golden_scenario(0, Regulation(dump_dwell_s=10.0))


def test_image_polygon_is_the_projected_rectangle_clipped_to_the_frame() -> None:
    road = road_rect(CAM, DEMO_LAYOUT, 80.0)
    poly = Polygon(image_polygon_rel(CAM, road))
    px = Polygon([(u / 640, v / 360) for u, v in project_ground(CAM, list(road.corners_m))])
    assert poly.symmetric_difference(px.intersection(box(0, 0, 1, 1))).area < 1e-5


def test_image_polygon_of_a_rectangle_behind_the_frame_edge_raises() -> None:
    with pytest.raises(ValueError, match="not in view"):
        image_polygon_rel(CAM, GroundRect(200.0, 210.0, 5.0, 6.0))


@pytest.mark.parametrize(
    "bounds", [(1.0, 1.0, 5.0, 6.0), (0.0, 1.0, 6.0, 5.0), (0.0, 1.0, 0.0, 5.0)]
)
def test_ground_rect_rejects_empty_or_behind_camera(bounds: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        GroundRect(*bounds)


def test_grown_and_contains() -> None:
    rect = GroundRect(0.0, 2.0, 10.0, 20.0)
    assert rect.contains(1.0, 10.0) and not rect.contains(2.5, 15.0)
    assert rect.grown(1.0, 0.0).contains(2.5, 15.0)
    assert not rect.grown(-0.5, -0.5).contains(1.0, 10.2)
    assert np.allclose(rect.corners_m, [(0, 10), (2, 10), (2, 20), (0, 20)])
