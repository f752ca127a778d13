"""The live feed hub: reads the bus once, fans out to many WebSocket/SSE clients.

One consumer group per hub (per API process) sees every ``case-updates``, ``camera-health`` and
``staff-positions`` message. Each message gets a monotonic event id, goes into a bounded replay
buffer (so a reconnect with ``last_event_id`` loses nothing still in the buffer) and is offered
to every subscriber's bounded queue; a slow subscriber loses its oldest messages and is told to
``resync`` (reload state over REST). Who sees what is decided per subscriber by :func:`visible`.

The hub reads in a thread (:meth:`LiveHub.start`) or synchronously (:meth:`LiveHub.pump`) and
hands messages to each subscriber on the subscriber's own asyncio loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.bus import CAMERA_HEALTH, CASE_UPDATES, STAFF_POSITIONS, EventBus
from core.clock import ensure_utc
from models import Dispatch

logger = logging.getLogger(__name__)

LIVE_TOPICS: tuple[str, ...] = (CASE_UPDATES, CAMERA_HEALTH, STAFF_POSITIONS)
FULL_VIEW_ROLES = frozenset({"admin", "operator", "manager"})
LIVE_ROLES = FULL_VIEW_ROLES | {"field"}
RESYNC = "resync"
AudienceFn = Callable[[Mapping[str, Any]], frozenset[str]]


@dataclass(frozen=True)
class LiveEvent:
    """One message of the feed; ``audience`` lists the field staff allowed to see it."""

    id: int
    topic: str
    data: dict[str, Any]
    audience: frozenset[str] = frozenset()
    wire: str = ""

    @classmethod
    def make(
        cls, id_: int, topic: str, data: dict[str, Any], audience: frozenset[str] = frozenset()
    ) -> LiveEvent:
        """An event with its JSON text rendered once for every client."""
        wire = json.dumps({"id": str(id_), "topic": topic, "data": data}, ensure_ascii=False)
        return cls(id_, topic, data, audience, wire)


_WAKE = LiveEvent(0, "", {}, frozenset(), "")


@dataclass(frozen=True)
class Viewer:
    """Who is watching: role, staff id (field staff) and the topics wanted."""

    role: str
    staff_id: str | None = None
    topics: frozenset[str] = frozenset(LIVE_TOPICS)


def visible(viewer: Viewer, event: LiveEvent) -> bool:
    """Whether ``viewer`` may see ``event``: field staff see their own cases and position only."""
    if event.topic not in viewer.topics:
        return False
    if viewer.role in FULL_VIEW_ROLES:
        return True
    if viewer.role != "field" or viewer.staff_id is None:
        return False
    if event.topic == CASE_UPDATES:
        return viewer.staff_id in event.audience
    if event.topic == STAFF_POSITIONS:
        return event.data.get("staff_id") == viewer.staff_id
    return False


@dataclass(eq=False)
class Subscription:
    """One connected client: a bounded queue on the client's event loop."""

    viewer: Viewer
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LiveEvent]
    backlog: list[LiveEvent] = field(default_factory=list)
    dropped: int = 0
    resync_reason: str | None = None

    def interrupt(self) -> None:
        """Wake a pending :meth:`next_event` (it returns None): the client went away."""
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(_WAKE)

    def offer(self, event: LiveEvent) -> None:
        """Queue an event (on the subscriber's loop); drop the oldest when full."""
        if not visible(self.viewer, event):
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            self.resync_reason = "slow_client"
        self.queue.put_nowait(event)

    async def next_event(self, timeout_s: float) -> LiveEvent | None:
        """The next event to send (a ``resync`` first after losses), None after a silence."""
        if self.resync_reason is not None:
            return self._take_resync()
        if self.backlog:
            return self.backlog.pop(0)
        if not self.queue.empty():  # the hot path: no timer, no task
            event = self.queue.get_nowait()
        else:
            try:
                event = await asyncio.wait_for(self.queue.get(), timeout_s)
            except TimeoutError:
                return None
        if event is _WAKE:
            return None
        if self.resync_reason is not None:  # an overflow happened while we waited
            self.backlog.insert(0, event)
            return self._take_resync()
        return event

    def _take_resync(self) -> LiveEvent:
        body = {"reason": self.resync_reason, "dropped": self.dropped}
        self.resync_reason, self.dropped = None, 0
        wire = json.dumps({"id": None, "topic": RESYNC, "data": body})
        return LiveEvent(0, RESYNC, body, frozenset(), wire)


def boot_first_id(started_at: datetime) -> int:
    """First event id of a hub started at ``started_at``: milliseconds since 1970 x 1000, above
    every id an earlier process could have reached unless it sent 1000 events per millisecond
    of its life (and below 2**53, so browsers hold it exactly, until the year 2255)."""
    return int(ensure_utc(started_at).timestamp() * 1000) * 1000


