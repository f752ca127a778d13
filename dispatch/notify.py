"""Notifications: a small port with a bus adapter (live feeds, apps) and a webhook adapter."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from core.bus import EventBus

logger = logging.getLogger(__name__)
NOTIFICATIONS = "notifications"


class Notification(BaseModel):
    """Something a person should know now."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    kind: Literal["offer", "sla_warning", "sla_breach", "escalation", "verification"]
    case_id: int
    recipient: str = Field(description="staff:<id>, supervisor:<unit id>, or operators.")
    message: str
    at: datetime
    details: dict[str, Any] = Field(default_factory=dict)


class Notifier(Protocol):
    """Delivers notifications; must never raise into the dispatch engine."""

    def notify(self, note: Notification) -> None:
        """Send one notification."""
        ...


class BusNotifier:
    """Publishes to the ``notifications`` topic (the live feed and mobile gateways read it)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    def notify(self, note: Notification) -> None:
        """Publish."""
        self.bus.publish(NOTIFICATIONS, note.model_dump(mode="json"))


class WebhookNotifier:
    """POSTs each notification as JSON to a URL (e.g. the city's messaging gateway)."""

    def __init__(
        self, url: str, *, timeout_s: float = 5.0, client: httpx.Client | None = None
    ) -> None:
        self.url = url
        self.client = client or httpx.Client(timeout=timeout_s)
        self.failures = 0

    def notify(self, note: Notification) -> None:
        """POST; failures are logged and counted, never raised."""
        try:
            response = self.client.post(self.url, json=note.model_dump(mode="json"))
            response.raise_for_status()
        except httpx.HTTPError:
            self.failures += 1
            logger.warning("webhook %s failed for case %s (%s)", self.url, note.case_id, note.kind)


class FanOutNotifier:
    """Sends to several notifiers."""

    def __init__(self, *targets: Notifier) -> None:
        self.targets = targets

    def notify(self, note: Notification) -> None:
        """Send to each target."""
        for target in self.targets:
            target.notify(note)
