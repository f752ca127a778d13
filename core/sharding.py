"""Stable sharding of keys (camera ids) over N worker processes.

A key belongs to shard ``crc32(key) % N``. CRC-32 rather than ``hash()``: Python salts string
hashes per process, so ``hash()`` would give every process a different assignment. The function
must never change: a change would move cameras between running shards.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*", re.ASCII)


def shard_of(key: str, count: int) -> int:
    """The shard (0 .. count-1) that owns ``key``."""
    if count < 1:
        raise ValueError(f"shard count must be at least 1, got {count}")
    return zlib.crc32(key.encode("utf-8")) % count


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``, written ``"index/count"``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shard count must be at least 1, got {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(
                f"shard index must be in 0..{self.count - 1} for {self.count} shards, "
                f"got {self.index}"
            )

    def owns(self, key: str) -> bool:
        """True when ``key`` belongs to this shard."""
        return shard_of(key, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """Parse ``"I/N"`` (0 <= I < N, N >= 1); ``ValueError`` with the reason otherwise."""
    match = _SHARD.fullmatch(text)
    if match is None:
        raise ValueError(f"shard must look like I/N (e.g. 0/4), got {text!r}")
    return Shard(int(match[1]), int(match[2]))