class LiveHub:
    """Reads the live topics from the bus with its own consumer group and fans them out."""

    def __init__(
        self,
        bus: EventBus,
        *,
        audience: AudienceFn | None = None,
        replay_size: int = 5000,
        client_queue_size: int = 1000,
        group: str | None = None,
        topics: tuple[str, ...] = LIVE_TOPICS,
        first_id: int = 0,
    ) -> None:
        """``first_id``: ids count up from here; the app passes one derived from its start time
        so that ids a client kept from before a restart are older than every new one and get a
        resync instead of a wrong replay (``boot_first_id``)."""
        self.bus, self.topics = bus, topics
        self.group = group or f"live-{uuid.uuid4().hex[:12]}"
        self._audience = audience or _assigned_only
        self._replay: deque[LiveEvent] = deque(maxlen=replay_size)
        self._queue_size = client_queue_size
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self.first_id = first_id
        self._last_id = first_id
        self._last_audience: OrderedDict[Any, frozenset[str]] = OrderedDict()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def last_id(self) -> int:
        """The id of the newest event so far (``first_id`` before any)."""
        return self._last_id

    @property
    def running(self) -> bool:
        """True while the reader thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def subscriber_count(self) -> int:
        """Clients connected now."""
        return len(self._subs)

    def pump(self, block_s: float = 0.0) -> int:
        """Read each topic once (blocking up to ``block_s`` when all are empty) and fan out."""
        total = 0
        for topic in self.topics:
            total += self._pump_topic(topic, 0.0)
        if total == 0 and block_s > 0:
            total += self._pump_topic(self.topics[0], block_s)
        return total

    def _pump_topic(self, topic: str, block_s: float) -> int:
        batch = self.bus.read(topic, self.group, "hub", count=200, block_s=block_s)
        if not batch:
            return 0
        self._fan_out([self._number(topic, dict(env.payload)) for env in batch])
        self.bus.ack(topic, self.group, [env.id for env in batch])
        return len(batch)

    def publish_local(self, topic: str, data: dict[str, Any]) -> LiveEvent:
        """Number, buffer and fan out one message (bypassing the bus)."""
        event = self._number(topic, data)
        self._fan_out([event])
        return event

    def _number(self, topic: str, data: dict[str, Any]) -> LiveEvent:
        audience = self._audience_of(topic, data)
        with self._lock:
            self._last_id += 1
            event = LiveEvent.make(self._last_id, topic, data, audience)
            self._replay.append(event)
        return event

    def _fan_out(self, events: list[LiveEvent]) -> None:
        """One wake-up per client event loop per batch, not one per client and message."""
        with self._lock:
            by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
            for sub in self._subs:
                by_loop.setdefault(sub.loop, []).append(sub)
        for loop, subs in by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, subs, events)
            except RuntimeError:  # that loop is closed: its clients are gone
                with self._lock:
                    self._subs.difference_update(subs)

    def _audience_of(self, topic: str, data: Mapping[str, Any]) -> frozenset[str]:
        if topic != CASE_UPDATES:
            return frozenset()
        try:
            now = self._audience(data)
        except Exception:  # never lose the event because the lookup failed
            logger.exception("audience lookup failed for %s", data.get("case_id"))
            now = _assigned_only(data)
        key = data.get("case_id")
        before = self._last_audience.pop(key, frozenset())
        self._last_audience[key] = now
        if len(self._last_audience) > 10_000:
            self._last_audience.popitem(last=False)
        return now | before  # the worker who just lost a case still hears that it left

    def subscribe(self, viewer: Viewer, last_event_id: int | None = None) -> Subscription:
        """Register a client (call on the client's event loop); replays what it missed."""
        sub = Subscription(viewer, asyncio.get_running_loop(), asyncio.Queue(self._queue_size))
        with self._lock:
            if last_event_id is not None:
                self._replay_into(sub, last_event_id)
            self._subs.add(sub)
        return sub

    def _replay_into(self, sub: Subscription, last_event_id: int) -> None:
        oldest = self._replay[0].id if self._replay else self._last_id + 1
        if last_event_id > self._last_id or last_event_id < oldest - 1:
            sub.resync_reason = "replay_gap"  # evicted, or ids from before a restart
            return
        sub.backlog = [e for e in self._replay if e.id > last_event_id and visible(sub.viewer, e)]

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a client."""
        with self._lock:
            self._subs.discard(sub)

    def skip_backlog(self) -> int:
        """Acknowledge what was published before this hub started, without sending it."""
        skipped = 0
        for topic in self.topics:
            while batch := self.bus.read(topic, self.group, "hub", count=500):
                self.bus.ack(topic, self.group, [env.id for env in batch])
                skipped += len(batch)
        return skipped

    def start(self, *, skip_backlog: bool = True, block_s: float = 0.1) -> None:
        """Read the bus in a daemon thread until :meth:`stop`."""
        if skip_backlog:
            self.skip_backlog()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(block_s,), name="live-hub", daemon=True
        )
        self._thread.start()

    def _run(self, block_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.pump(block_s=block_s)
            except Exception:  # e.g. Redis restarting: back off and retry
                logger.exception("live hub read failed")
                self._stop.wait(1.0)

    def stop(self) -> None:
        """Stop the reader thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _deliver(subs: list[Subscription], events: list[LiveEvent]) -> None:
    for sub in subs:
        for event in events:
            sub.offer(event)


def db_audience(sessions: sessionmaker[Session]) -> AudienceFn:
    """Audience of a case update from the database: the assignee and open-offer holders."""

    def audience(data: Mapping[str, Any]) -> frozenset[str]:
        case_id = data.get("case_id")
        staff = set(_assigned_only(data))
        if isinstance(case_id, int):
            with sessions() as session:
                staff.update(
                    session.scalars(
                        select(Dispatch.staff_id).where(
                            Dispatch.case_id == case_id, Dispatch.status == "offered"
                        )
                    )
                )
        return frozenset(staff)

    return audience


def _assigned_only(data: Mapping[str, Any]) -> frozenset[str]:
    staff = data.get("assigned_staff_id")
    return frozenset({str(staff)}) if staff else frozenset()
