"""Evidence files (hashes, clip timing) and the camera pipeline with fakes and a real file."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from scenes_fakes import T0, IdentityTracker, ScriptedDetector, dets, meta, scene, write_video

from core.clock import ManualClock
from scenes.engine import SceneEngine
from scenes.events import SceneEvent
from scenes.evidence import EvidenceStore, sha256_file
from scenes.opencv_source import FileSource
from scenes.pipeline import CameraPipeline, pipeline_runner
from scenes.sources import SourceOptions
from scenes.supervisor import CameraSupervisor

PRESENCE = {
    "id": "p",
    "kind": "zone_presence",
    "zone_id": "left",
    "category_code": "MT_RESTRICTED",
    "object_classes": ["truck"],
    "min_frames": 2,
}
TRUCK = [(1, "truck", 0.3, 0.5)]


def _event(at_s: float = 0.0) -> SceneEvent:
    return SceneEvent(
        occurred_at=T0,
        detected_at=T0 + timedelta(seconds=at_s),
        camera_id="cam1",
        rule_id="p",
        category_code="MT_RESTRICTED",
        track_id=1,
        object_class="truck",
    )


def _frame(value: int, size: tuple[int, int] = (200, 100)) -> Any:
    return np.full((size[1], size[0], 3), value, dtype=np.uint8)


def _clip_frames(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


@pytest.mark.parametrize(("pre_s", "post_s", "expected_frames"), [(3, 2, 6), (0, 2, 3), (5, 0, 6)])
def test_evidence_snapshot_and_clip(
    tmp_path: Path, pre_s: float, post_s: float, expected_frames: int
) -> None:
    store = EvidenceStore(tmp_path, pre_s=pre_s, post_s=post_s, clock=ManualClock(T0))
    done: list[SceneEvent] = []
    trigger_s = 5
    for i in range(12):
        done += store.add_frame("cam1", T0 + timedelta(seconds=i), _frame(10 * i))
        if i == trigger_s:
            started = store.begin(
                _event(), _frame(10 * i), (20, 10, 80, 60), T0 + timedelta(seconds=i)
            )
            if started is not None:
                done.append(started)
            else:
                assert store.pending_count == 1
    (event,) = done
    kinds = [ref.kind for ref in event.evidence]
    assert kinds == ["snapshot", "clip"]
    for ref in event.evidence:
        assert sha256_file(tmp_path / ref.path) == ref.sha256
    snapshot = cv2.imread(str(tmp_path / event.evidence[0].path))
    assert snapshot is not None
    assert snapshot.shape == (100, 200, 3)
    assert snapshot[10, 50, 2] > 150  # the red box is drawn
    assert _clip_frames(tmp_path / event.evidence[1].path) == expected_frames
    assert store.pending_count == 0


def test_evidence_flush_and_deadline(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    store = EvidenceStore(tmp_path, post_s=10, max_wait_s=5, clock=clock)
    store.add_frame("cam1", T0, _frame(1))
    assert store.begin(_event(), _frame(1), None, T0) is None
    clock.advance(6)
    (late,) = store.add_frame("cam1", T0 + timedelta(seconds=1), _frame(2))
    assert [r.kind for r in late.evidence] == ["snapshot", "clip"]
    assert store.begin(_event(), _frame(3), None, T0 + timedelta(seconds=1)) is None
    (flushed,) = store.flush()
    assert len(flushed.evidence) == 2


def test_evidence_failure_still_returns_the_event(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = EvidenceStore(blocker, post_s=0)
    store.add_frame("cam1", T0, _frame(1))
    event = store.begin(_event(), _frame(1), None, T0)
    assert event is not None and event.evidence == []


def _pipeline(script: list[Any], published: list[SceneEvent], **kw: Any) -> CameraPipeline:
    engine = SceneEngine(scene([PRESENCE]), clock=ManualClock(T0))
    return CameraPipeline(
        engine=engine,
        detector=ScriptedDetector(script, kw.pop("fail_on", ())),
        tracker=IdentityTracker(),
        publish=published.append,
        **kw,
    )


def test_pipeline_process_publishes_once_per_track() -> None:
    published: list[SceneEvent] = []
    pipeline = _pipeline([dets(TRUCK)], published)
    for i in range(6):
        pipeline.process(_frame(0, (1000, 1000)), meta(i, i))
    assert [(e.rule_id, e.track_id) for e in published] == [("p", 1)]
    assert pipeline.stats.as_dict() == {
        "frames": 6,
        "detector_calls": 6,
        "skipped": 0,
        "events": 1,
        "drops": 0,
        "errors": 0,
    }


class _Gate:
    def __init__(self, pattern: list[bool]) -> None:
        self.pattern = pattern
        self.calls = 0

    def should_detect(self, frame: Any) -> bool:
        self.calls += 1
        return self.pattern[(self.calls - 1) % len(self.pattern)]


def test_gate_skips_detection_but_keeps_objects_alive() -> None:
    published: list[SceneEvent] = []
    pipeline = _pipeline(
        [dets(TRUCK)], published, gate=_Gate([True, False, False]), max_skip_frames=5
    )
    for i in range(3):
        pipeline.process(_frame(0, (1000, 1000)), meta(i, i))
    assert (pipeline.stats.detector_calls, pipeline.stats.skipped) == (1, 2)
    assert len(published) == 1  # the truck stayed visible to the rule on skipped frames


def test_gate_is_overridden_after_max_skipped_frames() -> None:
    pipeline = _pipeline([dets(TRUCK)], [], gate=_Gate([False]), max_skip_frames=3)
    for i in range(8):
        pipeline.process(_frame(0, (1000, 1000)), meta(i, i))
    assert pipeline.stats.detector_calls == 2


def test_attribute_classifier_runs_after_tracking() -> None:
    published: list[SceneEvent] = []
    rules = [
        {
            "id": "u",
            "kind": "attribute",
            "attributes": {"load": "uncovered"},
            "category_code": "MT_UNSEALED",
            "object_classes": ["truck"],
            "min_frames": 1,
        }
    ]
    pipeline = CameraPipeline(
        engine=SceneEngine(scene(rules)),
        detector=ScriptedDetector([dets(TRUCK)]),
        tracker=IdentityTracker(),
        publish=published.append,
        attributes=lambda frame, d: d.with_attributes([{"load": "uncovered"}] * len(d)),
    )
    pipeline.process(_frame(0, (1000, 1000)), meta(0, 0))
    assert published[0].attributes == {"load": "uncovered"}


def test_run_counts_errors_and_keeps_going(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, n_frames=30, fps=10.0, size=(1000, 1000))
    published: list[SceneEvent] = []

    def flaky_publish(event: SceneEvent) -> None:
        published.append(event)
        raise RuntimeError("bus down")

    engine = SceneEngine(scene([PRESENCE]), clock=ManualClock(T0))
    pipeline = CameraPipeline(
        engine=engine,
        detector=ScriptedDetector([dets(TRUCK)], fail_on=[0]),
        tracker=IdentityTracker(),
        publish=flaky_publish,
    )
    source = FileSource("cam1", str(path), 10.0, SourceOptions(clock=ManualClock(T0)))
    stats = pipeline.run(source)
    assert stats.frames == 30
    assert stats.errors == 2  # one detector failure, one publish failure
    assert len(published) == 1


def test_run_on_a_file_with_evidence_and_max_frames(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, n_frames=40, fps=10.0, size=(1000, 1000))
    published: list[SceneEvent] = []
    store = EvidenceStore(tmp_path / "evidence", pre_s=1, post_s=1, clock=ManualClock(T0))
    pipeline = _pipeline([dets(TRUCK)], published, evidence=store)
    source = FileSource("cam1", str(path), 10.0, SourceOptions(clock=ManualClock(T0)))
    stats = pipeline.run(source, max_frames=25)
    assert stats.frames == 25
    (event,) = published
    assert [r.kind for r in event.evidence] == ["snapshot", "clip"]
    assert (
        _clip_frames(tmp_path / "evidence" / event.evidence[1].path) == 12
    )  # trigger at frame 1: frames 0-1 before, 1 s (10 frames) after


def test_pipeline_runner_under_supervisor_stops_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, n_frames=10, size=(1000, 1000))
    published: list[SceneEvent] = []
    finished = threading.Event()

    def build(camera: Any) -> Any:
        source = FileSource(camera.id, camera.source_url, camera.sample_fps)
        return _pipeline([dets(TRUCK)], published), source

    def runner(camera: Any, stop: threading.Event) -> None:
        pipeline_runner(build)(camera, stop)
        finished.set()

    from scenes.config import CameraConfig

    sup = CameraSupervisor(runner)
    sup.add(CameraConfig(id="cam1", name="c", source_url=str(path), sample_fps=10.0))
    assert finished.wait(10)
    sup.stop()
    assert len(published) == 1


SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.mark.shared_data
def test_run_on_the_shared_parking_lot_video_at_10_fps() -> None:
    video = SHARED / "video" / "intel_car-detection.mp4"
    if not video.exists():
        pytest.skip(f"../shared/data not present: {video}")
    timestamps: list[Any] = []

    shapes: set[Any] = set()

    def record(frame: Any, d: Any) -> Any:
        shapes.add(frame.shape)
        return d

    engine = SceneEngine(scene([PRESENCE]), clock=ManualClock(T0))
    pipeline = CameraPipeline(
        engine=engine,
        detector=ScriptedDetector([dets([])]),
        tracker=IdentityTracker(),
        publish=lambda e: None,
        attributes=record,
    )
    source = FileSource("cam1", str(video), 10.0, SourceOptions(clock=ManualClock(T0)))
    original = source.read

    def read() -> Any:
        frame = original()
        if frame is not None:
            timestamps.append(frame.timestamp)
        return frame

    source.read = read  # type: ignore[method-assign]
    stats = pipeline.run(source, max_frames=40)
    assert (stats.frames, stats.detector_calls, stats.errors) == (40, 40, 0)
    assert shapes == {(432, 768, 3)}
    # 12.5 fps stream sampled at 10 fps: gaps of 80 or 160 ms, 0.1 s on average, no drift.
    gaps_s = [(b - a).total_seconds() for a, b in itertools.pairwise(timestamps)]
    assert all(0.079 <= g <= 0.161 for g in gaps_s)
    assert sum(gaps_s) / len(gaps_s) == pytest.approx(0.1, abs=0.005)
