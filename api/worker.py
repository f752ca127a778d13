"""A worker process: chosen background parts of the service (cameras, intake, sweeps, sensors)
without the HTTP server, so the work can be spread over processes that share Redis and the
database. Cameras are split by ``--shard I/N`` (see ``core.sharding``); the scene-event intake
is shared by the Redis consumer group; sweeps and sensors should run in one process only.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.settings import Settings
from core.sharding import Shard

if TYPE_CHECKING:
    from api.container import Container
    from core.bus import EventBus

logger = logging.getLogger(__name__)

LOCATOR_RELOAD_S = 60.0
"""Area edits reload the locator of the API process only; a worker's intake re-reads this often."""


class WorkerConfigError(ValueError):
    """A worker plan that cannot work with the given settings."""


@dataclass(frozen=True)
class WorkerPlan:
    """Which background parts a worker runs."""

    cameras: bool = True
    intake: bool = False
    sweeps: bool = False
    sensors: bool = False
    shard: Shard | None = None

    def parts(self) -> set[str]:
        """Names of the parts this plan runs."""
        chosen = {"cameras": self.cameras, "intake": self.intake}
        chosen |= {"sweeps": self.sweeps, "sensors": self.sensors}
        return {name for name, on in chosen.items() if on}

    def describe(self) -> str:
        """One line for the start-up log."""
        runs = sorted(self.parts())
        if self.cameras:
            which = "all" if self.shard is None else f"shard {self.shard}"
            runs[runs.index("cameras")] = f"cameras ({which})"
        skips = sorted({"cameras", "intake", "sweeps", "sensors"} - self.parts())
        return f"runs: {', '.join(runs) or 'nothing'}; not: {', '.join(skips) or '-'}"


def sensors_configured(settings: Settings) -> bool:
    """True when a JT/T 808 port or an MQTT broker is set (the API starts sensors then)."""
    return settings.jt808_port is not None or bool(settings.mqtt_host)


def api_parts(settings: Settings) -> set[str]:
    """The background parts ``smartscene serve`` runs with these settings."""
    enabled = {"cameras": settings.run_cameras, "intake": settings.run_intake}
    enabled |= {"sweeps": settings.run_sweeps, "sensors": sensors_configured(settings)}
    return {name for name, on in enabled.items() if on}


def check_plan(plan: WorkerPlan, settings: Settings) -> None:
    """Refuse a worker that could not share work: on the in-process bus (no Redis URL) nothing
    reaches the API or other workers, so the worker must run all the API would, unsharded."""
    if settings.redis_url:
        return
    missing = sorted(api_parts(settings) - plan.parts())
    split = plan.cameras and plan.shard is not None and plan.shard.count > 1
    if not missing and not split:
        return
    reasons = [f"it would not run {', '.join(missing)}"] if missing else []
    reasons += [f"cameras cannot be split into shards ({plan.shard})"] if split else []
    raise WorkerConfigError(
        "the in-process bus (SMARTSCENE_REDIS_URL unset) cannot reach the API or other "
        f"workers: {'; '.join(reasons)}. Set SMARTSCENE_REDIS_URL, or run every part "
        "(--cameras --intake --sweeps --sensors) without --shard."
    )


def worker_settings(settings: Settings, plan: WorkerPlan) -> Settings:
    """The settings seen by the worker's background parts: the plan overrides ``run_*``."""
    update: dict[str, object] = {
        "run_cameras": plan.cameras,
        "run_intake": plan.intake,
        "run_sweeps": plan.sweeps,
        "camera_shard": None if plan.shard is None else str(plan.shard),
    }
    if not plan.sensors:
        update |= {"jt808_port": None, "mqtt_host": None}
    elif not sensors_configured(settings):
        logger.warning("sensors asked for, but neither a JT/T 808 port nor MQTT host is set")
    return settings.model_copy(update=update)


def start_worker(settings: Settings, plan: WorkerPlan, *, bus: EventBus | None = None) -> Container:
    """Check the plan, wire a container and start the plan's parts; ``container.close()`` stops
    them. ``bus`` replaces the one the settings name (tests)."""
    check_plan(plan, settings)
    from api.container import build_container
    from api.runtime import PeriodicTask, start_background

    settings = worker_settings(settings, plan)
    container = build_container(settings, bus=bus)
    bus_name = "redis" if settings.redis_url else "in-process"
    logger.info("worker %s; bus: %s", plan.describe(), bus_name)
    try:
        start_background(container)
        if plan.intake:
            reload = PeriodicTask("locator-reload", LOCATOR_RELOAD_S, container.locator.reload)
            reload.start()
            container.background.append(reload)
    except Exception:
        container.close()
        raise
    return container


def run_worker(
    settings: Settings, plan: WorkerPlan, stop: threading.Event, *, bus: EventBus | None = None
) -> None:
    """Run the plan until ``stop`` is set, then stop every part and dispose of the engine."""
    container = start_worker(settings, plan, bus=bus)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        logger.info("worker stopping")
        container.close()
        logger.info("worker stopped")


def run_until_signalled(settings: Settings, plan: WorkerPlan) -> None:
    """``run_worker`` in the main thread until SIGINT or SIGTERM."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()  # only this: a handler that logs could re-enter a logging call

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        run_worker(settings, plan, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
