"""Evidence for scene events: an annotated JPEG snapshot and a short mp4 clip around the event.

Design choice: an event is held back until its clip is complete, then published once with both
references (``EvidenceRef`` needs the file's hash, which exists only after the clip is written).
The clip completes synchronously inside ``add_frame`` as soon as a frame ``post_s`` after the
trigger arrives (stream time), or when ``max_wait_s`` of wall time passed (a stalled stream), or
at ``flush``. This delays publication by about ``post_s`` (5 s by default), well inside the
3-minute discovery target, and needs no extra thread. With ``post_s = 0`` events are published
on their own frame. If writing fails the event is published without evidence, never dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from core.clock import Clock, SystemClock
from scenes.events import EvidenceRef, SceneEvent

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]
_BOX_COLOUR = (0, 0, 255)


@dataclass
class _Pending:
    event: SceneEvent
    trigger_at: datetime
    deadline: datetime
    refs: list[EvidenceRef]
    frames: list[tuple[datetime, Image]] = field(default_factory=list)


class EvidenceStore:
    """Writes evidence under ``root``; keeps a per-camera ring buffer of recent frames."""

    def __init__(
        self,
        root: Path,
        *,
        pre_s: float = 5.0,
        post_s: float = 5.0,
        max_width_px: int = 960,
        jpeg_quality: int = 90,
        max_wait_s: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.root = root
        self._pre = timedelta(seconds=pre_s)
        self._post = timedelta(seconds=post_s)
        self._max_width_px = max_width_px
        self._jpeg_quality = jpeg_quality
        self._max_wait = timedelta(seconds=max_wait_s if max_wait_s is not None else 3 * post_s + 5)
        self._clock: Clock = clock or SystemClock()
        self._rings: dict[str, deque[tuple[datetime, Image]]] = {}
        self._pending: dict[str, list[_Pending]] = {}

    @property
    def pending_count(self) -> int:
        """Events waiting for their clip."""
        return sum(len(p) for p in self._pending.values())

    def add_frame(self, camera_id: str, timestamp: datetime, image: Image) -> list[SceneEvent]:
        """Buffer a frame; return events whose clip just completed (with evidence attached)."""
        small = self._shrink(image)
        ring = self._rings.setdefault(camera_id, deque())
        ring.append((timestamp, small))
        while ring and (timestamp - ring[0][0] > self._pre or ring[0][0] > timestamp):
            ring.popleft()
        done: list[SceneEvent] = []
        now = self._clock.now()
        keep: list[_Pending] = []
        for pending in self._pending.get(camera_id, []):
            if timestamp > pending.trigger_at:
                pending.frames.append((timestamp, small))
            if timestamp >= pending.trigger_at + self._post or now >= pending.deadline:
                done.append(self._finish(pending))
            else:
                keep.append(pending)
        self._pending[camera_id] = keep
        return done

    def begin(
        self, event: SceneEvent, image: Image, box_xyxy_px: Box | None, frame_at: datetime
    ) -> SceneEvent | None:
        """Snapshot now and start the clip; returns the event at once when ``post_s`` is 0.

        Call after ``add_frame`` for the same frame. Returns None while the clip is pending.
        """
        camera_id = event.camera_id or "unknown"
        refs: list[EvidenceRef] = []
        try:
            refs.append(self._write_snapshot(event, image, box_xyxy_px))
        except (OSError, cv2.error):
            logger.exception("snapshot for event %s failed", event.event_id)
        ring = self._rings.get(camera_id, deque())
        before = [(t, img) for t, img in ring if frame_at - self._pre <= t <= frame_at]
        pending = _Pending(event, frame_at, self._clock.now() + self._max_wait, refs, before)
        if self._post <= timedelta(0):
            return self._finish(pending)
        self._pending.setdefault(camera_id, []).append(pending)
        return None

    def flush(self, camera_id: str | None = None) -> list[SceneEvent]:
        """Finish every pending clip now (end of stream, shutdown)."""
        cameras = [camera_id] if camera_id is not None else list(self._pending)
        done: list[SceneEvent] = []
        for cam in cameras:
            done += [self._finish(p) for p in self._pending.pop(cam, [])]
        return done

    def _finish(self, pending: _Pending) -> SceneEvent:
        refs = list(pending.refs)
        try:
            if pending.frames:
                refs.append(self._write_clip(pending.event, pending.frames))
        except (OSError, cv2.error):
            logger.exception("clip for event %s failed", pending.event.event_id)
        return pending.event.model_copy(update={"evidence": [*pending.event.evidence, *refs]})

    def _shrink(self, image: Image) -> Image:
        height, width = image.shape[:2]
        if width <= self._max_width_px:
            return image.copy()
        scale = self._max_width_px / width
        size = (self._max_width_px, max(1, round(height * scale)))
        return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)

    def _relative(self, event: SceneEvent, suffix: str) -> Path:
        day = event.detected_at.strftime("%Y-%m-%d")
        return Path(event.camera_id or "unknown") / day / f"{event.event_id.hex}{suffix}"

    def _write_snapshot(self, event: SceneEvent, image: Image, box: Box | None) -> EvidenceRef:
        annotated = image.copy()
        if box is not None:
            x1, y1, x2, y2 = (round(v) for v in box)
            cv2.rectangle(annotated, (x1, y1), (x2, y2), _BOX_COLOUR, 2)
            label = f"{event.category_code} {event.object_class or ''} {event.track_id or ''}"
            cv2.putText(
                annotated, label, (x1, max(12, y1 - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                _BOX_COLOUR, 1, cv2.LINE_AA,
            )  # fmt: skip
        ok, encoded = cv2.imencode(
            ".jpg", annotated, [cv2.IMWRITE_JPEG_QUALITY, self._jpeg_quality]
        )
        if not ok:
            raise OSError("JPEG encoding failed")
        data = encoded.tobytes()
        relative = self._relative(event, "-snapshot.jpg")
        _atomic_write(self.root / relative, data)
        return EvidenceRef(
            kind="snapshot",
            path=relative.as_posix(),
            sha256=hashlib.sha256(data).hexdigest(),
            media_type="image/jpeg",
        )

    def _write_clip(self, event: SceneEvent, frames: list[tuple[datetime, Image]]) -> EvidenceRef:
        relative = self._relative(event, "-clip.mp4")
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.stem}.tmp.mp4")
        height, width = frames[0][1].shape[:2]
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(tmp), fourcc, _clip_fps(frames), (width, height))
        if not writer.isOpened():
            raise OSError(f"cannot open a video writer for {tmp}")
        try:
            for _, image in frames:
                if image.shape[:2] != (height, width):
                    image = np.asarray(cv2.resize(image, (width, height)), dtype=np.uint8)
                writer.write(image)
        finally:
            writer.release()
        os.replace(tmp, target)
        return EvidenceRef(
            kind="clip",
            path=relative.as_posix(),
            sha256=sha256_file(target),
            media_type="video/mp4",
        )


def _clip_fps(frames: list[tuple[datetime, Image]]) -> float:
    """Playback rate matching the frames' real spacing (1 fps when unknown)."""
    span_s = (frames[-1][0] - frames[0][0]).total_seconds()
    if len(frames) < 2 or span_s <= 0:
        return 1.0
    return max(0.5, min(60.0, (len(frames) - 1) / span_s))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
