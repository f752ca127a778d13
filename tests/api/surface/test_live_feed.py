"""The live feed end to end: WebSocket through a real uvicorn server, SSE through the app."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from api.live import boot_first_id
from api.seed_data import DEMO_ORIGIN
from tests.api.surface.conftest import LiveServer, Surface
from tests.conftest import T0


def scene_event(dx: float = 0.0) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()), "occurred_at": T0.isoformat(),
        "detected_at": T0.isoformat(), "rule_id": "uncovered", "category_code": "MT_UNSEALED",
        "location": {"lon": DEMO_ORIGIN[0] + 0.0003 + dx, "lat": DEMO_ORIGIN[1] + 0.0004},
    }  # fmt: skip


async def next_topic(ws: ClientConnection, topic: str, timeout_s: float) -> dict[str, Any]:
    """The next message of ``topic`` within ``timeout_s`` (others are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        left = deadline - asyncio.get_running_loop().time()
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), max(left, 0.001)))
        if message["topic"] == topic:
            return message


async def drain(ws: ClientConnection, quiet_s: float = 0.3) -> list[dict[str, Any]]:
    """Every message until ``quiet_s`` of silence."""
    out = []
    while True:
        try:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), quiet_s)))
        except TimeoutError:
            return out


def ws_url(server: LiveServer, who: str, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"token": server.tokens[who], **params}.items())
    return f"{server.ws_url}/live/ws?{query}"


def test_a_posted_event_reaches_a_websocket_client_within_a_second(
    live_server: LiveServer,
) -> None:
    async def scenario() -> tuple[dict[str, Any], float]:
        async with connect(ws_url(live_server, "operator")) as ws:
            hello = json.loads(await ws.recv())
            assert hello["topic"] == "hello" and hello["data"]["role"] == "operator"
            async with httpx.AsyncClient(base_url=live_server.base_url) as http:
                started = time.perf_counter()
                r = await http.post(
                    "/events", json=scene_event(), headers=live_server.as_("device")
                )
                assert r.status_code == 202, r.text
                update = await next_topic(ws, "case-updates", timeout_s=1.0)
                return update, time.perf_counter() - started

    update, elapsed_s = asyncio.run(scenario())
    assert update["data"]["category_code"] == "MT_UNSEALED" and update["data"]["case_id"] >= 1
    assert int(update["id"]) >= 1 and elapsed_s < 1.0


def test_resume_after_reconnect_loses_nothing(live_server: LiveServer) -> None:
    headers = live_server.as_("device")

    async def scenario() -> tuple[list[int], list[int], list[int]]:
        async with httpx.AsyncClient(base_url=live_server.base_url) as http:
            async with connect(ws_url(live_server, "admin", topics="camera-health")) as ws:
                await ws.recv()  # hello
                for n in range(3):
                    await http.put(
                        "/cameras/cam-r/health",
                        json={"health": "online", "detail": f"a{n}"},
                        headers=headers,
                    )
                first = [m for m in await drain(ws) if m["topic"] == "camera-health"]
            last_seen = int(first[-1]["id"])
            for n in range(4):  # published while nobody listens
                await http.put(
                    "/cameras/cam-r/health",
                    json={"health": "degraded", "detail": f"b{n}"},
                    headers=headers,
                )
            await asyncio.sleep(0.3)
            url = ws_url(live_server, "admin", topics="camera-health", last_event_id=last_seen)
            async with connect(url) as ws:
                await ws.recv()  # hello
                resumed = [m for m in await drain(ws) if m["topic"] == "camera-health"]
        details = [m["data"]["message"] for m in first + resumed]
        assert details == [f"a{n}" for n in range(3)] + [f"b{n}" for n in range(4)]
        return [int(m["id"]) for m in first], [int(m["id"]) for m in resumed], []

    _create_camera(live_server, "cam-r")
    first_ids, resumed_ids, _ = asyncio.run(scenario())
    assert resumed_ids == sorted(resumed_ids) and resumed_ids[0] > first_ids[-1]


def _create_camera(server: LiveServer, camera_id: str) -> None:
    body = {"id": camera_id, "name": camera_id, "source_url": "file:///dev/null"}
    r = httpx.post(f"{server.base_url}/cameras", json=body, headers=server.as_("admin"))
    assert r.status_code in (201, 409), r.text


