"""The live hub without HTTP: visibility rules, fan-out, replay and slow clients."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from api.live import LiveEvent, LiveHub, Subscription, Viewer, boot_first_id, visible
from core.bus import CAMERA_HEALTH, CASE_UPDATES, STAFF_POSITIONS, InMemoryBus

CASE_OF_S1 = LiveEvent.make(1, CASE_UPDATES, {"case_id": 1}, frozenset({"s1"}))
POS_OF_S1 = LiveEvent.make(2, STAFF_POSITIONS, {"staff_id": "s1"})
HEALTH = LiveEvent.make(3, CAMERA_HEALTH, {"camera_id": "c1"})
ALL = frozenset({CASE_UPDATES, CAMERA_HEALTH, STAFF_POSITIONS})


@pytest.mark.parametrize(
    ("viewer", "event", "seen"),
    [
        (Viewer("operator"), CASE_OF_S1, True),
        (Viewer("manager"), POS_OF_S1, True),
        (Viewer("admin"), HEALTH, True),
        (Viewer("field", "s1"), CASE_OF_S1, True),
        (Viewer("field", "s2"), CASE_OF_S1, False),
        (Viewer("field", "s1"), POS_OF_S1, True),
        (Viewer("field", "s2"), POS_OF_S1, False),
        (Viewer("field", "s1"), HEALTH, False),
        (Viewer("field", None), CASE_OF_S1, False),
        (Viewer("integrator"), CASE_OF_S1, False),
        (Viewer("device"), HEALTH, False),
        (Viewer("operator", None, frozenset({CAMERA_HEALTH})), CASE_OF_S1, False),
        (Viewer("operator", None, frozenset({CAMERA_HEALTH})), HEALTH, True),
    ],
)
def test_visibility(viewer: Viewer, event: LiveEvent, seen: bool) -> None:
    assert visible(viewer, event) is seen


async def _collect(sub: Subscription, n: int, timeout_s: float = 1.0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(n):
        event = await sub.next_event(timeout_s)
        assert event is not None, f"only {len(out)} of {n} events arrived"
        out.append(json.loads(event.wire))
    return out


def test_fan_out_replay_and_audience_memory() -> None:
    bus = InMemoryBus()
    audience = {1: frozenset({"s1"}), 2: frozenset()}
    hub = LiveHub(bus, audience=lambda d: audience[d["case_id"]])

    async def scenario() -> None:
        ops, worker = hub.subscribe(Viewer("operator")), hub.subscribe(Viewer("field", "s1"))
        bus.publish(CASE_UPDATES, {"case_id": 1, "state": "dispatched"})
        bus.publish(STAFF_POSITIONS, {"staff_id": "s2", "lon": 1, "lat": 2})
        assert hub.pump() == 2
        audience[1] = frozenset({"s2"})  # reassigned: s1 still hears that it left, once
        bus.publish(CASE_UPDATES, {"case_id": 1, "state": "dispatched"})
        bus.publish(CASE_UPDATES, {"case_id": 1, "state": "accepted"})
        assert hub.pump() == 2
        seen_ops = await _collect(ops, 4)
        assert [m["id"] for m in seen_ops] == ["1", "2", "3", "4"]
        assert [m["topic"] for m in seen_ops] == [CASE_UPDATES, STAFF_POSITIONS] + [
            CASE_UPDATES
        ] * 2
        seen_worker = await _collect(worker, 2)
        assert [m["data"].get("state") for m in seen_worker] == ["dispatched", "dispatched"]
        assert await worker.next_event(0.05) is None
        late = hub.subscribe(Viewer("operator"), last_event_id=2)
        replayed = await _collect(late, 2)
        assert [m["id"] for m in replayed] == ["3", "4"]

    asyncio.run(scenario())


def test_slow_client_drops_oldest_and_gets_resync() -> None:
    bus = InMemoryBus()
    hub = LiveHub(bus, client_queue_size=3)

    async def scenario() -> None:
        slow = hub.subscribe(Viewer("admin"))
        for n in range(10):
            bus.publish(CAMERA_HEALTH, {"camera_id": f"c{n}"})
        hub.pump()
        await asyncio.sleep(0)  # let the loop run the queued offers
        first = await _collect(slow, 4)
        assert first[0]["topic"] == "resync" and first[0]["data"]["dropped"] == 7
        assert [m["data"]["camera_id"] for m in first[1:]] == ["c7", "c8", "c9"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("last_event_id", "expect_resync"),
    [(0, True), (2, False), (5, False), (6, True)],  # buffer holds ids 3..5
)
def test_replay_gap_asks_for_resync(last_event_id: int, expect_resync: bool) -> None:
    bus = InMemoryBus()
    hub = LiveHub(bus, replay_size=3)
    for n in range(5):
        bus.publish(CAMERA_HEALTH, {"n": n})
    hub.pump()

    async def scenario() -> list[str]:
        sub = hub.subscribe(Viewer("admin"), last_event_id=last_event_id)
        topics = []
        while (event := await sub.next_event(0.01)) is not None:
            topics.append(event.topic)
        return topics

    topics = asyncio.run(scenario())
    if expect_resync:
        assert topics == ["resync"]
    else:
        assert topics == [CAMERA_HEALTH] * (5 - last_event_id)


def test_ids_kept_from_before_a_restart_get_a_resync_not_a_wrong_replay() -> None:
    bus = InMemoryBus()
    before = LiveHub(bus, first_id=boot_first_id(datetime(2026, 11, 22, 8, 0, tzinfo=UTC)))
    after = LiveHub(bus, first_id=boot_first_id(datetime(2026, 11, 22, 8, 0, 1, tzinfo=UTC)))
    for n in range(3):
        bus.publish(CAMERA_HEALTH, {"n": n})
    before.pump()
    kept = before.last_id  # what a browser holds when the server restarts
    for n in range(3):
        bus.publish(CAMERA_HEALTH, {"n": n})
    after.pump()
    assert after.last_id > kept  # the new process's ids are all newer

    async def scenario() -> list[str]:
        sub = after.subscribe(Viewer("admin"), last_event_id=kept)
        return [e.topic for e in [await sub.next_event(0.01)] if e is not None]

    assert asyncio.run(scenario()) == ["resync"]


def test_reader_thread_delivers_and_skips_backlog() -> None:
    bus = InMemoryBus()
    bus.publish(CAMERA_HEALTH, {"old": True})
    hub = LiveHub(bus)

    async def scenario() -> dict[str, Any]:
        sub = hub.subscribe(Viewer("admin"))
        hub.start(block_s=0.05)
        try:
            bus.publish(CAMERA_HEALTH, {"old": False})
            event = await sub.next_event(2.0)
            assert event is not None
            message: dict[str, Any] = json.loads(event.wire)
            return message
        finally:
            hub.stop()

    message = asyncio.run(scenario())
    assert message["data"] == {"old": False} and message["id"] == "1"
    assert not hub.running
