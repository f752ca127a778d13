"""An app on a real database with seeded demo data and users of every role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_api_key, create_user
from api.container import build_container
from api.seed_data import seed_categories, seed_demo_city
from core.bus import SCENE_EVENTS, ConsumerLoop, InMemoryBus
from core.clock import ManualClock
from core.settings import Settings
from tests.conftest import T0

PASSWORD = "correct-horse-battery"
ROLES = ["admin", "operator", "field", "manager", "integrator"]


@dataclass
class Api:
    client: TestClient
    clock: ManualClock
    intake: ConsumerLoop
    tokens: dict[str, str]
    device_key: str

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def api(db_url: str, tmp_path: Path):
    settings = Settings(var_dir=tmp_path, database_url=db_url)
    clock = ManualClock(T0)
    container = build_container(settings, clock=clock, bus=InMemoryBus())
    with container.sessions() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        for role in ROLES:
            create_user(
                s,
                username=role,
                password=PASSWORD,
                role=role,  # type: ignore[arg-type]
                staff_id="staff-2" if role == "field" else None,
                now=T0,
            )
        create_user(
            s, username="field1", password=PASSWORD, role="field", staff_id="staff-1", now=T0
        )
        _, key = create_api_key(s, name="cam", role="device", now=T0)
        s.commit()
    container.locator.reload()
    app = create_app(container, run_background=False)
    intake = ConsumerLoop(
        container.bus, SCENE_EVENTS, "dispatch", container.dispatch.handle_envelope
    )
    with TestClient(app) as client:
        tokens = {}
        for name in [*ROLES, "field1"]:
            r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[name] = r.json()["access_token"]
        yield Api(client, clock, intake, tokens, key)
