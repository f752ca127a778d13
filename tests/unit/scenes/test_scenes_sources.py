"""Frame sources (files, live streams with fakes), backoff, health, and the camera supervisor."""

from __future__ import annotations

import itertools
import random
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scenes_fakes import T0, FakeCapture, write_video

from core.clock import ManualClock
from scenes.config import CameraConfig
from scenes.opencv_source import FileSource, StreamSource, open_source
from scenes.sources import Backoff, CameraHealth, SourceOptions, is_live_url, open_ffmpeg
from scenes.supervisor import CameraSupervisor


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [
        (0.0, [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]),
        (0.2, [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]),
    ],
)
def test_backoff_grows_caps_and_jitters(jitter: float, expected: list[float]) -> None:
    backoff = Backoff(initial_s=1.0, max_s=10.0, jitter_ratio=jitter, rng=random.Random(7))
    delays = [backoff.next_delay_s() for _ in expected]
    for got, base in zip(delays, expected, strict=True):
        assert base * (1 - jitter) - 1e-9 <= got <= min(10.0, base * (1 + jitter)) + 1e-9
    if jitter:
        assert len({round(d / b, 6) for d, b in zip(delays[:4], expected[:4], strict=True)}) > 1
    backoff.reset()
    assert backoff.next_delay_s() <= 1.0 * (1 + jitter)


@pytest.mark.parametrize(
    ("url", "live"),
    [("rtsp://h/s", True), ("https://h/a.m3u8", True), ("file:///a.mp4", False), ("a.mp4", False)],
)
def test_is_live_url(url: str, live: bool) -> None:
    assert is_live_url(url) is live
    camera = CameraConfig(id="c", name="c", source_url=url)
    assert isinstance(open_source(camera), StreamSource if live else FileSource)


@pytest.mark.parametrize(("sample_fps", "expected"), [(2.0, 6), (10.0, 30), (0.5, 2)])
def test_file_source_samples_on_stream_time(
    tmp_path: Path, sample_fps: float, expected: int
) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, n_frames=30, fps=10.0)
    clock = ManualClock(T0)
    source = FileSource("c", str(path), sample_fps, SourceOptions(clock=clock))
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    assert len(frames) == expected
    assert [f.index for f in frames] == list(range(expected))
    steps = {
        round((b.timestamp - a.timestamp).total_seconds(), 2) for a, b in itertools.pairwise(frames)
    }
    assert steps <= {round(1 / sample_fps, 2)}
    assert frames[0].timestamp == T0
    assert source.skipped_frames == 30 - expected
    assert source.read() is None


def test_file_that_appears_later_is_picked_up_with_backoff(tmp_path: Path) -> None:
    ready = tmp_path / "ready.mp4"
    write_video(ready, n_frames=5)
    target = tmp_path / "late.mp4"
    sleeps: list[float] = []
    health: list[CameraHealth] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            shutil.copy(ready, target)

    options = SourceOptions(
        clock=ManualClock(T0),
        sleep=fake_sleep,
        backoff=Backoff(initial_s=1.0, jitter_ratio=0.0),
        on_health=health.append,
    )
    source = FileSource("cam9", str(target), 10.0, options)
    frame = source.read()
    assert frame is not None
    assert sleeps == [1.0, 2.0, 4.0]
    assert [h.state for h in health] == ["online"]
    assert source.health.reconnects == 3


def test_file_that_never_appears_gives_up(tmp_path: Path) -> None:
    options = SourceOptions(sleep=lambda _: None, max_open_attempts=4)
    source = FileSource("c", str(tmp_path / "missing.mp4"), 1.0, options)
    assert source.read() is None
    assert source.health.state == "offline"


def test_open_ffmpeg_reads_a_file_url(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, n_frames=3)
    capture = open_ffmpeg(f"file://{path}")
    assert capture.isOpened()
    capture.release()


def _image(value: int) -> Any:
    return np.full((4, 4, 3), value, dtype=np.uint8)


def test_stream_latest_frame_wins_and_counts_drops() -> None:
    frames = [_image(v) for v in range(50)]
    capture = FakeCapture(frames, delay_s=0.001)
    options = SourceOptions(capture_factory=lambda _: capture, sleep=lambda _: None)
    source = StreamSource("c", "rtsp://x/y", 1.0, options)
    source.start()
    deadline = time.monotonic() + 5
    while capture.reads and time.monotonic() < deadline:
        time.sleep(0.01)
    frame = source.read()
    source.close()
    assert frame is not None
    assert int(frame.image[0, 0, 0]) == 49  # the newest, not the first
    assert source.dropped_frames == 49


