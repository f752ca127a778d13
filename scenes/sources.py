"""Frame sources: files sampled on stream timestamps, live streams read by a latest-frame-wins
thread, both over OpenCV's FFmpeg backend, with reconnect (exponential backoff + jitter) and a
health state (online / degraded / offline) reported through a callback.

Time is injected (``clock``, ``sleep``) and so is the capture (``capture_factory``), so tests run
without cameras, networks or real waiting.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from core.clock import Clock, SystemClock

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
HealthState = Literal["online", "degraded", "offline"]
SleepFn = Callable[[float], None]


@dataclass(frozen=True)
class Frame:
    """One sampled frame."""

    image: Image
    timestamp: datetime
    """When the frame was captured (live) or start time + stream position (files), UTC."""
    index: int
    """Index among the frames this source delivered."""
    stream_pos_s: float | None = None
    """Position in the file, seconds (files only)."""


class FrameSource(Protocol):
    """Delivers sampled frames until it ends or is closed."""

    @property
    def dropped_frames(self) -> int:
        """Frames lost because the consumer was slower than the stream."""
        ...

    def read(self) -> Frame | None:
        """Return the next sampled frame, or None when the source ended or was closed."""
        ...

    def close(self) -> None:
        """Release the stream; a blocked ``read`` returns None."""
        ...


@dataclass(frozen=True)
class CameraHealth:
    """A camera's state as operators see it."""

    camera_id: str
    state: HealthState
    last_frame_at: datetime | None
    reconnects: int
    dropped_frames: int
    message: str = ""


HealthCallback = Callable[[CameraHealth], None]


class Capture(Protocol):
    """The subset of ``cv2.VideoCapture`` the sources use."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name
    def read(self) -> tuple[bool, Any]: ...
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, Any]: ...
    def get(self, prop_id: int) -> float: ...
    def release(self) -> None: ...


CaptureFactory = Callable[[str], Capture]


def open_ffmpeg(url: str, timeout_s: float = 10.0) -> Capture:
    """Open ``url`` with OpenCV's FFmpeg backend and open/read timeouts."""
    timeout_ms = int(timeout_s * 1000)
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        timeout_ms,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        timeout_ms,
    ]
    capture: Capture = cv2.VideoCapture(_strip_file_scheme(url), cv2.CAP_FFMPEG, params)
    return capture


def _strip_file_scheme(url: str) -> str:
    return url[len("file://") :] if url.startswith("file://") else url


def is_live_url(url: str) -> bool:
    """True for network streams (rtsp, http...), false for files and file:// URLs."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    return bool(match) and match is not None and match.group(1).lower() != "file"


@dataclass
class Backoff:
    """Exponential backoff with multiplicative jitter: initial, x factor ... capped at max."""

    initial_s: float = 1.0
    max_s: float = 60.0
    factor: float = 2.0
    jitter_ratio: float = 0.2
    rng: random.Random = field(default_factory=random.Random)
    _attempt: int = 0

    def next_delay_s(self) -> float:
        """Delay before the next attempt; grows until ``reset``."""
        base = min(self.max_s, self.initial_s * self.factor**self._attempt)
        self._attempt += 1
        jitter = 1.0 + self.jitter_ratio * (2.0 * self.rng.random() - 1.0)
        return max(0.0, min(self.max_s, base * jitter))

    def reset(self) -> None:
        """Start again from ``initial_s`` (after a success)."""
        self._attempt = 0


class HealthReporter:
    """Keeps a camera's health and calls back on every state change."""

    def __init__(self, camera_id: str, callback: HealthCallback | None) -> None:
        self.camera_id = camera_id
        self._callback = callback
        self.state: HealthState = "offline"
        self.last_frame_at: datetime | None = None
        self.reconnects = 0
        self.dropped_frames = 0
        self._lock = threading.Lock()

    def set(self, state: HealthState, message: str = "") -> None:
        """Move to ``state``; report when it changed."""
        with self._lock:
            changed, self.state = state != self.state, state
            snapshot = self.snapshot(message)
        if changed and self._callback is not None:
            try:
                self._callback(snapshot)
            except Exception:
                logger.exception("health callback failed for camera %s", self.camera_id)

    def frame(self, at: datetime) -> None:
        """A frame arrived."""
        self.last_frame_at = at
        if self.state != "online":
            self.set("online", "frames arriving")

    def snapshot(self, message: str = "") -> CameraHealth:
        """The current health."""
        return CameraHealth(
            self.camera_id,
            self.state,
            self.last_frame_at,
            self.reconnects,
            self.dropped_frames,
            message,
        )


@dataclass
class SourceOptions:
    """Injected collaborators and tuning shared by the sources."""

    clock: Clock = field(default_factory=SystemClock)
    sleep: SleepFn = time.sleep
    capture_factory: CaptureFactory = open_ffmpeg
    backoff: Backoff = field(default_factory=Backoff)
    on_health: HealthCallback | None = None
    max_open_attempts: int | None = None
    """Give up after this many failed opens (None = retry for ever)."""
    max_read_failures: int = 3
    """Consecutive failed reads before a live stream is reopened."""
    stale_after_s: float = 10.0
    """A live stream without frames this long is reported degraded."""


class StreamOpener:
    """Opens a capture with backoff and reports health; shared by the OpenCV sources."""

    def __init__(self, url: str, health: HealthReporter, options: SourceOptions) -> None:
        self._url = url
        self._health = health
        self._opt = options
        self.closed = threading.Event()

    def open(self) -> Capture | None:
        """Return an opened capture, or None when closed or out of attempts."""
        attempts = 0
        while not self.closed.is_set():
            capture = self._try_open()
            if capture is not None:
                self._opt.backoff.reset()
                return capture
            attempts += 1
            if self._opt.max_open_attempts is not None and attempts >= self._opt.max_open_attempts:
                self._health.set("offline", f"gave up after {attempts} attempts")
                return None
            delay_s = self._opt.backoff.next_delay_s()
            self._health.reconnects += 1
            self._health.set("offline", f"cannot open stream; retry in {delay_s:.1f} s")
            self._opt.sleep(delay_s)
        return None

    def _try_open(self) -> Capture | None:
        try:
            capture = self._opt.capture_factory(self._url)
        except Exception:
            logger.exception("opening %s failed", redact_url(self._url))
            return None
        if capture.isOpened():
            return capture
        capture.release()
        return None


def redact_url(url: str) -> str:
    """Hide credentials in URLs before logging them."""
    return re.sub(r"//[^/@]*@", "//***@", url)
