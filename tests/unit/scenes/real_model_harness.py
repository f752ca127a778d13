"""Runs the demo street video through the real pipeline (shipped YOLO model, ByteTrack, the
per-track load vote, the demo scene) and scores every event against the video's ground truth.

Imported as a top-level module (like ``golden_harness``). The video is rendered by
``detectors.synth.render_demo_video`` with its JSON sidecar (per-frame boxes, actor ids, load);
the pipeline is wired like ``api.cameras_runtime.CameraManager._build``, minus evidence files,
and read through the real ``FileSource`` on a ``ManualClock`` that follows video time.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from api.cameras_runtime import CalibratedGround
from api.demo import VIDEO_SIZE, demo_calibration, demo_scene
from api.runtime import gate_factory, tracker_factory
from core.clock import ManualClock
from core.settings import Settings
from detectors.attributes import LoadClassifier, TrackAttributeVote
from detectors.detections import Detections
from detectors.ports import Detector, Image, Tracker
from detectors.synth import render_demo_video
from scenes.config import SceneConfig
from scenes.engine import SceneEngine
from scenes.events import SceneEvent
from scenes.opencv_source import FileSource
from scenes.pipeline import CameraPipeline
from scenes.rules.geometry import ZoneShape, box_iou
from scenes.sources import Frame, SourceOptions

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SAMPLE_FPS = 5.0  # the demo camera's sample_fps (api.seed_data.demo_camera)
MATCH_MIN_IOU = 0.3
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class GtBox:
    """One ground-truth object in one video frame."""

    actor: int
    class_name: str
    load: str | None
    box: Box

    @property
    def anchor(self) -> tuple[float, float]:
        """Bottom-centre, as the rules anchor objects."""
        return ((self.box[0] + self.box[2]) / 2, self.box[3])


@dataclass(frozen=True)
class GroundTruth:
    """The demo video's sidecar: frames of ground-truth boxes and the cast."""

    fps: float
    size: tuple[int, int]
    frames: tuple[tuple[GtBox, ...], ...]
    actors: Mapping[int, tuple[str, str | None]]
    """actor id -> (class, load)."""

    @classmethod
    def load(cls, video: Path) -> GroundTruth:
        """Read ``<video>.json``."""
        raw = json.loads(video.with_suffix(".json").read_text())
        frames = tuple(
            tuple(
                GtBox(o["track_id"], o["class"], o["load"], tuple(o["xyxy_px"]))  # type: ignore[arg-type]
                for o in rec["objects"]
            )
            for rec in raw["frames"]
        )
        actors = {int(k): (v["class"], v["load"]) for k, v in raw["tracks"].items()}
        return cls(float(raw["fps"]), (raw["width"], raw["height"]), frames, actors)

    def at(self, t_s: float) -> tuple[GtBox, ...]:
        """The ground truth of the video frame shown at ``t_s``."""
        index = min(max(round(t_s * self.fps), 0), len(self.frames) - 1)
        return self.frames[index]


def render_demo(directory: Path, seconds: float = 20.0) -> Path:
    """Render the demo street video exactly as ``smartscene demo`` does (seed 7, 10 fps)."""
    width, height = VIDEO_SIZE
    path = directory / "demo_street.mp4"
    return render_demo_video(path, seconds=seconds, fps=10, seed=7, width=width, height=height)


@dataclass(frozen=True)
class TrackedFrame:
    """What the rules saw on one sampled frame."""

    t_s: float
    detections: Detections


@dataclass(frozen=True)
class PipelineRun:
    """Events of one run and the tracked detections of every sampled frame."""

    events: tuple[Event, ...]
    frames: tuple[TrackedFrame, ...]
    wall_s: float


@dataclass(frozen=True)
class Event:
    """A published scene event with the box of the object it is about."""

    rule_id: str
    t_s: float
    track_id: int
    object_class: str
    anchor_px: tuple[float, float]
    box: Box | None


class _RecordingTracker:
    """Wraps the real tracker and keeps what it returned, frame by frame."""

    def __init__(self, inner: Tracker, clock: ManualClock) -> None:
        self._inner, self._clock = inner, clock
        self.frames: list[TrackedFrame] = []

    def update(self, detections: Detections, frame: Image | None = None) -> Detections:
        out = self._inner.update(detections, frame)
        self.frames.append(TrackedFrame((self._clock.now() - T0).total_seconds(), out))
        return out


class _ClockedSource:
    """The real file source; the manual clock jumps to each frame's video time before the
    pipeline sees it, so ``detected_at`` is video time too."""

    def __init__(self, source: FileSource, clock: ManualClock) -> None:
        self._source, self._clock = source, clock

    def read(self) -> Frame | None:
        frame = self._source.read()
        if frame is not None:
            self._clock.set(frame.timestamp)
        return frame

    def close(self) -> None:
        self._source.close()

    @property
    def dropped_frames(self) -> int:
        return self._source.dropped_frames


def demo_detector(settings: Settings | None = None) -> Detector:
    """The detector as ``api.runtime.detector_factory`` builds it from the settings."""
    from detectors.ultralytics_backend import UltralyticsDetector

    s = settings or Settings()
    return UltralyticsDetector(
        s.detector_weights, imgsz=s.detector_imgsz, conf=s.detector_conf, threads=s.torch_threads
    )


