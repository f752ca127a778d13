"""The live feed over WebSocket (``/live/ws``) and Server-Sent Events (``/live/sse``).

Browsers cannot set headers on a WebSocket, so both endpoints accept the JWT as ``?token=`` as
well as in the ``Authorization`` header. Messages are ``{"id", "topic", "data"}`` JSON; the first
one is a ``hello`` carrying the current event id; a ``resync`` tells the client it lost messages
and should reload over REST. Reconnect with ``?last_event_id=N`` (SSE: ``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from api.auth import Principal, decode_token
from api.container import Container
from api.errors import ApiError
from api.live import LIVE_ROLES, LIVE_TOPICS, LiveEvent, LiveHub, Subscription, Viewer

router = APIRouter(prefix="/live", tags=["live"])
KEEPALIVE_S = 15.0
WS_UNAUTHORIZED, WS_FORBIDDEN = 4401, 4403

TopicsQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description=f"Comma-separated topics (default all): {', '.join(LIVE_TOPICS)}.",
    ),
]
LastIdQuery = Annotated[
    int | None, Query(ge=0, le=2**62, description="Resume after this event id.")
]
TokenQuery = Annotated[
    str | None, Query(max_length=4096, description="JWT, for clients that cannot set headers.")
]


def _principal(container: Container, authorization: str | None, token: str | None) -> Principal:
    """The caller from a bearer header or the ``token`` parameter; 401/403 otherwise."""
    raw = token
    if authorization and authorization.lower().startswith("bearer "):
        raw = authorization[7:].strip()
    principal = (
        decode_token(raw, secret=container.jwt_secret, now=container.clock.now()) if raw else None
    )
    if principal is None:
        raise ApiError(401, "unauthorized", "a valid token is needed for the live feed")
    if principal.role not in LIVE_ROLES:
        raise ApiError(403, "forbidden", f"role {principal.role!r} may not watch the live feed")
    return principal


def _viewer(principal: Principal, topics: str | None) -> Viewer:
    wanted = frozenset(LIVE_TOPICS)
    if topics:
        wanted = frozenset(t.strip() for t in topics.split(",") if t.strip())
        unknown = wanted - set(LIVE_TOPICS)
        if unknown:
            raise ApiError(422, "unknown_topic", f"unknown topics: {', '.join(sorted(unknown))}")
    return Viewer(principal.role, principal.staff_id, wanted)


def _hello(hub: LiveHub, viewer: Viewer) -> str:
    data = {"role": viewer.role, "staff_id": viewer.staff_id, "topics": sorted(viewer.topics)}
    return json.dumps({"id": str(hub.last_id), "topic": "hello", "data": data})


@router.websocket("/ws")
async def live_ws(
    websocket: WebSocket,
    token: TokenQuery = None,
    last_event_id: LastIdQuery = None,
    topics: TopicsQuery = None,
) -> None:
    """Stream live events; the close code is 4401 without a valid token, 4403 for other roles."""
    container: Container = websocket.app.state.container
    hub: LiveHub = websocket.app.state.live_hub
    try:
        principal = _principal(container, websocket.headers.get("authorization"), token)
        viewer = _viewer(principal, topics)
    except ApiError as exc:
        code = {401: WS_UNAUTHORIZED, 403: WS_FORBIDDEN}.get(exc.status, 1008)
        await websocket.close(code=code, reason=exc.message[:120])
        return
    await websocket.accept()
    sub = hub.subscribe(viewer, last_event_id)
    try:
        await websocket.send_text(_hello(hub, viewer))
        await _pipe_ws(websocket, sub)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)


async def _pipe_ws(websocket: WebSocket, sub: Subscription) -> None:
    """Send events until the client goes away (its frames are read only to see the close)."""
    closed = asyncio.ensure_future(_wait_closed(websocket, sub))
    try:
        while not closed.done():
            event = await sub.next_event(KEEPALIVE_S)
            text = event.wire if event else json.dumps({"id": None, "topic": "ping", "data": {}})
            await websocket.send_text(text)
    finally:
        closed.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await closed


async def _wait_closed(websocket: WebSocket, sub: Subscription) -> None:
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    finally:
        sub.interrupt()


@router.get(
    "/sse",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream."}},
)
async def live_sse(
    request: Request,
    token: TokenQuery = None,
    last_event_id: LastIdQuery = None,
    topics: TopicsQuery = None,
    max_s: Annotated[
        float, Query(gt=0, le=3600, description="Close after this many seconds; clients reconnect.")
    ] = 300.0,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", include_in_schema=False)
    ] = None,
) -> StreamingResponse:
    """The live feed as Server-Sent Events (``id``, ``event`` = topic, ``data`` = JSON)."""
    container: Container = request.app.state.container
    hub: LiveHub = request.app.state.live_hub
    viewer = _viewer(_principal(container, authorization, token), topics)
    resume = last_event_id
    if resume is None and last_event_id_header and last_event_id_header.isdigit():
        resume = int(last_event_id_header)
    sub = hub.subscribe(viewer, resume)
    return StreamingResponse(
        _sse_stream(request, hub, sub, max_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _sse_stream(
    request: Request, hub: LiveHub, sub: Subscription, max_s: float
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    try:
        yield "retry: 2000\n\n"
        yield f"event: hello\ndata: {_hello(hub, sub.viewer)}\n\n"
        while (left := deadline - loop.time()) > 0:
            event = await sub.next_event(min(KEEPALIVE_S, left))
            if event is None:
                if await request.is_disconnected():
                    return
                yield ": keepalive\n\n"
                continue
            yield _sse_frame(event)
    finally:
        hub.unsubscribe(sub)


def _sse_frame(event: LiveEvent) -> str:
    id_line = f"id: {event.id}\n" if event.id else ""
    return f"{id_line}event: {event.topic}\ndata: {event.wire}\n\n"
