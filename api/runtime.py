"""Background loops of a running service: scene-event intake, offer time-outs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.container import Container
from core.bus import SCENE_EVENTS, ConsumerLoop

logger = logging.getLogger(__name__)


class PeriodicTask:
    """Calls ``fn`` every ``interval_s`` in a daemon thread; errors are logged, never fatal."""

    def __init__(self, name: str, interval_s: float, fn: Callable[[], object]) -> None:
        self.name, self.interval_s, self.fn = name, interval_s, fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.fn()
            except Exception:
                logger.exception("periodic task %s failed", self.name)

    def stop(self) -> None:
        """Stop and join."""
        self._stop.set()
        self._thread.join(timeout=5)


def start_background(container: Container) -> None:
    """Start intake and sweeps; they stop in ``container.close()``."""
    intake = ConsumerLoop(
        container.bus, SCENE_EVENTS, "dispatch", container.dispatch.handle_envelope
    )
    intake.start()
    offers = PeriodicTask("offer-timeouts", 5.0, container.dispatch.expire_offers)
    offers.start()
    sla = PeriodicTask("sla-sweep", container.settings.sla_sweep_s, container.dispatch.sweep)
    sla.start()
    container.background.extend([intake, offers, sla])