def run_demo_pipeline(
    video: Path,
    *,
    detector: Detector,
    scene: SceneConfig | None = None,
    make_tracker: Callable[[], Tracker] = tracker_factory,
    settings: Settings | None = None,
) -> PipelineRun:
    """Play ``video`` at the demo's sample rate through the pipeline the demo camera runs."""
    s = settings or Settings()
    scene = scene or demo_scene()
    clock = ManualClock(T0)
    tracker = _RecordingTracker(make_tracker(), clock)
    published: list[SceneEvent] = []
    pipeline = CameraPipeline(
        engine=SceneEngine(scene, CalibratedGround(demo_calibration()), clock),
        detector=detector,
        tracker=tracker,
        publish=published.append,
        clock=clock,
        gate=gate_factory(),
        attributes=TrackAttributeVote(LoadClassifier(s.load_classifier).classify),
    )
    source = FileSource(scene.camera_id, str(video), SAMPLE_FPS, SourceOptions(clock=clock))
    started = time.perf_counter()
    pipeline.run(_ClockedSource(source, clock))
    wall_s = time.perf_counter() - started
    by_t = {round(f.t_s, 3): f for f in tracker.frames}
    events = []
    for e in published:
        t_s = (e.detected_at - T0).total_seconds()
        track = -1 if e.track_id is None else e.track_id
        box = _box_of(by_t.get(round(t_s, 3)), track)
        anchor = e.anchor_px or (float("nan"), float("nan"))
        events.append(Event(e.rule_id, t_s, track, e.object_class or "", anchor, box))
    return PipelineRun(tuple(events), tuple(tracker.frames), wall_s)


def _box_of(frame: TrackedFrame | None, track_id: int) -> Box | None:
    if frame is None:
        return None
    for box, tid in zip(
        frame.detections.xyxy_px.tolist(), frame.detections.tracker_id.tolist(), strict=True
    ):
        if tid == track_id:
            return (box[0], box[1], box[2], box[3])
    return None


def match_box(box: Box, truth: Sequence[GtBox]) -> GtBox | None:
    """The ground-truth object ``box`` overlaps best (IoU at least ``MATCH_MIN_IOU``)."""
    best = max(truth, key=lambda g: box_iou(g.box, box), default=None)
    return best if best is not None and box_iou(best.box, box) >= MATCH_MIN_IOU else None


def match_anchor(anchor: tuple[float, float], truth: Sequence[GtBox]) -> GtBox | None:
    """The ground-truth object whose bottom-centre is nearest ``anchor``, if the anchor lies
    within its box's width of it (a fallback when the event's box is unknown)."""

    def gap(g: GtBox) -> float:
        return float(((g.anchor[0] - anchor[0]) ** 2 + (g.anchor[1] - anchor[1]) ** 2) ** 0.5)

    best = min(truth, key=gap, default=None)
    return best if best is not None and gap(best) <= best.box[2] - best.box[0] else None


def event_actor(event: Event, gt: GroundTruth) -> int | None:
    """The ground-truth actor an event is about: best IoU with the event's box, else the
    nearest bottom-centre to its anchor; None when no actor is there."""
    truth = gt.at(event.t_s)
    hit = match_box(event.box, truth) if event.box is not None else None
    hit = hit or match_anchor(event.anchor_px, truth)
    return None if hit is None else hit.actor


# What each emitting rule of the muck-truck pack is about: (class, required load).
RULE_TARGETS: dict[str, tuple[str, str | None]] = {
    "mt-restricted": ("truck", None),
    "mt-uncovered": ("truck", "uncovered"),
    "mt-spill": ("debris", None),
    "mt-speeding": ("truck", None),
}


def expected_actors(gt: GroundTruth, scene: SceneConfig, rule_id: str) -> set[int]:
    """Actors a rule should report once each: of the rule's class (and load) with their
    bottom-centre in the rule's zone on at least 3 sampled frames. Spillage expects debris
    appearing on the road; speeding expects nobody (every demo actor drives under 40 km/h)."""
    if rule_id == "mt-speeding":
        return set()
    config = next(r for r in scene.rules if r.id == rule_id)
    zone_id = getattr(config, "zone_id", None)
    shape = ZoneShape(scene.zone(zone_id).polygon) if zone_id else None
    cls, load = RULE_TARGETS[rule_id]
    width, height = gt.size
    step = max(round(gt.fps / SAMPLE_FPS), 1)
    inside: Counter[int] = Counter()
    for frame in gt.frames[::step]:
        for g in frame:
            if g.class_name != cls or (load is not None and g.load != load):
                continue
            point = (g.anchor[0] / width, g.anchor[1] / height)
            if shape is None or shape.contains_point(point):
                inside[g.actor] += 1
    return {a for a, n in inside.items() if n >= 3}


