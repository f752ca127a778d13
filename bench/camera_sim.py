"""Building blocks of ``bench/bench_cameras.py``: 1-fps camera feeds, a simulated live stream,
timing wrappers and two alternative ways of sharing one model between camera threads.

Nothing here is imported by the service; it is bench code.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import cv2
import numpy as np

from detectors.detections import Detections
from detectors.ports import Detector, Image, Tracker
from scenes.events import SceneEvent
from scenes.evidence import EvidenceStore
from scenes.pipeline import MotionGate
from scenes.sources import Frame

# Feeds: one loop of 1-fps frames per kind of camera.


def demo_feed(seed: int = 7) -> list[Image]:
    """The demo street (trucks and cars all the time) sampled at 1 fps: 20 frames."""
    from detectors.synth.video import DemoStreet

    street = DemoStreet.build(seed)
    return [street.frame(i, float(i))[0] for i in range(20)]


def quiet_feed(seed: int = 11, period_s: int = 120) -> list[Image]:
    """A quiet street at 1 fps: the demo background (another seed) with a car at 10-17 s, an
    uncovered muck truck at 50-60 s and a car at 90-96 s of every ``period_s``: ~20% motion."""
    from detectors.synth.video import Actor, DemoStreet

    base = DemoStreet.build(seed)
    cast = {a.track_id: a.obj for a in base.actors}
    actors = (
        Actor(1, cast[5], ((10.0, 90.0), (17.0, 8.0))),
        Actor(2, cast[1], ((50.0, 95.0), (60.0, 6.0))),
        Actor(3, cast[7], ((90.0, 90.0), (96.0, 14.0))),
    )
    street = replace(base, actors=actors)
    return [street.frame(i, float(i))[0] for i in range(period_s)]


def video_feed(path: Path) -> list[Image]:
    """A real video sampled at 1 fps (the frame nearest each whole second)."""
    cap = cv2.VideoCapture(str(path))
    step = max(float(cap.get(cv2.CAP_PROP_FPS) or 1.0), 1.0)
    frames: list[Image] = []
    ok, frame = cap.read()
    while ok:
        frames.append(np.asarray(frame, dtype=np.uint8))
        ok, frame = cap.read()
    cap.release()
    return [frames[round(k * step)] for k in range(int((len(frames) - 1) / step) + 1)]


def decode_ms_per_frame(path: Path) -> tuple[float, float]:
    """Mean decode time of a video (ms/frame) and its native fps."""
    cap = cv2.VideoCapture(str(path))
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    count, t0 = 0, time.perf_counter()
    while cap.read()[0]:
        count += 1
    cap.release()
    return (time.perf_counter() - t0) * 1e3 / max(count, 1), fps


# A live camera.


class SimStream:
    """A live 1-fps camera as the service's ``StreamSource`` delivers it: frame k is captured
    at ``t0 + phase_s + k`` (epoch seconds) and handed out when due; a consumer that is late gets
    the latest frame and the skipped ones count as drops (latest frame wins)."""

    def __init__(
        self,
        frames: Sequence[Image],
        *,
        offset: int,
        phase_s: float,
        seconds: int,
        finish: threading.Barrier | None = None,
    ) -> None:
        self._frames, self._offset = frames, offset
        self._finish = finish
        self._phase_s, self._total = phase_s, seconds
        self._start = 0.0
        self._next = 0
        self._closed = threading.Event()
        self._drops = 0
        self._current: float | None = None
        self.ended = False
        self.handed: dict[datetime, float] = {}
        """Frame timestamp -> wall time it was handed to the pipeline."""
        self.current_handed = 0.0
        self.ages_s: list[tuple[float, float]] = []
        """Per frame: (capture time, capture -> processing finished at the next ``read``)."""
        self.wait_s: list[tuple[float, float]] = []
        """Per frame: (capture time, capture -> handed to the pipeline)."""

    def start_at(self, t0: float) -> None:
        """Set the stream's epoch start; frame k is captured at ``t0 + phase_s + k``."""
        self._start = t0 + self._phase_s

    @property
    def dropped_frames(self) -> int:
        """Frames overwritten before the pipeline took them."""
        return self._drops

    def read(self) -> Frame | None:
        """Wait for the next capture; None after ``seconds`` of stream or once closed."""
        now = time.time()
        if self._current is not None:
            self.ages_s.append((self._current, now - self._current))
            self._current = None
        k = self._next
        if k >= self._total or self._closed.wait(max(0.0, self._start + k - now)):
            self.ended = True
            self._wait_for_others()
            return None
        now = time.time()
        latest = min(self._total - 1, int(now - self._start))
        if latest > k:
            self._drops += latest - k
            k = latest
        self._next = k + 1
        captured = self._start + k
        stamp = datetime.fromtimestamp(captured, UTC)
        self.handed[stamp] = self.current_handed = now
        self.wait_s.append((captured, now - captured))
        self._current = captured
        image = self._frames[(self._offset + k) % len(self._frames)]
        return Frame(image, stamp, k)

    def close(self) -> None:
        """Stop delivering."""
        self._closed.set()

    def _wait_for_others(self) -> None:
        # The pipeline flushes pending clips when its source ends; streams of a bench run all end
        # together, so without this the flush burst would land on other cameras' last frames.
        if self._finish is None:
            return
        with contextlib.suppress(threading.BrokenBarrierError):
            self._finish.wait(timeout=60)


