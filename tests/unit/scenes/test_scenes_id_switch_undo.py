"""An id-switch guess is undone when the frame proves it wrong (scenes.rules.state).

Found on the demo street video with the real model: a truck driving in front of a parked one
(which had fired) appeared where the parked one vanished, inherited its cooldown and was never
reported. Boxes are in pixels of a 1000 x 1000 frame, 5 frames/s.
"""

from __future__ import annotations

from typing import Any

import pytest
from scenes_fakes import CLASSES, IDS, meta, scene

from detectors.detections import Detections
from scenes.rules import BuildContext, build_rule

Box = tuple[float, float, float, float]
PARKED: Box = (400, 300, 500, 400)
PASSING: Box = (380, 320, 520, 480)  # IoU 0.33 with PARKED: taken for an id switch
PASSED: Box = (220, 330, 350, 480)  # the passing truck further on, beside the parked one
DUPLICATE: Box = (395, 290, 505, 410)  # a second box on the parked truck


def _rule(kind: str = "zone_presence") -> Any:
    config: dict[str, Any] = {
        "id": "r",
        "kind": kind,
        "category_code": "C",
        "object_classes": ["truck"],
        "zone_id": "all",
        "min_frames": 3,
        "exit_grace_s": 2.0,
        "cooldown_s": 600.0,
    }
    sc = scene([config])
    return build_rule(sc.rules[0], BuildContext(scene=sc))


def _frame(*objs: tuple[int, Box]) -> Detections:
    if not objs:
        return Detections.empty(CLASSES)
    boxes = [list(box) for _, box in objs]
    return Detections.from_arrays(
        boxes, [0.9] * len(objs), [IDS["truck"]] * len(objs), CLASSES, [t for t, _ in objs]
    )


def _fired(frames: list[Detections]) -> list[tuple[int, int | None]]:
    rule = _rule()
    hits = [rule.step(meta(i, i * 0.2), d) for i, d in enumerate(frames)]
    return [(i, h.track_id) for i, frame_hits in enumerate(hits) for h in frame_hits]


PARKED_FIRES = [_frame((1, PARKED))] * 4 + [_frame()]  # fires on frame 2, then hidden
OCCLUDER = [_frame((2, PASSING))] * 2  # frames 5-6: only the passing truck is seen


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        pytest.param(
            [_frame((1, PARKED), (2, PASSED))] * 4,
            [(2, 1), (9, 2)],
            id="parked-id-back-beside-the-passing-truck",
        ),
        pytest.param(
            [_frame((3, PARKED), (2, PASSED))] * 4,
            [(2, 1), (9, 2)],
            id="parked-truck-back-under-a-new-id-fits-better",
        ),
        pytest.param(
            [_frame((2, PASSING))] * 4,
            [(2, 1)],
            id="no-evidence-the-guess-stands",
        ),
        pytest.param(
            [_frame((2, PASSING), (1, DUPLICATE))] * 4,
            [(2, 1)],
            id="overlapping-boxes-are-one-truck",
        ),
    ],
)
def test_passing_truck_is_judged_once_the_switch_is_disproved(
    after: list[Detections], expected: list[tuple[int, int]]
) -> None:
    assert _fired(PARKED_FIRES + OCCLUDER + after) == expected


def test_an_undone_switch_gives_the_episode_back_to_its_donor() -> None:
    """The parked truck keeps its own (fired) episode: it is not reported a second time even
    after the passing truck that held its episode leaves."""
    frames = PARKED_FIRES + OCCLUDER + [_frame((1, PARKED), (2, PASSED))] * 4
    frames += [_frame((1, PARKED))] * 5
    assert _fired(frames) == [(2, 1), (9, 2)]
