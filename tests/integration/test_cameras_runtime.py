"""Cameras running inside the service: a scene event from a real video file becomes a case,
health reaches the database, and a broken camera does not stop the others."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy.orm import Session

from api.cameras_runtime import CameraManager
from api.container import build_container
from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
from core.bus import CAMERA_CHANGES, SCENE_EVENTS, ConsumerLoop, InMemoryBus
from core.settings import Settings
from detectors.detections import Detections
from models import Camera, Case, Scene
from scenes.config import SceneConfig, Zone
from scenes.packs import muck_truck_pack
from scenes.sources import Backoff, SourceOptions
from tests.conftest import T0


class OneTruck:
    def detect(self, frames):
        return [
            Detections.from_arrays([[200, 150, 300, 300]], [0.9], [1], {0: "car", 1: "truck"})
            for _ in frames
        ]


class SameId:
    def update(self, detections, frame=None):
        return detections.with_tracker_ids(np.ones(len(detections), dtype=np.int64))


def _video(path: Path, frames: int = 40) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (640, 360))
    for n in range(frames):
        img = np.full((360, 640, 3), 90, np.uint8)
        cv2.rectangle(img, (200 + n, 150), (300 + n, 300), (40, 80, 160), -1)
        writer.write(img)
    writer.release()
    return path


def _scene(camera_id: str) -> dict:
    zone = Zone(id="z", polygon=[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])
    rules = muck_truck_pack(restricted_zone_id="z")
    return SceneConfig(
        id=f"s-{camera_id}", camera_id=camera_id, zones=[zone], rules=rules
    ).model_dump(mode="json")


def add_camera_with_scene(session: Session, cam_id: str, url: str) -> None:
    """A 5 fps camera at the demo origin with the one-zone scene of ``_scene``."""
    session.add(
        Camera(
            id=cam_id, name=cam_id, source_url=url, sample_fps=5, lon=DEMO_ORIGIN[0],
            lat=DEMO_ORIGIN[1], created_at=T0, updated_at=T0,
        )
    )  # fmt: skip
    session.flush()
    session.add(Scene(id=f"s-{cam_id}", camera_id=cam_id, config=_scene(cam_id), updated_at=T0))


@pytest.fixture
def container(sqlite_url: str, tmp_path: Path):
    c = build_container(Settings(var_dir=tmp_path, database_url=sqlite_url), bus=InMemoryBus())
    with c.sessions() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        good = _video(tmp_path / "good.mp4")
        for cam_id, url in (("good", str(good)), ("broken", str(tmp_path / "missing.mp4"))):
            add_camera_with_scene(s, cam_id, url)
        s.commit()
    c.locator.reload()
    yield c
    c.close()


def test_camera_events_become_cases_and_a_broken_camera_is_isolated(container) -> None:
    def options() -> SourceOptions:
        return SourceOptions(backoff=Backoff(initial_s=0.05, max_s=0.1), max_open_attempts=3)

    manager = CameraManager(
        container, detector_factory=OneTruck, tracker_factory=SameId, source_options=options
    )
    intake = ConsumerLoop(
        container.bus, SCENE_EVENTS, "dispatch", container.dispatch.handle_envelope
    )
    manager.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and manager.supervisor.is_running("good"):
            time.sleep(0.1)
        intake.drain()
        with container.sessions() as s:
            cases = s.query(Case).all()
            good, broken = s.get(Camera, "good"), s.get(Camera, "broken")
            assert {c.category_code for c in cases} == {"MT_RESTRICTED"}
            assert cases[0].camera_id == "good" and cases[0].state == "dispatched"
            assert good.last_frame_at is not None
            assert broken.health == "offline" and broken.last_frame_at is None
        # disabling a camera through the bus stops it
        with container.sessions() as s:
            s.get(Camera, "broken").enabled = False
            s.commit()
        container.bus.publish(CAMERA_CHANGES, {"camera_id": "broken", "change": "updated"})
        time.sleep(1.0)
        assert not manager.supervisor.is_running("broken")
    finally:
        manager.stop()


def test_the_latest_frame_is_served_as_jpeg(container) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_user

    manager = CameraManager(container, detector_factory=OneTruck, tracker_factory=SameId)
    container.background.append(manager)
    with container.sessions() as s:
        create_user(
            s,
            username="op",
            password="correct-horse-battery",
            role="operator",
            staff_id=None,
            now=T0,
        )
        s.commit()
    manager.start()
    deadline = time.monotonic() + 20
    while manager.latest_jpeg("good") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    client = TestClient(create_app(container, run_background=False))
    token = client.post(
        "/auth/token", data={"username": "op", "password": "correct-horse-battery"}
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    r = client.get("/cameras/good/frame", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content[:2] == b"\xff\xd8"  # JPEG magic
    assert client.get("/cameras/broken/frame", headers=auth).json()["code"] == "no_frame"
