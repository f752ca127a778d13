"""``smartscene demo``: the whole loop on embedded defaults.

SQLite file, in-process bus, the demo district, a generated street video as the demo camera,
the shipped demo model; prints the API address and a one-time demo login.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import func, select

from api import db
from api.auth import create_user
from api.cameras_runtime import CameraManager
from api.container import Container, build_container
from api.seed_data import DEMO_CAMERA_ID, DEMO_ORIGIN, demo_camera, seed_categories, seed_demo_city
from core.logging import configure_logging
from core.settings import Settings
from gis.calibration import CameraCalibration
from gis.datums import LocalProjection
from models import Camera, Case, Scene, User
from scenes.config import SceneConfig, Zone
from scenes.packs import muck_truck_pack

logger = logging.getLogger(__name__)
DEMO_SCENE_ID = "demo-scene-1"
VIDEO_SIZE = (640, 360)
FAR_M = 80.0  # how far down the road the demo zone reaches


@dataclass
class DemoRun:
    """What the demo produced."""

    events: int
    cases: int


def _road_calibration_points_m() -> list[tuple[float, float]]:
    """The demo road's corners plus two points across it at 30 m (metres east, north of the
    camera; the road runs north), for the calibration fit."""
    from detectors.synth.ground import road_rect
    from detectors.synth.video import DEMO_LAYOUT, demo_camera

    road = road_rect(demo_camera(*VIDEO_SIZE), DEMO_LAYOUT, FAR_M)
    return [*road.corners_m, (road.x1_m, 30.0), (road.x2_m, 30.0)]


def demo_calibration() -> CameraCalibration:
    """The demo camera's pixel -> ground mapping from road points of the synthetic camera
    (exact: the generated street is a plane)."""
    from detectors.synth.ground import project_ground
    from detectors.synth.video import demo_camera

    points = _road_calibration_points_m()
    proj = LocalProjection.around(*DEMO_ORIGIN)
    x0, y0 = (float(v) for v in proj.to_metres(*DEMO_ORIGIN))
    lons, lats = proj.to_lonlat([x0 + x for x, _ in points], [y0 + z for _, z in points])
    world = list(zip(lons.tolist(), lats.tolist(), strict=True))
    return CameraCalibration.fit(project_ground(demo_camera(*VIDEO_SIZE), points), world)


def demo_road_zone() -> list[tuple[float, float]]:
    """The road polygon in relative image coordinates, clipped to the frame."""
    from detectors.synth.ground import image_polygon_rel, road_rect
    from detectors.synth.video import DEMO_LAYOUT, demo_camera

    cam = demo_camera(*VIDEO_SIZE)
    return image_polygon_rel(cam, road_rect(cam, DEMO_LAYOUT, FAR_M))


def demo_scene() -> SceneConfig:
    """The muck-truck pack on the demo road (closed to muck trucks at all hours)."""
    road = Zone(id="road", name="演示道路", polygon=demo_road_zone())
    restricted = Zone(id="restricted", name="禁行路段", polygon=demo_road_zone())
    rules = muck_truck_pack(restricted_zone_id="restricted", road_zone_id="road", calibrated=True)
    return SceneConfig(
        id=DEMO_SCENE_ID,
        camera_id=DEMO_CAMERA_ID,
        name="渣土车场景(演示)",
        zones=[road, restricted],
        rules=rules,
    )


def ensure_demo_video(settings: Settings, seconds: float = 20.0, fps: int = 10) -> Path:
    """Render the demo street video once (deterministic seed)."""
    from detectors.synth import render_demo_video

    path = settings.var_dir / "demo" / "demo_street.mp4"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        render_demo_video(
            path, seconds=seconds, fps=fps, seed=7, width=VIDEO_SIZE[0], height=VIDEO_SIZE[1]
        )
    return path


def prepare(container: Container, video: Path) -> dict[str, str]:
    """Seed data, the demo camera and scene, and demo logins (random, shown once)."""
    now = container.clock.now()
    creds: dict[str, str] = {}
    with container.sessions() as session:
        seed_categories(session)
        seed_demo_city(session, now)
        if session.get(Camera, DEMO_CAMERA_ID) is None:
            session.add(demo_camera(str(video), demo_calibration().to_dict(), now))
            session.flush()
            scene = demo_scene().model_dump(mode="json")
            session.add(
                Scene(id=DEMO_SCENE_ID, camera_id=DEMO_CAMERA_ID, config=scene, updated_at=now)
            )
        for username, role, staff in (
            ("demo-operator", "operator", None),
            ("demo-field", "field", "staff-1"),
        ):
            if session.scalar(select(User).where(User.username == username)) is None:
                password = secrets.token_urlsafe(12)
                create_user(
                    session,
                    username=username,
                    password=password,
                    role=role,  # type: ignore[arg-type]
                    staff_id=staff,
                    now=now,
                )
                creds[username] = password
        session.commit()
    container.locator.reload()
    return creds


def count_cases(container: Container) -> int:
    """Cases in the database."""
    with container.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def run_demo(settings: Settings, *, console: Console, exit_after: bool) -> DemoRun:
    """Set everything up, start the API (with intake, sweeps and the demo camera) and report."""
    configure_logging(settings.log_level)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    db.upgrade(settings.resolved_database_url())
    with console.status("rendering the demo street video..."):
        video = ensure_demo_video(settings)
    container = build_container(settings)
    creds = prepare(container, video)
    server, thread = _start_api(container)
    base = f"http://{settings.api_host}:{settings.api_port}"
    console.print(f"API      [bold]{base}[/]  (OpenAPI docs: {base}/docs)")
    console.print(f"live map [bold]{base}/console/[/]")
    for user, password in creds.items():
        console.print(f"demo login [bold]{user}[/] / [bold]{password}[/] (random, shown once)")
    with console.status("the demo camera is running..."):
        _wait_for_camera(container)
    result = DemoRun(events=_events_seen(container), cases=count_cases(container))
    console.print(f"demo camera: {result.events} scene events -> {result.cases} cases")
    if not exit_after:
        console.print("serving; Ctrl+C to stop")
        thread.join()
    server.should_exit = True
    thread.join(timeout=10)
    return result


def _wait_for_camera(container: Container, timeout_s: float = 600.0) -> None:
    """Until the demo video has been played and its events taken in."""
    deadline = time.monotonic() + timeout_s
    manager = None
    while time.monotonic() < deadline and manager is None:
        manager = next((b for b in container.background if isinstance(b, CameraManager)), None)
        time.sleep(0.2)
    while manager is not None and time.monotonic() < deadline:
        if not manager.supervisor.is_running(DEMO_CAMERA_ID):
            break
        time.sleep(0.5)
    seen = -1
    while time.monotonic() < deadline and seen != _events_seen(container):
        seen = _events_seen(container)
        time.sleep(1.5)


def _events_seen(container: Container) -> int:
    from models import SceneEventRecord

    with container.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SceneEventRecord)) or 0)


def _start_api(container: Container) -> tuple[Any, threading.Thread]:
    import uvicorn

    from api.app import create_app

    s = container.settings
    config = uvicorn.Config(
        create_app(container), host=s.api_host, port=s.api_port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    return server, thread
