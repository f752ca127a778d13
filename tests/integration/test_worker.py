"""Worker processes over real Redis: two camera shards on one database run each camera exactly
once, follow camera changes for their own cameras only, and one worker's intake files the
events of both; the command stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import api.runtime
from api.cameras_runtime import CameraManager
from api.container import Container
from api.seed_data import seed_categories, seed_demo_city
from api.worker import WorkerPlan, start_worker
from core.bus import CAMERA_CHANGES
from core.redis_bus import RedisStreamsBus
from core.settings import Settings
from core.sharding import Shard
from models.cases import SceneEventRecord
from models.engine import make_engine, make_session_factory
from tests.conftest import REDIS_URL, T0, service_unavailable
from tests.integration.test_cameras_runtime import OneTruck, SameId, _video, add_camera_with_scene

CAMERAS = [f"cam-{n}" for n in range(6)]
ADDED = [f"new-{n}" for n in range(6)]


def _add_cameras(url: str, ids: list[str], video: Path) -> None:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        for cam_id in ids:
            add_camera_with_scene(s, cam_id, str(video))
        s.commit()
    engine.dispose()


@pytest.fixture
def database(sqlite_url: str, tmp_path: Path) -> str:
    """One SQLite file shared by both workers: categories, the demo district, six cameras."""
    engine = make_engine(sqlite_url)
    with make_session_factory(engine)() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        s.commit()
    engine.dispose()
    _add_cameras(sqlite_url, CAMERAS, _video(tmp_path / "clip.mp4", frames=10))
    return sqlite_url


@pytest.fixture
def redis_buses() -> Iterator[Callable[[], RedisStreamsBus]]:
    """Makes Redis buses on one fresh key prefix, as separate processes would have."""
    prefix = f"test-worker-{uuid.uuid4().hex[:8]}:"
    first = RedisStreamsBus.from_url(REDIS_URL, prefix=prefix)
    try:
        first._r.ping()
    except Exception as exc:
        service_unavailable("Redis", exc)
    yield lambda: RedisStreamsBus.from_url(REDIS_URL, prefix=prefix)
    for key in first._r.scan_iter(f"{prefix}*"):
        first._r.delete(key)


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers' cameras use the fake detector and tracker, no motion gate."""
    monkeypatch.setattr(api.runtime, "detector_factory", lambda container: OneTruck)
    monkeypatch.setattr(api.runtime, "tracker_factory", SameId)
    monkeypatch.setattr(api.runtime, "gate_factory", lambda: None)


def _manager(container: Container) -> CameraManager:
    return next(b for b in container.background if isinstance(b, CameraManager))


def _wait(condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.redis
@pytest.mark.usefixtures("fake_models")
def test_two_shards_run_each_camera_once_and_share_the_intake(
    database: str, redis_buses: Callable[[], RedisStreamsBus], tmp_path: Path
) -> None:
    settings = Settings(
        var_dir=tmp_path,
        database_url=database,
        redis_url=REDIS_URL,
        load_classifier=tmp_path / "no-classifier.npz",
    )
    shards = [Shard(0, 2), Shard(1, 2)]
    plans = [WorkerPlan(intake=True, shard=shards[0]), WorkerPlan(shard=shards[1])]
    workers = [start_worker(settings, p, bus=redis_buses()) for p in plans]
    try:
        managers = [_manager(w) for w in workers]
        kinds = [[type(b).__name__ for b in w.background] for w in workers]
        assert kinds == [["ConsumerLoop", "CameraManager", "PeriodicTask"], ["CameraManager"]]
        ran = [set(m.supervisor.camera_ids()) for m in managers]
        assert all(ran), "both shards should own some of the six cameras"
        assert ran[0] | ran[1] == set(CAMERAS) and not ran[0] & ran[1]
        for shard, ids in zip(shards, ran, strict=True):
            assert ids == {c for c in CAMERAS if shard.owns(c)}

        # Shard 1 publishes, only shard 0 ingests: events of every camera reach the database.
        def filed() -> set[str | None]:
            with workers[0].sessions() as s:
                return {r.camera_id for r in s.query(SceneEventRecord)}

        assert _wait(lambda: filed() == set(CAMERAS)), filed()

        # The API adds cameras: each one starts in its own shard only.
        _add_cameras(database, ADDED, tmp_path / "clip.mp4")
        api_bus = redis_buses()
        for cam_id in ADDED:
            api_bus.publish(CAMERA_CHANGES, {"camera_id": cam_id, "change": "created"})
        expected = [{c for c in CAMERAS + ADDED if s.owns(c)} for s in shards]
        assert all(e - set(CAMERAS) for e in expected), "both shards should own added cameras"

        def running() -> list[set[str]]:
            return [set(m.supervisor.camera_ids()) for m in managers]

        assert _wait(lambda: running() == expected), running()
        time.sleep(0.5)  # a late start in the wrong shard would show now
        assert running() == expected
    finally:
        for w in workers:
            w.close()
    assert all(not m.supervisor.camera_ids() for m in managers)


def test_the_command_stops_cleanly_on_sigterm(sqlite_url: str, tmp_path: Path) -> None:
    """The real entry point, all parts on the in-process bus: it logs its plan, then exits 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTSCENE_")}
    env |= {
        "SMARTSCENE_DATABASE_URL": sqlite_url,
        "SMARTSCENE_VAR_DIR": str(tmp_path),
        "SMARTSCENE_LOAD_CLASSIFIER": str(tmp_path / "no-classifier.npz"),
    }
    cmd = [sys.executable, "-c", "from api.cli import main; main()", "worker", "--intake"]
    proc = subprocess.Popen(
        [*cmd, "--sweeps"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []

    def read() -> None:
        for line in proc.stderr or []:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        started = _wait(lambda: any("worker runs:" in line for line in lines), timeout_s=30)
        assert started, "".join(lines)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=5)
    log = "".join(lines)
    assert "runs: cameras (all), intake, sweeps; not: sensors; bus: in-process" in log
    assert "worker stopped" in log
