"""Refuse oversized request bodies before they are read or spooled to disk.

A declared ``Content-Length`` over the limit gets a 413 at once, without reading the body; a
chunked body is counted as it streams and the request fails with 413 as soon as it passes the
limit. Photo uploads and area imports get larger limits; everything else (JSON, YAML) 2 MB.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import ApiError, error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_LIMIT_BYTES = 2 * 1024 * 1024
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024 + 64 * 1024  # a 10 MB photo plus multipart framing
AREA_IMPORT_LIMIT_BYTES = 64 * 1024 * 1024  # a city's unit grid as GeoJSON


def limit_for(path: str) -> int:
    """The body limit of a request path: photos and area imports are the large bodies."""
    if path.endswith("/photos"):
        return UPLOAD_LIMIT_BYTES
    if path == "/areas/import":
        return AREA_IMPORT_LIMIT_BYTES
    return DEFAULT_LIMIT_BYTES


class BodyLimit:
    """ASGI middleware enforcing ``limit_for(path)`` on HTTP request bodies."""

    def __init__(self, app: ASGIApp, limit: Callable[[str], int] = limit_for) -> None:
        self.app, self._limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413 when its body is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(str(scope.get("path", "")))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        await self.app(scope, _counting(receive, limit), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise ApiError(413, "too_large", _message(limit))
        return message

    return wrapped


def _message(limit: int) -> str:
    return f"request body is limited to {limit} bytes"


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body("too_large", _message(limit))).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
