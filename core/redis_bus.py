"""Redis Streams adapter of the event bus (the one module that imports ``redis``).

Consumer groups give each group every message once; unacknowledged messages idle longer than
``claim_idle_s`` are reclaimed (XAUTOCLAIM) so a crashed consumer's work is not lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import redis

from core.bus import Envelope

_FIELD = "body"


class RedisStreamsBus:
    """EventBus over Redis Streams."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "smartscene:",
        max_len: int = 100_000,
        claim_idle_s: float = 30.0,
    ) -> None:
        self._r = client
        self._prefix, self._max_len = prefix, max_len
        self._claim_idle_ms = int(claim_idle_s * 1000)
        self._groups: set[tuple[str, str]] = set()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisStreamsBus:
        """Connect to the Redis at ``url``."""
        return cls(redis.Redis.from_url(url, decode_responses=True), **kwargs)

    def _key(self, topic: str) -> str:
        return f"{self._prefix}{topic}"

    def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        """XADD the JSON payload (approximately capped at ``max_len``)."""
        body = json.dumps(payload, default=str, ensure_ascii=False)
        msg_id = self._r.xadd(
            self._key(topic), {_FIELD: body}, maxlen=self._max_len, approximate=True
        )
        return str(msg_id)

    def _ensure_group(self, topic: str, group: str) -> None:
        if (topic, group) in self._groups:
            return
        try:
            self._r.xgroup_create(self._key(topic), group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add((topic, group))

    def read(
        self, topic: str, group: str, consumer: str, *, count: int = 10, block_s: float = 0.0
    ) -> list[Envelope]:
        """Reclaimed stuck messages first, then new ones."""
        self._ensure_group(topic, group)
        key = self._key(topic)
        claimed = self._r.xautoclaim(key, group, consumer, self._claim_idle_ms, "0-0", count=count)
        entries: list[Any] = list(claimed[1]) if claimed else []  # type: ignore[index]
        if not entries:
            block = int(block_s * 1000) if block_s > 0 else None
            reply: Any = self._r.xreadgroup(group, consumer, {key: ">"}, count=count, block=block)
            entries = [e for _, stream_entries in reply or [] for e in stream_entries]
        return [
            self._envelope(topic, group, msg_id, fields) for msg_id, fields in entries if fields
        ]

    def _envelope(self, topic: str, group: str, msg_id: str, fields: dict[str, str]) -> Envelope:
        pending = self._r.xpending_range(self._key(topic), group, min=msg_id, max=msg_id, count=1)
        deliveries = int(pending[0]["times_delivered"]) if pending else 1
        return Envelope(str(msg_id), topic, json.loads(fields[_FIELD]), deliveries)

    def ack(self, topic: str, group: str, message_ids: list[str]) -> None:
        """XACK."""
        if message_ids:
            self._r.xack(self._key(topic), group, *message_ids)
