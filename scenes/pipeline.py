"""The per-camera pipeline, as short named steps:

frame -> motion gate (optional) -> detect -> track -> attributes (optional) -> static objects
(optional) -> engine (rules, ground mapping) -> evidence (optional) -> publish.

When the gate says nothing moved, the previous frame's tracked objects are reused: a parked car
must stay visible to dwell rules even though detection is skipped. The static-object step (new
static debris by background modelling) still runs on every frame, with those reused objects as
the tracked ones: it is cheap, its timers need every frame, and a skipped frame is exactly when
nothing moves over a new pile. Its objects carry their own track ids (offset far above the
tracker's) and are merged after tracking, never fed back to the tracker. Ground mapping happens
inside the engine, only for anchors that produce events (and for the speed rule's tracks).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from core.clock import Clock, SystemClock
from detectors.detections import Detections
from detectors.ports import Detector, Tracker
from detectors.static_objects import merge_detections
from scenes.config import CameraConfig
from scenes.engine import EngineHit, SceneEngine
from scenes.events import SceneEvent
from scenes.evidence import EvidenceStore
from scenes.rules.base import FrameMeta
from scenes.sources import FrameSource
from scenes.supervisor import CameraRunner

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
AttributeClassifier = Callable[[Image, Detections], Detections]
"""Adds attributes (e.g. ``load``) to detections; returns the same objects in the same order."""
Publish = Callable[[SceneEvent], None]
_WATCH_INTERVAL_S = 0.2


class MotionGate(Protocol):
    """Decides whether a frame is worth running the detector on."""

    def should_detect(self, frame: Image) -> bool:
        """True when something changed enough to detect again."""
        ...


class StaticObjects(Protocol):
    """Finds new static objects (spilled debris) that the class detector cannot."""

    def update(self, frame: Image, timestamp: datetime, moving: Detections) -> Detections:
        """Consume one frame; return new static objects, none on or against ``moving``."""
        ...


@dataclass
class PipelineStats:
    """Counters of one pipeline."""

    frames: int = 0
    detector_calls: int = 0
    skipped: int = 0
    events: int = 0
    drops: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (metrics, logs)."""
        return asdict(self)


class CameraPipeline:
    """Turns one camera's frames into published scene events."""

    def __init__(
        self,
        *,
        engine: SceneEngine,
        detector: Detector,
        tracker: Tracker,
        publish: Publish,
        clock: Clock | None = None,
        gate: MotionGate | None = None,
        attributes: AttributeClassifier | None = None,
        evidence: EvidenceStore | None = None,
        max_skip_frames: int = 10,
        static_objects: StaticObjects | None = None,
    ) -> None:
        self.engine = engine
        self.camera_id = engine.scene.camera_id
        self._detector = detector
        self._tracker = tracker
        self._publish_fn = publish
        self._clock: Clock = clock or SystemClock()
        self._gate = gate
        self._attributes = attributes
        self._evidence = evidence
        self._max_skip_frames = max_skip_frames
        self._static_objects = static_objects
        self._skipped_in_row = 0
        self._last: Detections = Detections.empty()
        self.stats = PipelineStats()

    def process(self, frame: Image, meta: FrameMeta) -> list[SceneEvent]:
        """Run every step on one frame; return the events published during this call."""
        self.stats.frames += 1
        completed = self._buffer(frame, meta)
        detections = self._with_static_objects(frame, meta, self._detect_and_track(frame))
        engine_hits = self.engine.evaluate(meta, detections)
        ready = completed + self._with_evidence(frame, meta, engine_hits)
        self._publish(ready)
        return ready

    def run(
        self,
        source: FrameSource,
        max_frames: int | None = None,
        stop: threading.Event | None = None,
    ) -> PipelineStats:
        """Process frames until the source ends, ``max_frames`` or ``stop``; errors are counted."""
        processed = 0
        while (stop is None or not stop.is_set()) and (
            max_frames is None or processed < max_frames
        ):
            frame = source.read()
            if frame is None:
                break
            processed += 1
            height, width = frame.image.shape[:2]
            meta = FrameMeta(self.camera_id, frame.index, frame.timestamp, (width, height))
            try:
                self.process(frame.image, meta)
            except Exception:
                self.stats.errors += 1
                logger.exception("camera %s frame %d failed", self.camera_id, frame.index)
            self.stats.drops = source.dropped_frames
        self.flush()
        return self.stats

    def flush(self) -> list[SceneEvent]:
        """Publish events still waiting for their clip (end of stream)."""
        if self._evidence is None:
            return []
        done = self._evidence.flush(self.camera_id)
        self._publish(done)
        return done

    # Steps.
    def _buffer(self, frame: Image, meta: FrameMeta) -> list[SceneEvent]:
        if self._evidence is None:
            return []
        return self._evidence.add_frame(self.camera_id, meta.timestamp, frame)

    def _detect_and_track(self, frame: Image) -> Detections:
        if not self._should_detect(frame):
            self.stats.skipped += 1
            return self._last
        self.stats.detector_calls += 1
        detections = self._detector.detect([frame])[0]
        tracked = self._tracker.update(detections, frame)
        if self._attributes is not None:
            tracked = self._attributes(frame, tracked)
        self._last = tracked
        return tracked

    def _with_static_objects(
        self, frame: Image, meta: FrameMeta, tracked: Detections
    ) -> Detections:
        if self._static_objects is None:
            return tracked
        found = self._static_objects.update(frame, meta.timestamp, tracked)
        return merge_detections(tracked, found)

    def _should_detect(self, frame: Image) -> bool:
        if self._gate is None or self._skipped_in_row >= self._max_skip_frames:
            self._skipped_in_row = 0
            return True
        if self._gate.should_detect(frame):
            self._skipped_in_row = 0
            return True
        self._skipped_in_row += 1
        return False

    def _with_evidence(
        self, frame: Image, meta: FrameMeta, engine_hits: list[EngineHit]
    ) -> list[SceneEvent]:
        if self._evidence is None:
            return [h.event for h in engine_hits]
        ready: list[SceneEvent] = []
        for item in engine_hits:
            event = self._evidence.begin(item.event, frame, item.hit.box_xyxy_px, meta.timestamp)
            if event is not None:
                ready.append(event)
        return ready

    def _publish(self, events: list[SceneEvent]) -> None:
        for event in events:
            try:
                self._publish_fn(event)
                self.stats.events += 1
            except Exception:
                self.stats.errors += 1
                logger.exception("publishing event %s failed", event.event_id)


def pipeline_runner(
    build: Callable[[CameraConfig], tuple[CameraPipeline, FrameSource]],
) -> CameraRunner:
    """A ``CameraSupervisor`` runner: build pipeline and source, run until stopped.

    A watcher closes the source when the stop event is set, so a read blocked on a dead stream
    returns at once.
    """

    def run(camera: CameraConfig, stop: threading.Event) -> None:
        pipeline, source = build(camera)
        done = threading.Event()
        watcher = threading.Thread(
            target=_close_when_stopped, args=(stop, done, source), daemon=True
        )
        watcher.start()
        try:
            stats = pipeline.run(source, stop=stop)
            logger.info("camera %s finished: %s", camera.id, stats.as_dict())
        finally:
            done.set()
            source.close()

    return run


def _close_when_stopped(stop: threading.Event, done: threading.Event, source: FrameSource) -> None:
    while not done.wait(_WATCH_INTERVAL_S):
        if stop.is_set():
            source.close()
            return
