"""One box per object: the clean-up after every detector backend's NMS."""

from __future__ import annotations

import pytest

from detectors.detections import Detections
from detectors.duplicates import one_box_per_object

NAMES = {0: "car", 1: "truck", 2: "debris", 3: "person"}
Row = tuple[tuple[float, float, float, float], float, str]


def _dets(rows: list[Row]) -> Detections:
    inv = {v: k for k, v in NAMES.items()}
    boxes, conf, cls = [r[0] for r in rows], [r[1] for r in rows], [inv[r[2]] for r in rows]
    tags = [{"n": str(i)} for i in range(len(rows))]
    return Detections.from_arrays(boxes, conf, cls, NAMES, attributes=tags)


def _kept(rows: list[Row]) -> list[str]:
    return [a["n"] for a in one_box_per_object(_dets(rows)).attributes]


@pytest.mark.parametrize(
    ("rows", "kept"),
    [
        pytest.param(
            [((236, 109, 253, 126), 0.5, "car"), ((236, 106, 254, 127), 0.49, "truck")],
            ["0"],
            id="distant-truck-labelled-car-and-truck",
        ),
        pytest.param(
            [((235, 106, 257, 130), 0.74, "truck"), ((234, 110, 257, 135), 0.59, "truck")],
            ["0"],
            id="two-truck-boxes-iou-0.66",
        ),
        pytest.param(
            [((370, 153, 513, 302), 0.91, "truck"), ((382, 160, 470, 256), 0.56, "truck")],
            ["0"],
            id="front-of-a-truck-detected-again",
        ),
        pytest.param(
            [((264, 204, 303, 249), 0.9, "car"), ((265, 195, 296, 219), 0.74, "car")],
            ["0", "1"],
            id="car-queued-behind-another-is-kept",
        ),
        pytest.param(
            [((300, 100, 500, 300), 0.9, "truck"), ((380, 260, 400, 300), 0.8, "person")],
            ["0", "1"],
            id="person-in-front-of-a-truck-is-kept",
        ),
        pytest.param(
            [((382, 160, 470, 256), 0.95, "truck"), ((370, 153, 513, 302), 0.6, "truck")],
            ["0", "1"],
            id="a-confident-small-box-does-not-remove-the-whole",
        ),
        pytest.param(
            [((0, 0, 10, 10), 0.3, "car"), ((100, 100, 150, 150), 0.9, "truck")],
            ["0", "1"],
            id="apart-boxes-and-order-kept",
        ),
    ],
)
def test_one_box_per_object(rows: list[Row], kept: list[str]) -> None:
    assert _kept(rows) == kept


def test_empty_and_single_pass_through() -> None:
    empty = Detections.empty(NAMES)
    assert one_box_per_object(empty) is empty
    single = _dets([((0, 0, 10, 10), 0.9, "car")])
    assert one_box_per_object(single) is single
