"""OpenCV (FFmpeg backend) frame sources: ``FileSource`` for files, ``StreamSource`` for RTSP and
HTTP(S) MJPEG/HLS, and ``open_source`` choosing between them from a ``CameraConfig``."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import cv2
import numpy as np

from scenes.config import CameraConfig
from scenes.sources import (
    Capture,
    Frame,
    FrameSource,
    HealthReporter,
    Image,
    SourceOptions,
    StreamOpener,
    is_live_url,
    redact_url,
)

logger = logging.getLogger(__name__)

_EPSILON_S = 1e-3
_WAIT_SLICE_S = 0.2
_RETRY_READ_S = 0.1


class FileSource:
    """A video file sampled at ``sample_fps`` using the stream's own timestamps.

    Frames between samples are grabbed but not decoded into images. Frame timestamps are the
    wall time at open plus the stream position, so rules see video time even when the file is
    processed faster than real time. A file that does not exist yet is retried with backoff.
    """

    def __init__(
        self, camera_id: str, url: str, sample_fps: float, options: SourceOptions | None = None
    ) -> None:
        self._opt = options or SourceOptions()
        self._url = url
        self._period_s = 1.0 / sample_fps
        self.health = HealthReporter(camera_id, self._opt.on_health)
        self._opener = StreamOpener(url, self.health, self._opt)
        self._capture: Capture | None = None
        self._started_at: datetime | None = None
        self._next_due_s = 0.0
        self._grabbed = 0
        self._delivered = 0
        self.skipped_frames = 0

    @property
    def dropped_frames(self) -> int:
        """Files never drop: the reader waits for the consumer."""
        return 0

    def read(self) -> Frame | None:
        """Return the next sampled frame, or None at end of file / when closed."""
        if self._capture is None and not self._open():
            return None
        assert self._capture is not None
        while not self._opener.closed.is_set():
            if not self._capture.grab():
                self.health.set("offline", "end of file")
                self.close()
                return None
            pos_s = self._position_s()
            if pos_s + _EPSILON_S < self._next_due_s:
                self.skipped_frames += 1
                continue
            ok, image = self._capture.retrieve()
            if not ok or image is None:
                self.skipped_frames += 1
                continue
            return self._deliver(image, pos_s)
        return None

    def close(self) -> None:
        """Release the file."""
        self._opener.closed.set()
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _open(self) -> bool:
        self._capture = self._opener.open()
        if self._capture is None:
            return False
        self._started_at = self._opt.clock.now()
        return True

    def _position_s(self) -> float:
        assert self._capture is not None
        self._grabbed += 1
        pos_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        if pos_ms > 0 or self._grabbed == 1:
            return max(pos_ms, 0.0) / 1000.0
        fps = self._capture.get(cv2.CAP_PROP_FPS) or 25.0
        return (self._grabbed - 1) / fps

    def _deliver(self, image: Image, pos_s: float) -> Frame:
        assert self._started_at is not None
        while self._next_due_s <= pos_s + _EPSILON_S:
            self._next_due_s += self._period_s
        timestamp = self._started_at + timedelta(seconds=pos_s)
        frame = Frame(np.asarray(image, dtype=np.uint8), timestamp, self._delivered, pos_s)
        self._delivered += 1
        self.health.frame(timestamp)
        return frame


class StreamSource:
    """A live stream: a reader thread keeps only the latest frame, ``read`` samples it at
    ``sample_fps``. Overwritten frames are counted as drops. Read failures reconnect with
    exponential backoff; no frame for ``stale_after_s`` reports the camera degraded.
    """

    def __init__(
        self, camera_id: str, url: str, sample_fps: float, options: SourceOptions | None = None
    ) -> None:
        self._opt = options or SourceOptions()
        self._period_s = 1.0 / sample_fps
        self.health = HealthReporter(camera_id, self._opt.on_health)
        self._opener = StreamOpener(url, self.health, self._opt)
        self._url = url
        self._lock = threading.Lock()
        self._fresh = threading.Condition(self._lock)
        self._latest: tuple[Image, datetime] | None = None
        self._unread = False
        self._next_due: datetime | None = None
        self._delivered = 0
        self._thread: threading.Thread | None = None

    @property
    def dropped_frames(self) -> int:
        """Frames overwritten before ``read`` took them."""
        return self.health.dropped_frames

    def start(self) -> None:
        """Start the reader thread (``read`` does it on first use)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._reader, name=f"stream-{self.health.camera_id}", daemon=True
            )
            self._thread.start()

    def read(self) -> Frame | None:
        """Wait for the next sample time and return the latest frame; None once closed."""
        self.start()
        self._wait_until_due()
        with self._fresh:
            while not self._unread and not self._opener.closed.is_set():
                if not self._fresh.wait(timeout=_WAIT_SLICE_S):
                    self._check_stale()
            if self._opener.closed.is_set() or self._latest is None:
                return None
            image, timestamp = self._latest
            self._unread = False
        self._next_due = timestamp + timedelta(seconds=self._period_s)
        frame = Frame(image, timestamp, self._delivered)
        self._delivered += 1
        return frame

    def close(self, join_timeout_s: float = 5.0) -> None:
        """Stop the reader and release the stream."""
        self._opener.closed.set()
        with self._fresh:
            self._fresh.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=join_timeout_s)

    def _wait_until_due(self) -> None:
        if self._next_due is None:
            return
        wait_s = (self._next_due - self._opt.clock.now()).total_seconds()
        if wait_s > 0:
            self._opt.sleep(wait_s)

    def _check_stale(self) -> None:
        last = self.health.last_frame_at
        if last is None or self.health.state != "online":
            return
        if (self._opt.clock.now() - last).total_seconds() > self._opt.stale_after_s:
            self.health.set("degraded", "no frames recently")

    def _reader(self) -> None:
        while not self._opener.closed.is_set():
            capture = self._opener.open()
            if capture is None:
                break
            try:
                self._pump(capture)
            except Exception:
                logger.exception("stream %s reader failed", redact_url(self._url))
            finally:
                capture.release()
        with self._fresh:
            self._fresh.notify_all()

    def _pump(self, capture: Capture) -> None:
        failures = 0
        while not self._opener.closed.is_set():
            ok, image = capture.read()
            if not ok or image is None:
                failures += 1
                self.health.set("degraded", f"{failures} failed reads")
                if failures >= self._opt.max_read_failures:
                    self.health.set("offline", "stream lost; reconnecting")
                    return
                self._opt.sleep(min(_RETRY_READ_S, self._period_s))
                continue
            failures = 0
            self._publish(np.asarray(image, dtype=np.uint8), self._opt.clock.now())

    def _publish(self, image: Image, at: datetime) -> None:
        with self._fresh:
            if self._unread:
                self.health.dropped_frames += 1
            self._latest, self._unread = (image, at), True
            self._fresh.notify_all()
        self.health.frame(at)


def open_source(camera: CameraConfig, options: SourceOptions | None = None) -> FrameSource:
    """Build the source for ``camera``: ``StreamSource`` for network URLs, else ``FileSource``."""
    if is_live_url(camera.source_url):
        return StreamSource(camera.id, camera.source_url, camera.sample_fps, options)
    return FileSource(camera.id, camera.source_url, camera.sample_fps, options)
