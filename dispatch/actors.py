"""Who acted on a case: stamped on every timeline entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorType = Literal["user", "system", "device"]


@dataclass(frozen=True)
class Actor:
    """A user, the system itself, or a device (camera, sensor), and where the action came from."""

    type: ActorType
    id: str
    source: str = "api"

    @classmethod
    def system(cls, source: str = "engine") -> Actor:
        """The service acting on its own (intake, sweeps, auto-assignment)."""
        return cls("system", "smartscene", source)