@dataclass
class RuleScore:
    """One rule's events against the ground truth."""

    rule_id: str
    expected: set[int]
    events: int = 0
    per_actor: Counter[int] = field(default_factory=Counter)
    false: list[Event] = field(default_factory=list)

    @property
    def hit(self) -> set[int]:
        """Expected actors reported at least once."""
        return set(self.per_actor) & self.expected

    @property
    def misses(self) -> set[int]:
        """Expected actors never reported."""
        return self.expected - set(self.per_actor)

    @property
    def duplicates(self) -> int:
        """Events beyond the first for an actor."""
        return sum(n - 1 for n in self.per_actor.values())

    def summary(self) -> str:
        """One line for test output."""
        dup = {a: n - 1 for a, n in sorted(self.per_actor.items()) if n > 1}
        false = [f"#{e.track_id}@{e.t_s:.1f}s" for e in self.false]
        return (
            f"{self.rule_id}: {self.events} events, actors hit {sorted(self.hit)} of "
            f"{sorted(self.expected)}, duplicates {self.duplicates} {dup}, "
            f"misses {sorted(self.misses)}, false {len(self.false)} {false}"
        )


def score_run(run: PipelineRun, gt: GroundTruth, scene: SceneConfig) -> dict[str, RuleScore]:
    """Per emitting rule: events, distinct actors hit, duplicates, misses and false events
    (matching no actor, or one of the wrong class or load)."""
    scores = {
        rid: RuleScore(rid, expected_actors(gt, scene, rid))
        for rid in RULE_TARGETS
        if any(r.id == rid for r in scene.rules)
    }
    for event in run.events:
        score = scores.get(event.rule_id)
        if score is None:
            continue
        score.events += 1
        actor = event_actor(event, gt)
        if actor is None or not _eligible(gt, event.rule_id, actor):
            score.false.append(event)
        else:
            score.per_actor[actor] += 1
    return scores


def _eligible(gt: GroundTruth, rule_id: str, actor: int) -> bool:
    cls, load = RULE_TARGETS[rule_id]
    actual_cls, actual_load = gt.actors[actor]
    if rule_id == "mt-speeding":
        return False
    return actual_cls == cls and (load is None or actual_load == load)


@dataclass(frozen=True)
class IdRun:
    """A run of sampled frames on which the tracker reported an actor the same way."""

    start_s: float
    end_s: float
    track_id: int
    class_name: str
    frames: int

    def __str__(self) -> str:
        return (
            f"{self.start_s:.1f}-{self.end_s:.1f}s {self.class_name}#{self.track_id} x{self.frames}"
        )


def id_timelines(run: PipelineRun, gt: GroundTruth) -> dict[int, list[IdRun]]:
    """Per actor, the tracker ids (and classes) its detections carried over time; an actor
    covered by two boxes on one frame shows both runs interleaved."""
    seen: dict[int, list[tuple[float, int, str]]] = {}
    for frame in run.frames:
        truth = gt.at(frame.t_s)
        dets = frame.detections
        for box, tid, name in zip(
            dets.xyxy_px.tolist(), dets.tracker_id.tolist(), dets.names, strict=True
        ):
            hit = match_box((box[0], box[1], box[2], box[3]), truth)
            if hit is not None:
                seen.setdefault(hit.actor, []).append((frame.t_s, int(tid), name))
    return {actor: _runs(obs) for actor, obs in sorted(seen.items())}


def _runs(observations: Iterable[tuple[float, int, str]]) -> list[IdRun]:
    open_runs: dict[tuple[int, str], IdRun] = {}
    done: list[IdRun] = []
    last_t: dict[tuple[int, str], float] = {}
    step = 1.0 / SAMPLE_FPS + 1e-6
    for t_s, tid, name in observations:
        key = (tid, name)
        run = open_runs.get(key)
        if run is not None and t_s - last_t[key] <= step:
            open_runs[key] = IdRun(run.start_s, t_s, tid, name, run.frames + 1)
        else:
            if run is not None:
                done.append(run)
            open_runs[key] = IdRun(t_s, t_s, tid, name, 1)
        last_t[key] = t_s
    return sorted([*done, *open_runs.values()], key=lambda r: (r.start_s, r.track_id))


def report(run: PipelineRun, gt: GroundTruth, scores: Mapping[str, RuleScore]) -> str:
    """Everything a person needs to judge a run: scores, events with actors, id timelines."""
    lines = [s.summary() for s in scores.values()]
    lines.append("events:")
    for e in run.events:
        actor = event_actor(e, gt)
        lines.append(
            f"  {e.t_s:5.1f}s {e.rule_id:14s} {e.object_class}#{e.track_id:<4d} "
            f"anchor ({e.anchor_px[0]:.0f},{e.anchor_px[1]:.0f}) -> actor {actor}"
        )
    lines.append("tracker ids per actor (untracked -1 included):")
    for actor, runs in id_timelines(run, gt).items():
        cls, load = gt.actors[actor]
        label = f"{cls}" + (f"/{load}" if load else "")
        lines.append(f"  actor {actor} ({label}): " + ", ".join(str(r) for r in runs))
    lines.append(f"pipeline wall time {run.wall_s:.1f} s for {len(run.frames)} frames")
    return "\n".join(lines)
