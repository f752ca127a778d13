"""The same contract for the in-process bus and the Redis Streams adapter (real Redis)."""

from __future__ import annotations

import time
import uuid

import pytest

from core.bus import ConsumerLoop, Envelope, InMemoryBus
from tests.conftest import REDIS_URL, service_unavailable


@pytest.fixture(params=["memory", "redis"])
def bus(request: pytest.FixtureRequest):
    if request.param == "memory":
        yield InMemoryBus()
        return
    from core.redis_bus import RedisStreamsBus

    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    bus = RedisStreamsBus.from_url(REDIS_URL, prefix=prefix, claim_idle_s=0.2)
    try:
        bus._r.ping()
    except Exception as exc:
        service_unavailable("Redis", exc)
    yield bus
    for key in bus._r.scan_iter(f"{prefix}*"):
        bus._r.delete(key)


def test_each_group_gets_every_message_once_in_order(bus) -> None:
    for n in range(5):
        bus.publish("t", {"n": n})
    for group in ("a", "b"):
        got = bus.read("t", group, "c1", count=10)
        assert [e.payload["n"] for e in got] == [0, 1, 2, 3, 4]
        bus.ack("t", group, [e.id for e in got])
        assert bus.read("t", group, "c1", count=10) == []


def test_unacked_messages_are_delivered_again(bus) -> None:
    bus.publish("t", {"n": 1})
    first = bus.read("t", "g", "c1")
    assert len(first) == 1
    time.sleep(0.3)  # past the Redis adapter's claim idle time
    again = bus.read("t", "g", "c2")
    assert [e.payload for e in again] == [{"n": 1}]
    assert again[0].deliveries >= 2


def test_consumer_dead_letters_a_poison_message_and_keeps_going(bus) -> None:
    seen: list[int] = []

    def handler(env: Envelope) -> None:
        if env.payload["n"] == 2:
            raise ValueError("poison")
        seen.append(env.payload["n"])

    loop = ConsumerLoop(bus, "t", "g", handler, max_attempts=2)
    for n in range(4):
        bus.publish("t", {"n": n})
    for _ in range(6):
        loop.poll_once()
        time.sleep(0.25)
    assert seen == [0, 1, 3]
    assert loop.dead == 1
    dead = bus.read("t.dead", "inspect", "c1")
    assert dead[0].payload["payload"] == {"n": 2} and "poison" in dead[0].payload["error"]