def test_stream_reconnects_after_failed_reads_and_reports_health() -> None:
    captures = [
        FakeCapture([_image(1), None, None, None]),
        FakeCapture([], opened=False),
        FakeCapture([_image(2)] * 3, delay_s=0.01),
    ]
    health: list[str] = []
    sleeps: list[float] = []
    options = SourceOptions(
        capture_factory=lambda _: captures.pop(0) if captures else FakeCapture([], opened=False),
        sleep=sleeps.append,
        backoff=Backoff(initial_s=0.5, jitter_ratio=0.0),
        on_health=lambda h: health.append(h.state),
        max_read_failures=3,
    )
    source = StreamSource("c", "rtsp://x/y", 100.0, options)
    first = source.read()
    second = source.read()
    while second is not None and int(second.image[0, 0, 0]) != 2:
        second = source.read()
    source.close()
    assert first is not None and second is not None
    assert health[:4] == ["online", "degraded", "offline", "online"]
    assert 0.5 in sleeps
    assert source.health.reconnects >= 1


def test_closing_a_stream_unblocks_read() -> None:
    options = SourceOptions(
        capture_factory=lambda _: FakeCapture([], opened=False),
        sleep=lambda s: time.sleep(0.01),
    )
    source = StreamSource("c", "rtsp://dead/stream", 1.0, options)
    result: list[Any] = []
    reader = threading.Thread(target=lambda: result.append(source.read()))
    reader.start()
    time.sleep(0.1)
    source.close()
    reader.join(timeout=3)
    assert not reader.is_alive()
    assert result == [None]
    assert source.health.state == "offline"


class _HangingCapture:
    """Delivers one frame, then blocks in read() (a stream that silently stalls)."""

    def __init__(self) -> None:
        self.reads = [_image(1)]
        self.unblock = threading.Event()

    def isOpened(self) -> bool:
        return True

    def grab(self) -> bool:
        return False

    def retrieve(self) -> tuple[bool, Any]:
        return False, None

    def get(self, prop_id: int) -> float:
        return 0.0

    def release(self) -> None:
        self.unblock.set()

    def read(self) -> tuple[bool, Any]:
        if self.reads:
            return True, self.reads.pop(0)
        self.unblock.wait(timeout=5)
        return False, None


def test_stream_reports_degraded_when_frames_stop() -> None:
    clock = ManualClock(T0)
    capture = _HangingCapture()
    states: list[str] = []
    options = SourceOptions(
        capture_factory=lambda _: capture,
        clock=clock,
        stale_after_s=5.0,
        sleep=lambda _: None,
        on_health=lambda h: states.append(h.state),
    )
    source = StreamSource("c", "rtsp://x", 1.0, options)
    assert source.read() is not None
    clock.advance(10)
    reader = threading.Thread(target=source.read)
    reader.start()
    time.sleep(0.5)
    source.close(join_timeout_s=0.1)
    capture.unblock.set()
    reader.join(timeout=3)
    assert states[:2] == ["online", "degraded"]


def _camera(cid: str, **kw: Any) -> CameraConfig:
    return CameraConfig(id=cid, name=cid, source_url=f"{cid}.mp4", **kw)


def test_supervisor_isolates_failures_and_supports_add_update_remove() -> None:
    ticks: dict[str, int] = {}
    lock = threading.Lock()

    def runner(camera: CameraConfig, stop: threading.Event) -> None:
        if camera.id == "bad":
            raise RuntimeError("stream never opens")
        while not stop.wait(0.005):
            with lock:
                ticks[camera.id] = ticks.get(camera.id, 0) + 1

    sup = CameraSupervisor(runner, backoff_factory=lambda: Backoff(initial_s=0.01, max_s=0.02))
    sup.add(_camera("bad"))
    sup.add(_camera("good"))
    sup.add(_camera("off", enabled=False))
    with pytest.raises(ValueError, match="already"):
        sup.add(_camera("good"))
    time.sleep(0.2)
    assert sup.failures("bad") >= 2
    assert sup.is_running("good") and not sup.is_running("off")
    before = ticks["good"]
    sup.update(_camera("good", sample_fps=2.0))
    time.sleep(0.2)
    assert sup.is_running("good") and ticks["good"] > before
    assert sup.remove("bad") is True
    assert sup.camera_ids() == ["good", "off"]
    sup.stop()
    assert sup.camera_ids() == []
    assert sup.remove("ghost") is False


def test_supervisor_does_not_restart_a_finished_file() -> None:
    runs: list[str] = []
    sup = CameraSupervisor(lambda cam, stop: runs.append(cam.id))
    sup.add(_camera("f"))
    time.sleep(0.1)
    assert runs == ["f"]
    assert not sup.is_running("f")
    sup.stop()


def test_frame_timestamps_follow_the_stream_clock(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, n_frames=20, fps=10.0)
    source = FileSource("c", str(path), 1.0, SourceOptions(clock=ManualClock(T0)))
    frames = [source.read(), source.read()]
    assert [f.timestamp for f in frames if f] == [T0, T0 + timedelta(seconds=1)]
