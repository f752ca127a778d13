"""Per-track load decision: evidence from several frames, not one frame's guess."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from detectors.attributes import TrackAttributeVote
from detectors.detections import Detections

NAMES = {0: "car", 1: "truck"}
FRAME = np.zeros((10, 10, 3), dtype=np.uint8)


def _scripted(answers: list[list[tuple[str, float]]]) -> TrackAttributeVote:
    """A vote over a fake classifier that gives, call by call, (load, margin) per detection."""
    calls: Iterator[list[tuple[str, float]]] = iter(answers)

    def classify(_frame: np.ndarray, dets: Detections) -> Detections:
        per_det = next(calls)
        attrs = [
            {**a, "load": load, "load_margin": f"{margin:.3f}"}
            for a, (load, margin) in zip(dets.attributes, per_det, strict=True)
        ]
        return dets.with_attributes(attrs)

    return TrackAttributeVote(classify, min_evidence=3.0, clip=4.0, forget_after=2)


def _dets(track_ids: list[int]) -> Detections:
    boxes = [[0, 0, 5, 5]] * len(track_ids)
    return Detections.from_arrays(
        boxes, [0.9] * len(track_ids), [1] * len(track_ids), NAMES, track_ids
    )


U, C = "uncovered", "covered"


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # evidence builds up: unknown until |sum| >= 3, then decided
        ([(U, 1.0), (U, 1.5), (U, 1.0)], [None, None, U]),
        # one confident wrong frame never decides alone, is clipped and is outvoted
        ([(C, 9.0), (U, 2.0), (U, 2.0), (U, 2.0), (U, 2.0)], [None, None, None, None, U]),
        # flicker around zero never decides
        ([(U, 1.0), (C, 1.0), (U, 1.0), (C, 1.0)], [None, None, None, None]),
        # a covered truck seen as covered stays covered after one uncovered frame
        ([(C, 2.0), (C, 2.0), (U, 0.5), (C, 1.0)], [None, C, C, C]),
    ],
)
def test_track_decision_follows_accumulated_log_odds(
    answers: list[tuple[str, float]], expected: list[str | None]
) -> None:
    vote = _scripted([[a] for a in answers])
    got = [vote(FRAME, _dets([7])).attributes[0].get("load") for _ in answers]
    assert got == expected


def test_tracks_are_independent_untracked_keep_frame_answer_and_old_tracks_are_forgotten() -> None:
    vote = _scripted([[(U, 4.0), (C, 4.0), (U, 0.2)], [(U, 4.0)], [(U, 4.0)], [(U, 4.0)]])
    first = vote(FRAME, _dets([1, 2, -1]))
    assert [a.get("load") for a in first.attributes] == [None, None, U]  # one frame: unknown
    assert vote.evidence(1) == pytest.approx(4.0) and vote.evidence(2) == pytest.approx(-4.0)
    for _ in range(3):
        vote(FRAME, _dets([1]))
    assert vote.evidence(1) == pytest.approx(16.0)
    assert vote.evidence(2) == 0.0  # not seen for more than forget_after calls
