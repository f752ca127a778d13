"""Browser tests: a real uvicorn server on a free loopback port (fresh SQLite DB, seeded demo
district, background loops running) and Debian's Chromium driven by Playwright, never a
downloaded browser. Every request the page makes is logged and must stay on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api import db
from api.app import create_app
from api.auth import create_user
from api.container import Container, build_container
from api.demo import demo_scene
from api.seed_data import DEMO_CAMERA_ID, DEMO_ORIGIN, demo_camera, seed_categories, seed_demo_city
from core.settings import Settings
from models import Scene
from tests.conftest import IN_CI, REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "e2e"
VENDOR_MARKER = REPO / "api" / "web" / "static" / "vendor" / ".complete"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WIDE = {"width": 1920, "height": 1080}


def _need(condition: bool, message: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{message}; CI must run the browser tests")
    pytest.skip(message)


def include_console(app: FastAPI) -> bool:
    """Include the console router unless ``create_app`` already does (transitional)."""
    from api.routes import console

    if any(getattr(route, "path", "") == "/console/" for route in app.router.routes):
        return False
    app.include_router(console.router)
    return True


@dataclass
class LiveServer:
    """The running service and the logins made for the tests."""

    base_url: str
    container: Container
    passwords: dict[str, str]
    console_wired_by_test: bool
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        """A bearer token for ``username`` (cached)."""
        if username not in self._tokens:
            response = httpx.post(
                f"{self.base_url}/auth/token",
                data={"username": username, "password": self.passwords[username]},
            )
            response.raise_for_status()
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]

    def call(self, method: str, path: str, username: str = "operator", **kw: Any) -> httpx.Response:
        """An authenticated API call."""
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return httpx.request(method, f"{self.base_url}{path}", headers=headers, timeout=10, **kw)

    def snapshot(self) -> dict[str, str]:
        """Write a small JPEG into the evidence folder; returns its EvidenceRef JSON."""
        import cv2
        import numpy as np

        image = np.full((180, 320, 3), (60, 90, 40), dtype=np.uint8)
        cv2.rectangle(image, (90, 60), (230, 140), (30, 160, 230), thickness=-1)
        ok, data = cv2.imencode(".jpg", image)
        assert ok
        relative = f"e2e/{uuid.uuid4().hex}.jpg"
        path = self.container.settings.resolved_evidence_dir() / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.tobytes())
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return {"kind": "snapshot", "path": relative, "sha256": digest, "media_type": "image/jpeg"}

    def post_event(
        self, *, dx_m: float = 0.0, dy_m: float = 0.0, ago_s: float = 5.0, evidence: bool = False
    ) -> str:
        """Post a camera scene event near the demo camera; returns its event id."""
        now = datetime.now(UTC)
        lon = DEMO_ORIGIN[0] + dx_m / 102_900.0  # metres per degree of longitude at 22.5 N
        lat = DEMO_ORIGIN[1] + 40.0 / 110_760.0 + dy_m / 110_760.0
        event = {
            "event_id": str(uuid.uuid4()), "source": "camera", "camera_id": DEMO_CAMERA_ID,
            "occurred_at": (now - timedelta(seconds=ago_s)).isoformat(),
            "detected_at": now.isoformat(), "rule_id": "restricted-entry",
            "category_code": "MT_RESTRICTED", "object_class": "muck_truck", "confidence": 0.9,
            "location": {"lon": lon, "lat": lat}, "description": "e2e: muck truck, restricted",
        }  # fmt: skip
        if evidence:
            event["evidence"] = [self.snapshot()]
        response = self.call("POST", "/events", json=event)
        assert response.status_code == 202, response.text
        return str(event["event_id"])


def _seed(container: Container, now: datetime) -> dict[str, str]:
    passwords = {"operator": secrets.token_urlsafe(18), "admin": secrets.token_urlsafe(18)}
    with container.sessions() as session:
        seed_categories(session)
        seed_demo_city(session, now)
        camera = demo_camera("var/demo/none.mp4", None, now)
        camera.health, camera.last_frame_at = "online", now
        session.add(camera)
        session.flush()
        config = demo_scene().model_dump(mode="json")
        session.add(Scene(id=config["id"], camera_id=DEMO_CAMERA_ID, config=config, updated_at=now))
        for username, password in passwords.items():
            create_user(session, username=username, password=password, role=username,  # type: ignore[arg-type]
                        staff_id=None, now=now)  # fmt: skip
        session.commit()
    container.locator.reload()
    return passwords


def _serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on a fresh SQLite DB with intake, offers and the live hub running."""
    _need(VENDOR_MARKER.exists(), "console vendor files missing: run scripts/install")
    var_dir = tmp_path_factory.mktemp("e2e-var")
    settings = Settings(  # no camera pipelines (the tests post scene events themselves) and no
        # SLA sweep, whose batch assignment would dispatch waiting cases behind the operator's back
        var_dir=var_dir,
        jwt_secret=secrets.token_urlsafe(32),
        run_cameras=False,
        sla_sweep_s=3600,
    )  # type: ignore[arg-type]
    db.upgrade(settings.resolved_database_url())
    container = build_container(settings)
    container.dispatch.auto_offer = False  # the operator dispatches by hand in these tests
    passwords = _seed(container, datetime.now(UTC))
    app = create_app(container, run_background=True)
    wired = include_console(app)
    server, thread, base_url = _serve(app)
    try:
        yield LiveServer(base_url, container, passwords, wired)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (no browser download)."""
    _need(CHROMIUM.exists(), f"{CHROMIUM} missing: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageLog:
    """What the page asked for and what went wrong in it."""

    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Requests that left 127.0.0.1 (data: and blob: URLs never leave the page)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            if parts.hostname != "127.0.0.1":
                out.append(url)
        return out


@pytest.fixture
def page_log() -> PageLog:
    """The request and error log of the test's page."""
    return PageLog()


@pytest.fixture
def page(browser: Any, live_server: LiveServer, page_log: PageLog) -> Iterator[Any]:
    """A fresh 1920x1080 page in its own context; no request may leave 127.0.0.1."""
    context = browser.new_context(viewport=WIDE, locale="zh-CN", base_url=live_server.base_url)
    context.on("request", lambda request: page_log.requests.append(request.url))
    page_ = context.new_page()
    page_.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    page_.set_default_timeout(10_000)
    yield page_
    context.close()
    assert page_log.foreign() == [], f"requests left 127.0.0.1: {page_log.foreign()}"
    assert page_log.page_errors == [], f"JavaScript errors: {page_log.page_errors}"


def screenshot(page: Any, name: str) -> Path:
    """Save a PNG under test-artifacts/e2e/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


READY = "body[data-ready='1'] #app:not([hidden]) #map.leaflet-container"


def login(page: Any, server: LiveServer, username: str = "operator") -> None:
    """Sign in through the form and wait until the console has loaded its data."""
    page.goto("/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.passwords[username])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(READY, state="attached")


def open_signed_in(
    page: Any, server: LiveServer, username: str = "operator", hash_: str = ""
) -> None:
    """Open the console with a token already in sessionStorage (as after a login in this tab)."""
    token = json.dumps(server.token(username))
    page.add_init_script(f"sessionStorage.setItem('smartscene.token', {token});")
    page.goto(f"/console/{hash_}")
    page.wait_for_selector(READY, state="attached")


def wait_until(page: Any, expression: str, timeout_s: float = 10.0) -> Any:
    """Poll a JS expression until truthy (``wait_for_function`` evals, which the page's CSP
    forbids; ``evaluate`` goes through the debugger protocol and is allowed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression!r} (last value {value!r})")
        time.sleep(0.05)
