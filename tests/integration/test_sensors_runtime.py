"""A JT/T 808 terminal inside a restricted zone becomes a located case through the service."""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from shapely.geometry import box

from api.container import build_container
from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
from api.sensors_runtime import SensorRuntime
from core.bus import SCENE_EVENTS, ConsumerLoop, InMemoryBus
from core.clock import ManualClock
from core.settings import Settings
from models import Area, Case
from scenes.sensors.jt808_encode import location_frame, make_location
from tests.conftest import T0


@pytest.fixture
def runtime(sqlite_url: str, tmp_path: Path):
    settings = Settings(
        var_dir=tmp_path,
        database_url=sqlite_url,
        jt808_host="127.0.0.1",
        jt808_port=0,
        jt808_require_auth=False,
    )
    clock = ManualClock(T0)
    container = build_container(settings, clock=clock, bus=InMemoryBus())
    lon, lat = DEMO_ORIGIN
    with container.sessions() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        zone = box(lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002).wkt
        s.add(
            Area(
                id="no-trucks",
                kind="restricted",
                code="R1",
                name="禁行区",
                geom_wkt=zone,
                imported_at=T0,
            )
        )
        s.commit()
    container.locator.reload()
    sensors = SensorRuntime(container)
    sensors.start()
    yield container, sensors
    sensors.stop()
    container.close()


def test_truck_fixes_in_a_restricted_zone_make_one_case(runtime) -> None:
    container, sensors = runtime
    assert sensors.address is not None
    frames = [
        location_frame(
            "013912345678",
            n,
            make_location(
                lon=DEMO_ORIGIN[0] + 0.0001 * n,
                lat=DEMO_ORIGIN[1],
                at=T0 + timedelta(seconds=10 * n),
                speed_kmh=30,
            ),
        )
        for n in range(6)
    ]
    with socket.create_connection(sensors.address, timeout=5) as conn:
        for frame in frames:
            conn.sendall(frame)
            conn.recv(64)  # the platform's 0x8001 answer
    intake = ConsumerLoop(
        container.bus, SCENE_EVENTS, "dispatch", container.dispatch.handle_envelope
    )
    deadline = time.monotonic() + 5
    while intake.drain() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    with container.sessions() as s:
        cases = s.query(Case).all()
    assert [(c.category_code, c.source) for c in cases] == [("MT_RESTRICTED", "sensor")]
    assert cases[0].grid_id is not None and cases[0].unit_id == "unit-ztb"
