"""The event-bus port, its in-process adapter and a consumer loop.

Semantics follow Redis Streams so both adapters behave alike: ``publish`` appends to a topic,
each consumer *group* sees every message once, a message stays pending until acknowledged,
messages that fail ``max_attempts`` times go to ``<topic>.dead``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)

SCENE_EVENTS = "scene-events"
CASE_UPDATES = "case-updates"
CAMERA_HEALTH = "camera-health"
STAFF_POSITIONS = "staff-positions"
CAMERA_CHANGES = "camera-changes"


@dataclass(frozen=True)
class Envelope:
    """One message as read from a topic."""

    id: str
    topic: str
    payload: dict[str, Any]
    deliveries: int = 1


class EventBus(Protocol):
    """Append-only topics with consumer groups."""

    def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Append a JSON-serialisable payload; return the message id."""
        ...

    def read(
        self, topic: str, group: str, consumer: str, *, count: int = 10, block_s: float = 0.0
    ) -> list[Envelope]:
        """Return new or reclaimed messages for ``group``; they stay pending until acked."""
        ...

    def ack(self, topic: str, group: str, message_ids: list[str]) -> None:
        """Mark messages handled for ``group``."""
        ...


@dataclass
class _Group:
    offset: int = 0
    pending: dict[int, int] = field(default_factory=dict)  # message index -> deliveries


class InMemoryBus:
    """A thread-safe bus inside one process: the embedded default."""

    def __init__(self, max_len: int = 100_000) -> None:
        self._log: dict[str, list[dict[str, Any]]] = {}
        self._base: dict[str, int] = {}
        self._groups: dict[tuple[str, str], _Group] = {}
        self._cond = threading.Condition()
        self._max_len = max_len

    def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Append a payload (round-tripped through JSON, as Redis would)."""
        body = json.loads(json.dumps(payload, default=str))
        with self._cond:
            log = self._log.setdefault(topic, [])
            log.append(body)
            base = self._base.setdefault(topic, 0)
            msg_id = str(base + len(log) - 1)
            if len(log) > self._max_len:
                drop = len(log) - self._max_len
                del log[:drop]
                self._base[topic] = base + drop
            self._cond.notify_all()
        return msg_id

    def read(
        self, topic: str, group: str, consumer: str, *, count: int = 10, block_s: float = 0.0
    ) -> list[Envelope]:
        """Redeliver unacked messages first, then new ones, waiting up to ``block_s``."""
        with self._cond:
            out = self._take(topic, group, count)
            if not out and block_s > 0:
                self._cond.wait(timeout=block_s)
                out = self._take(topic, group, count)
            return out

    def _take(self, topic: str, group: str, count: int) -> list[Envelope]:
        state = self._groups.setdefault((topic, group), _Group(offset=self._base.get(topic, 0)))
        log = self._log.get(topic, [])
        base = self._base.get(topic, 0)
        out: list[Envelope] = []
        for idx in list(state.pending)[:count]:
            if idx - base < 0:
                state.pending.pop(idx)
                continue
            state.pending[idx] += 1
            out.append(Envelope(str(idx), topic, log[idx - base], state.pending[idx]))
        state.offset = max(state.offset, base)
        while len(out) < count and state.offset - base < len(log):
            idx = state.offset
            state.offset += 1
            state.pending[idx] = 1
            out.append(Envelope(str(idx), topic, log[idx - base], 1))
        return out

    def ack(self, topic: str, group: str, message_ids: list[str]) -> None:
        """Forget acknowledged messages."""
        with self._cond:
            state = self._groups.setdefault((topic, group), _Group())
            for mid in message_ids:
                state.pending.pop(int(mid), None)


Handler = Callable[[Envelope], None]


class ConsumerLoop:
    """Reads a topic for one group, calls the handler, acks after success.

    A message whose handler raises is retried; after ``max_attempts`` it is published to the
    dead-letter topic ``<topic>.dead`` with the error, acked, and counted.
    """

    def __init__(
        self,
        bus: EventBus,
        topic: str,
        group: str,
        handler: Handler,
        *,
        consumer: str = "c1",
        max_attempts: int = 3,
    ) -> None:
        self.bus, self.topic, self.group, self.handler = bus, topic, group, handler
        self.consumer, self.max_attempts = consumer, max_attempts
        self.handled = 0
        self.dead = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self, block_s: float = 0.0) -> int:
        """Handle one batch; return how many messages were processed."""
        batch = self.bus.read(self.topic, self.group, self.consumer, count=50, block_s=block_s)
        for env in batch:
            self._handle(env)
        return len(batch)

    def _handle(self, env: Envelope) -> None:
        try:
            self.handler(env)
        except Exception as exc:
            logger.exception(
                "handler failed on %s/%s (delivery %d)", env.topic, env.id, env.deliveries
            )
            if env.deliveries < self.max_attempts:
                return
            self.bus.publish(
                f"{env.topic}.dead", {"id": env.id, "error": repr(exc), "payload": env.payload}
            )
            self.dead += 1
        else:
            self.handled += 1
        self.bus.ack(env.topic, self.group, [env.id])

    def drain(self, max_rounds: int = 1000) -> int:
        """Process until nothing is left (tests, demo); return messages seen."""
        total = 0
        for _ in range(max_rounds):
            n = self.poll_once()
            if n == 0:
                break
            total += n
        return total

    def start(self) -> None:
        """Run in a daemon thread until ``stop``."""
        self._thread = threading.Thread(
            target=self._run, name=f"consumer-{self.topic}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(block_s=0.5)
            except Exception:  # the bus itself failed (e.g. Redis restart): back off, retry
                logger.exception("bus read failed on %s", self.topic)
                self._stop.wait(1.0)

    def stop(self) -> None:
        """Ask the loop to finish and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