def test_field_staff_see_only_their_own_cases_and_position(live_server: LiveServer) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        async with (
            connect(ws_url(live_server, "operator")) as ops,
            connect(ws_url(live_server, "field")) as staff2,
            connect(ws_url(live_server, "field1")) as staff1,
            httpx.AsyncClient(base_url=live_server.base_url) as http,
        ):
            for ws in (ops, staff2, staff1):
                await ws.recv()
            r = await http.post(
                "/events", json=scene_event(0.01), headers=live_server.as_("device")
            )
            assert r.status_code == 202
            fix = {"fixes": [{"lon": DEMO_ORIGIN[0], "lat": DEMO_ORIGIN[1], "at": T0.isoformat()}]}
            r = await http.post("/me/position", json=fix, headers=live_server.as_("field1"))
            assert r.status_code == 200, r.text
            return await drain(ops, 0.6), await drain(staff2, 0.3), await drain(staff1, 0.3)

    seen_ops, seen_2, seen_1 = asyncio.run(scenario())
    offered_to = _offer_holders(live_server, seen_ops)
    assert {m["topic"] for m in seen_ops} >= {"case-updates", "staff-positions"}
    for staff_id, seen in (("staff-2", seen_2), ("staff-1", seen_1)):
        case_ids = {m["data"]["case_id"] for m in seen if m["topic"] == "case-updates"}
        assert case_ids == {c for c, holders in offered_to.items() if staff_id in holders}
        positions = {m["data"]["staff_id"] for m in seen if m["topic"] == "staff-positions"}
        assert positions <= {staff_id}
    assert {m["data"]["staff_id"] for m in seen_1 if m["topic"] == "staff-positions"} == {"staff-1"}
    assert not [m for m in seen_2 if m["topic"] == "staff-positions"]


def _offer_holders(server: LiveServer, messages: list[dict[str, Any]]) -> dict[int, set[str]]:
    from sqlalchemy import select

    from models import Dispatch

    case_ids = {m["data"]["case_id"] for m in messages if m["topic"] == "case-updates"}
    with server.container.sessions() as s:
        rows = s.execute(
            select(Dispatch.case_id, Dispatch.staff_id).where(Dispatch.case_id.in_(case_ids))
        )
        holders: dict[int, set[str]] = {c: set() for c in case_ids}
        for case_id, staff_id in rows:
            holders[case_id].add(staff_id)
    assert any(holders.values()), "the new case should have been offered to someone"
    return holders


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 403), ("integrator", 403), ("forged", 403)]
)
def test_websocket_refuses_bad_or_unprivileged_callers(
    live_server: LiveServer, who: str, status: int
) -> None:
    fixed = {"anonymous": "", "forged": "not-a-jwt"}
    token = fixed[who] if who in fixed else live_server.tokens[who]

    async def scenario() -> int:
        try:
            async with connect(f"{live_server.ws_url}/live/ws?token={token}"):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    assert asyncio.run(scenario()) == status


def test_sse_replays_from_last_event_id_and_filters(surface: Surface) -> None:
    c = surface.client
    r = c.post("/events", json=scene_event(), headers=surface.as_("device"))
    assert r.status_code == 202
    surface.drain()
    fix = {"fixes": [{"lon": DEMO_ORIGIN[0], "lat": DEMO_ORIGIN[1], "at": T0.isoformat()}]}
    assert c.post("/me/position", json=fix, headers=surface.as_("field1")).status_code == 200
    surface.hub.pump()
    first, last = surface.hub.first_id, surface.hub.last_id
    assert first == boot_first_id(surface.container.clock.now()) > 0 and last >= first + 2
    frames = _sse(c, surface.tokens["operator"], f"?last_event_id={first}&max_s=0.3")
    events = [f for f in frames if f.get("event") in ("case-updates", "staff-positions")]
    assert [int(f["id"]) for f in events] == list(range(first + 1, last + 1))
    assert json.loads(events[0]["data"])["topic"] == events[0]["event"]
    resumed = _sse(c, surface.tokens["operator"], "?max_s=0.3", {"Last-Event-ID": str(first + 1)})
    assert [int(f["id"]) for f in resumed if "id" in f] == list(range(first + 2, last + 1))
    staff2 = _sse(c, surface.tokens["field"], f"?last_event_id={first}&max_s=0.3")
    assert not [f for f in staff2 if f.get("event") == "staff-positions"]


def _sse(
    client, token: str, query: str, headers: dict[str, str] | None = None
) -> list[dict[str, str]]:
    r = client.get(
        f"/live/sse{query}", headers={"Authorization": f"Bearer {token}", **(headers or {})}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    frames = []
    for block in r.text.split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if fields:
            frames.append(fields)
    return frames


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("", {}, 401),
        ("?token=garbage", {}, 401),
        ("?topics=nope", None, 422),
        ("?max_s=0", None, 422),
        ("?last_event_id=-1", None, 422),
    ],
)
def test_sse_rejects_bad_requests(
    surface: Surface, query: str, headers: dict[str, str] | None, status: int
) -> None:
    h = surface.as_("operator") if headers is None else headers
    r = surface.client.get(f"/live/sse{query}", headers=h)
    assert r.status_code == status and r.json()["code"]


def test_sse_refuses_integrators(surface: Surface) -> None:
    r = surface.client.get("/live/sse?max_s=0.1", headers=surface.as_("integrator"))
    assert r.status_code == 403
