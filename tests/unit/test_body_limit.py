"""Oversized request bodies are refused before they are read: by declared length at once, by
counting when the body is streamed without a length."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.body_limit import (
    AREA_IMPORT_LIMIT_BYTES,
    DEFAULT_LIMIT_BYTES,
    UPLOAD_LIMIT_BYTES,
    BodyLimit,
    limit_for,
)
from api.errors import install_error_handlers


def _app(limit: int) -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    install_error_handlers(app)
    reached: list[int] = []

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        reached.append(1)
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimit, limit=lambda _path: limit)
    return app, reached


def _chunks(total: int, size: int = 100) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/me/cases/7/photos", UPLOAD_LIMIT_BYTES), ("/cases", DEFAULT_LIMIT_BYTES),
     ("/cameras/c/scene.yaml", DEFAULT_LIMIT_BYTES), ("/areas/import", AREA_IMPORT_LIMIT_BYTES)],
)  # fmt: skip
def test_limits_by_path(path: str, limit: int) -> None:
    assert limit_for(path) == limit


def test_declared_length_over_the_limit_is_refused_without_reaching_the_route() -> None:
    app, reached = _app(1000)
    with TestClient(app) as client:
        r = client.post("/echo", content=b"x" * 1001)
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    assert reached == []


def test_streamed_body_is_counted_and_refused_once_over() -> None:
    app, _ = _app(1000)
    with TestClient(app) as client:
        ok = client.post("/echo", content=_chunks(1000))
        big = client.post("/echo", content=_chunks(5000))
    assert ok.status_code == 200 and ok.json() == {"bytes": 1000}
    assert (big.status_code, big.json()["code"]) == (413, "too_large")
