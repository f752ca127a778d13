"""Fast fixtures for the API-surface tests.

A migrated and seeded SQLite database is built once per session and copied for each test;
tokens are issued directly (no argon2 login per test). ``db_surface`` also runs on a real
PostgreSQL. ``live_server`` runs the app with its background loops under uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import create_api_key, hash_password, issue_token
from api.container import Container, build_container
from api.live import LiveHub
from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
from core.bus import SCENE_EVENTS, ConsumerLoop, InMemoryBus
from core.clock import ManualClock
from core.settings import Settings
from models import Base, User
from tests.conftest import T0

SECRET = "surface-tests-secret-0123456789abcdef"
USERS = {"admin": None, "operator": None, "manager": None, "integrator": None,
         "field": "staff-2", "field1": "staff-1"}  # fmt: skip


def seed_everything(url: str, password_hash: str) -> dict[str, str]:
    """Categories, the demo city, one user per role and API keys; returns the plain keys."""
    engine = create_engine(url)
    with Session(engine) as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        for name, staff_id in USERS.items():
            role = "field" if staff_id else name
            s.add(User(id=f"u-{name}", username=name, password_hash=password_hash, role=role,
                       staff_id=staff_id, created_at=T0))  # fmt: skip
        _, device = create_api_key(s, name="cam", role="device", now=T0)
        _, integrator = create_api_key(s, name="citizen-app", role="integrator", now=T0)
        s.commit()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return {"device": device, "integrator": integrator}


def scene_event(
    category: str = "MT_UNSEALED", lonlat: tuple[float, float] | None = None, **over: Any
) -> dict[str, Any]:
    """A scene-event body near the demo camera (or at ``lonlat``; ``None`` keeps it unlocated)."""
    lon, lat = lonlat or (DEMO_ORIGIN[0] + 0.0003, DEMO_ORIGIN[1] + 0.0004)
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()), "occurred_at": T0.isoformat(),
        "detected_at": T0.isoformat(), "rule_id": "r", "category_code": category,
        "location": {"lon": lon, "lat": lat},
    }  # fmt: skip
    body.update(over)
    return body


@dataclass
class Template:
    path: Path
    keys: dict[str, str]


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password("correct-horse-battery")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Template:
    from api import db

    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    return Template(path, seed_everything(url, password_hash))


@dataclass
class Surface:
    """A running app (TestClient), its container, clock, hub and credentials."""

    client: TestClient
    app: FastAPI
    container: Container
    clock: ManualClock
    intake: ConsumerLoop
    tokens: dict[str, str]
    keys: dict[str, str]
    user_ids: dict[str, str] = field(default_factory=dict)

    @property
    def hub(self) -> LiveHub:
        hub: LiveHub = self.app.state.live_hub
        return hub

    def as_(self, who: str) -> dict[str, str]:
        """Headers for a user role, or ``device``/``integrator_key`` for API keys."""
        if who == "device":
            return {"X-API-Key": self.keys["device"]}
        if who == "integrator_key":
            return {"X-API-Key": self.keys["integrator"]}
        if who == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def drain(self) -> None:
        """Run intake, then let the hub fan out what it published."""
        self.intake.drain()
        self.hub.pump()


def make_container(url: str, var_dir: Path, **settings: Any) -> tuple[Container, ManualClock]:
    conf = Settings(var_dir=var_dir, database_url=url, jwt_secret=SecretStr(SECRET),
                    run_cameras=False, **settings)  # fmt: skip
    clock = ManualClock(T0)
    return build_container(conf, clock=clock, bus=InMemoryBus()), clock


def tokens_for(container: Container) -> dict[str, str]:
    with container.sessions() as s:
        users = s.scalars(select(User)).all()
        return {u.username: issue_token(u, secret=SECRET, now=T0, ttl_s=8 * 3600) for u in users}


def _surface(url: str, var_dir: Path, keys: dict[str, str]) -> Iterator[Surface]:
    container, clock = make_container(url, var_dir)
    app = create_app(container, run_background=False)
    intake = ConsumerLoop(
        container.bus, SCENE_EVENTS, "dispatch", container.dispatch.handle_envelope
    )
    with TestClient(app) as client:
        yield Surface(client, app, container, clock, intake, tokens_for(container), keys)


@pytest.fixture
def surface(template: Template, tmp_path: Path) -> Iterator[Surface]:
    """The app on a fresh copy of the seeded SQLite template."""
    copy = tmp_path / "db.sqlite"
    shutil.copy(template.path, copy)
    yield from _surface(f"sqlite:///{copy}", tmp_path, template.keys)


@pytest.fixture
def pg_surface(migrated_pg: str, tmp_path: Path, password_hash: str) -> Iterator[Surface]:
    """The app on the session's PostgreSQL, emptied and seeded for this test."""
    engine = create_engine(migrated_pg)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    keys = seed_everything(migrated_pg, password_hash)
    yield from _surface(migrated_pg, tmp_path, keys)


@pytest.fixture(params=["sqlite", "postgres"])
def db_surface(request: pytest.FixtureRequest) -> Surface:
    """Both databases."""
    name = "surface" if request.param == "sqlite" else "pg_surface"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@dataclass
class LiveServer:
    """The app under uvicorn on 127.0.0.1 with its background loops running."""

    base_url: str
    ws_url: str
    container: Container
    app: FastAPI
    tokens: dict[str, str]
    keys: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        if who == "device":
            return {"X-API-Key": self.keys["device"]}
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One real server per test module (SQLite copy, in-process bus, background loops on)."""
    var_dir = tmp_path_factory.mktemp("live")
    copy = var_dir / "db.sqlite"
    shutil.copy(template.path, copy)
    container, _ = make_container(f"sqlite:///{copy}", var_dir)
    app = create_app(container, run_background=True)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", container, app,
                         tokens_for(container), template.keys)  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=10)
