"""Runs one loop per camera in its own thread; cameras can be added, updated and removed while
running, and a failing camera never affects the others."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from scenes.config import CameraConfig
from scenes.sources import Backoff

logger = logging.getLogger(__name__)

CameraRunner = Callable[[CameraConfig, threading.Event], None]
"""Runs a camera until the event is set (or its source ends); may raise."""


@dataclass
class _Worker:
    camera: CameraConfig
    stop: threading.Event
    thread: threading.Thread
    failures: int = 0
    finished: bool = False
    backoff: Backoff = field(default_factory=Backoff)


class CameraSupervisor:
    """One thread per enabled camera, restarted with backoff when its runner raises.

    A runner that returns normally (a file ended) is not restarted. ``remove``/``update`` set the
    camera's stop event and join its thread; runners must watch the event (see
    ``scenes.pipeline.pipeline_runner``, which also closes a blocked source).
    """

    def __init__(
        self, runner: CameraRunner, backoff_factory: Callable[[], Backoff] = Backoff
    ) -> None:
        self._runner = runner
        self._backoff_factory = backoff_factory
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()

    def add(self, camera: CameraConfig) -> None:
        """Start ``camera`` (no thread when disabled); ``ValueError`` if its id is taken."""
        with self._lock:
            if camera.id in self._workers:
                raise ValueError(f"camera {camera.id!r} is already supervised")
            self._workers[camera.id] = self._start(camera)

    def update(self, camera: CameraConfig, timeout_s: float = 10.0) -> None:
        """Apply a new config: restart the camera if anything changed (add it if new)."""
        with self._lock:
            current = self._workers.get(camera.id)
            if current is not None and current.camera == camera:
                return
        if current is not None:
            self.remove(camera.id, timeout_s)
        self.add(camera)

    def remove(self, camera_id: str, timeout_s: float = 10.0) -> bool:
        """Stop and forget a camera; False when it was unknown or did not stop in time."""
        with self._lock:
            worker = self._workers.pop(camera_id, None)
        if worker is None:
            return False
        worker.stop.set()
        if worker.thread.ident is not None:
            worker.thread.join(timeout=timeout_s)
        return not worker.thread.is_alive()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop every camera."""
        for camera_id in self.camera_ids():
            self.remove(camera_id, timeout_s)

    def camera_ids(self) -> list[str]:
        """Supervised cameras (running or not)."""
        with self._lock:
            return sorted(self._workers)

    def is_running(self, camera_id: str) -> bool:
        """True while the camera's thread is alive."""
        with self._lock:
            worker = self._workers.get(camera_id)
        return worker is not None and worker.thread.is_alive()

    def failures(self, camera_id: str) -> int:
        """How many times the camera's runner raised."""
        with self._lock:
            worker = self._workers.get(camera_id)
        return 0 if worker is None else worker.failures

    def _start(self, camera: CameraConfig) -> _Worker:
        stop = threading.Event()
        worker = _Worker(camera, stop, threading.Thread(), backoff=self._backoff_factory())
        worker.thread = threading.Thread(
            target=self._loop, args=(worker,), name=f"camera-{camera.id}", daemon=True
        )
        if camera.enabled:
            worker.thread.start()
        return worker

    def _loop(self, worker: _Worker) -> None:
        while not worker.stop.is_set():
            try:
                self._runner(worker.camera, worker.stop)
            except Exception:
                worker.failures += 1
                delay_s = worker.backoff.next_delay_s()
                logger.exception(
                    "camera %s failed (%d); restart in %.1f s",
                    worker.camera.id,
                    worker.failures,
                    delay_s,
                )
                worker.stop.wait(delay_s)
                continue
            worker.finished = True
            return
