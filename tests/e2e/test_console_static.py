"""The console's serving, without a browser: page, static files, config, CSP, offline sources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routes.console import STATIC_DIR, WEB_DIR, content_security_policy, router

# URLs a browser would fetch from outside; the SVG namespace is an identifier, not a fetch.
EXTERNAL_URL = re.compile(r"(?<![\w.])(?:https?:)?//(?!www\.w3\.org/2000/svg)[\w.-]+\.[a-z]{2,}")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = FastAPI()
    app.state.container = type("C", (), {"settings": _settings()})()
    app.include_router(router)
    with TestClient(app) as client_:
        yield client_


def _settings() -> object:
    from core.settings import Settings

    return Settings()


@pytest.mark.parametrize(
    ("path", "status", "media"),
    [
        ("/console/", 200, "text/html"),
        ("/console/static/js/app.js", 200, "javascript"),
        ("/console/static/css/console.css", 200, "text/css"),
        ("/console/static/vendor/leaflet/leaflet.js", 200, "javascript"),
        ("/console/static/js/missing.js", 404, None),
        ("/console/static/..%2F..%2Froutes%2Fconsole.py", 404, None),  # no path traversal
        ("/console/static/%2e%2e/index.html", 404, None),
    ],
)
def test_console_files(client: TestClient, path: str, status: int, media: str | None) -> None:
    response = client.get(path)
    assert response.status_code == status, path
    if media:
        assert media in response.headers["content-type"]


def test_console_redirects_and_sends_a_strict_csp(client: TestClient) -> None:
    redirect = client.get("/console", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"] == "/console/"
    csp = client.get("/console/").headers["content-security-policy"]
    assert (
        "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    )


def test_config_defaults_to_no_tiles_in_wgs84(client: TestClient) -> None:
    config = client.get("/console/config.json").json()
    assert config["tile_url"] is None
    assert config["datum"] == "wgs84"
    assert config["vendor_ready"] is True
    assert config["center"] == pytest.approx([114.055, 22.542])


@pytest.mark.parametrize(
    ("tile_url", "img_src"),
    [
        (None, "img-src 'self' blob: data:;"),
        (
            "https://tiles.city.gov.cn/{z}/{x}/{y}.png",
            "img-src 'self' blob: data: https://tiles.city.gov.cn;",
        ),
        (
            "http://{s}.tile.local:8080/{z}/{x}/{y}.png",
            "img-src 'self' blob: data: http://*.tile.local:8080;",
        ),
        ("file:///srv/tiles/{z}/{x}/{y}.png", "img-src 'self' blob: data:;"),  # not a web origin
    ],
)
def test_csp_allows_only_the_configured_tile_server(tile_url: str | None, img_src: str) -> None:
    assert img_src in content_security_policy(tile_url) + ";"


def _sources() -> list[Path]:
    files = [WEB_DIR / "index.html"]
    files += sorted((STATIC_DIR / "js").glob("*.js")) + sorted((STATIC_DIR / "css").glob("*.css"))
    return files


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_console_sources_fetch_nothing_from_outside(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert EXTERNAL_URL.findall(text) == []
    assert "@import" not in text and "@font-face" not in text