class DecodeLoad:
    """What a live ``StreamSource`` reader costs: decode a video at its native fps, in real time,
    in its own thread, looping; the frames are thrown away (the pipeline gets the 1-fps feed)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self.decoded = 0
        self.expected = 0.0
        self._thread = threading.Thread(target=self._run, name="decode", daemon=True)

    def start(self) -> None:
        """Start decoding."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and join."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        cap = cv2.VideoCapture(str(self._path))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 25.0)
        t0 = time.time()
        while not self._stop.is_set():
            ok, _ = cap.read()
            if not ok:
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                continue
            self.decoded += 1
            self.expected = (time.time() - t0) * fps
            self._stop.wait(max(0.0, t0 + self.decoded / fps - time.time()))
        cap.release()


# Timing.


class Stopwatch:
    """Thread-safe totals of named durations."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        """Add one duration."""
        with self._lock:
            self.totals[name] += seconds


class TimedDetector:
    """A detector whose calls are timed."""

    def __init__(self, inner: Detector, watch: Stopwatch) -> None:
        self.inner, self.watch = inner, watch

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Detect and time it."""
        t0 = time.perf_counter()
        out = self.inner.detect(frames)
        self.watch.add("detect", time.perf_counter() - t0)
        return out


class TimedTracker:
    """A tracker whose updates are timed."""

    def __init__(self, inner: Tracker, watch: Stopwatch) -> None:
        self.inner, self.watch = inner, watch

    def update(self, detections: Detections, frame: Image | None = None) -> Detections:
        """Track and time it."""
        t0 = time.perf_counter()
        out = self.inner.update(detections, frame)
        self.watch.add("track", time.perf_counter() - t0)
        return out


class TimedGate:
    """A motion gate whose decisions are timed."""

    def __init__(self, inner: MotionGate, watch: Stopwatch) -> None:
        self.inner, self.watch = inner, watch

    def should_detect(self, frame: Image) -> bool:
        """Decide and time it."""
        t0 = time.perf_counter()
        out = self.inner.should_detect(frame)
        self.watch.add("gate", time.perf_counter() - t0)
        return out


def timed_attributes(
    fn: Callable[[Image, Detections], Detections], watch: Stopwatch
) -> Callable[[Image, Detections], Detections]:
    """The attribute classifier, timed."""

    def run(frame: Image, detections: Detections) -> Detections:
        t0 = time.perf_counter()
        out = fn(frame, detections)
        watch.add("attributes", time.perf_counter() - t0)
        return out

    return run


class TimedEvidenceStore(EvidenceStore):
    """Evidence as the service writes it, timed, remembering when each event was decided."""

    def __init__(self, root: Path, watch: Stopwatch, decided: dict[UUID, tuple[datetime, float]]):
        super().__init__(root)
        self.watch, self.decided = watch, decided

    def add_frame(self, camera_id: str, timestamp: datetime, image: Image) -> list[SceneEvent]:
        """Buffer (and maybe finish clips), timed."""
        t0 = time.perf_counter()
        out = super().add_frame(camera_id, timestamp, image)
        self.watch.add("evidence", time.perf_counter() - t0)
        return out

    def begin(
        self,
        event: SceneEvent,
        image: Image,
        box_xyxy_px: tuple[float, float, float, float] | None,
        frame_at: datetime,
    ) -> SceneEvent | None:
        """Snapshot and start the clip, timed; record (frame time, decision wall time)."""
        self.decided[event.event_id] = (frame_at, time.time())
        t0 = time.perf_counter()
        out = super().begin(event, image, box_xyxy_px, frame_at)
        self.watch.add("evidence", time.perf_counter() - t0)
        return out


# Sharing one model between camera threads (alternatives to the service's SharedDetector lock).


class BatchingDetector:
    """Cross-camera batching: callers queue their frame; one worker runs everything queued so far
    as one ``detect`` call. No waiting window: batches grow only when the model is busy."""

    def __init__(self, inner: Detector, max_batch: int = 8) -> None:
        self.inner, self.max_batch = inner, max_batch
        self.calls = 0
        self.frames = 0
        self._queue: queue.Queue[tuple[list[Image], Future[list[Detections]]] | None] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._loop, name="batcher", daemon=True)
        self._thread.start()

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Queue and wait for the result."""
        done: Future[list[Detections]] = Future()
        self._queue.put((list(frames), done))
        return done.result()

    def close(self) -> None:
        """Stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            self._run(batch)

    def _run(self, batch: list[tuple[list[Image], Future[list[Detections]]]]) -> None:
        frames = [f for frames, _ in batch for f in frames]
        self.calls += 1
        self.frames += len(frames)
        try:
            out = self.inner.detect(frames)
        except Exception as exc:  # every waiting camera sees the failure
            for _, done in batch:
                done.set_exception(exc)
            return
        start = 0
        for frames_i, done in batch:
            done.set_result(out[start : start + len(frames_i)])
            start += len(frames_i)


class DetectorPool:
    """Several model instances; a caller takes a free one (runtimes that release the GIL then
    infer in parallel, e.g. two 1-thread OpenVINO instances on two cores)."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self._free: queue.Queue[Detector] = queue.Queue()
        for detector in detectors:
            self._free.put(detector)

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Detect with whichever instance is free."""
        detector = self._free.get()
        try:
            return detector.detect(frames)
        finally:
            self._free.put(detector)
