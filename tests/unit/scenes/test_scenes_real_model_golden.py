"""The demo street video through the real pipeline, scored against its ground truth.

``smartscene demo`` renders a 20 s street (seed 7) with four muck trucks, two of them
uncovered, and runs the shipped YOLO model, ByteTrack, the per-track load vote and the muck-truck
pack on it at 5 frames/s. Every event is matched to the ground-truth actor under its box
(``real_model_harness``). Before the fixes it raised 9 events for 4 trucks: 7 restricted-zone
events (3 repeats, 1 on a car, 1 truck never reported) and the uncovered event twice for one
truck, never for the other. The full report, with each actor's tracker ids over time, is in
every failure message and logged (``--log-cli-level=INFO`` shows it on a passing run).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from real_model_harness import (
    GroundTruth,
    PipelineRun,
    RuleScore,
    demo_detector,
    event_actor,
    id_timelines,
    render_demo,
    report,
    run_demo_pipeline,
    score_run,
)

from api.demo import demo_scene
from core.settings import Settings

logger = logging.getLogger(__name__)
UNCOVERED_TRUCKS = {1, 2}  # actors of detectors.synth.video.demo_actors
ALL_TRUCKS = {1, 2, 3, 4}
DEBRIS = 10


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineRun, GroundTruth]:
    settings = Settings()
    for path in (settings.detector_weights, settings.load_classifier):
        if not Path(path).exists():
            pytest.skip(f"{path} missing: the real-model golden test needs the shipped weights")
    video = render_demo(tmp_path_factory.mktemp("demo"))
    run = run_demo_pipeline(video, detector=demo_detector(settings), settings=settings)
    return run, GroundTruth.load(video)


@pytest.fixture(scope="module")
def scores(demo: tuple[PipelineRun, GroundTruth]) -> dict[str, RuleScore]:
    run, gt = demo
    result: dict[str, RuleScore] = score_run(run, gt, demo_scene())
    logger.info("demo street video, real pipeline:\n%s", report(run, gt, result))
    return result


def test_ground_truth_expects_every_truck(scores: dict[str, RuleScore]) -> None:
    """The expectations come from the sidecar and the zone, not from the pipeline."""
    assert scores["mt-restricted"].expected == ALL_TRUCKS
    assert scores["mt-uncovered"].expected == UNCOVERED_TRUCKS
    assert scores["mt-spill"].expected == {DEBRIS}
    assert scores["mt-speeding"].expected == set()


@pytest.mark.parametrize("rule_id", ["mt-restricted", "mt-uncovered"])
def test_each_offending_truck_is_reported_exactly_once(
    demo: tuple[PipelineRun, GroundTruth], scores: dict[str, RuleScore], rule_id: str
) -> None:
    score = scores[rule_id]
    detail = report(*demo, scores)
    assert score.misses == set(), detail
    assert score.duplicates == 0, detail
    assert score.false == [], detail
    assert score.events == len(score.expected), detail


def test_no_rule_raises_a_false_event(
    demo: tuple[PipelineRun, GroundTruth], scores: dict[str, RuleScore]
) -> None:
    """Spillage and speeding included: nothing is reported about the wrong object."""
    assert all(s.false == [] for s in scores.values()), report(*demo, scores)


def test_no_tracker_id_is_carried_by_two_objects(demo: tuple[PipelineRun, GroundTruth]) -> None:
    """A truck driving in front of the parked one must not take over its track (ByteTrack's
    association threshold), nor a car's box become a truck's (one box per object)."""
    run, gt = demo
    ids = {
        a: {r.track_id for r in runs if r.track_id >= 0}
        for a, runs in id_timelines(run, gt).items()
    }
    shared = {(a, b): ids[a] & ids[b] for a in ids for b in ids if a < b and ids[a] & ids[b]}
    assert shared == {}, report(run, gt, score_run(run, gt, demo_scene()))


@pytest.mark.xfail(
    strict=True,
    reason="the shipped demo model labels the fallen rubble 'car' (see the id report): the "
    "spillage rule never sees debris; remove this mark when the model improves",
)
def test_spilled_rubble_is_reported(scores: dict[str, RuleScore]) -> None:
    assert scores["mt-spill"].hit == {DEBRIS}


def test_scorer_counts_repeats_and_events_on_nothing(
    demo: tuple[PipelineRun, GroundTruth],
) -> None:
    """The scoring can fail: a repeated event and one about empty road are both counted."""
    run, gt = demo
    first = next(e for e in run.events if e.rule_id == "mt-restricted")
    empty_road = replace(first, box=(600.0, 10.0, 620.0, 30.0), anchor_px=(610.0, 30.0))
    assert event_actor(empty_road, gt) is None
    doctored = replace(run, events=(*run.events, first, empty_road))
    scored = score_run(doctored, gt, demo_scene())["mt-restricted"]
    honest = score_run(run, gt, demo_scene())["mt-restricted"]
    assert scored.duplicates == honest.duplicates + 1
    assert len(scored.false) == len(honest.false) + 1
