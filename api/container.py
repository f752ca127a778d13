"""The composition root: builds every engine, client and service from settings, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from api.auth import LoginLimiter, load_or_create_secret
from core.bus import EventBus, InMemoryBus
from core.clock import Clock, SystemClock
from core.settings import Settings
from dispatch.calendar import SlaCalendar, WorkCalendar
from dispatch.locating import AreaLocator
from dispatch.offers import OfferSettings
from dispatch.ports import TravelTimeEstimator
from dispatch.service import DispatchEngine
from dispatch.travel import EtaTravel, StraightLineTravel
from models.engine import make_engine, make_session_factory

logger = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything a request handler, consumer or CLI command needs."""

    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    bus: EventBus
    locator: AreaLocator
    travel: TravelTimeEstimator
    jwt_secret: str
    calendar: SlaCalendar
    dispatch: DispatchEngine
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    background: list[Any] = field(default_factory=list)

    def database_ok(self) -> bool:
        """True when a trivial query succeeds."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            logger.exception("database check failed")
            return False
        return True

    def close(self) -> None:
        """Stop background loops and dispose of the engine."""
        for loop in reversed(self.background):
            loop.stop()
        self.background.clear()
        self.engine.dispose()


def build_bus(settings: Settings) -> EventBus:
    """In-process bus by default; Redis Streams when a Redis URL is set."""
    if settings.redis_url:
        from core.redis_bus import RedisStreamsBus

        return RedisStreamsBus.from_url(settings.redis_url)
    return InMemoryBus()


def build_travel(settings: Settings) -> TravelTimeEstimator:
    """Road-network ETAs when a network file is configured, else the flagged straight line."""
    if settings.road_network is None:
        return StraightLineTravel()
    from gis.roads import RoadNetwork

    network = RoadNetwork.from_file(settings.road_network)
    logger.info("road network %s loaded for ETAs", settings.road_network)
    return EtaTravel(network)


def build_container(
    settings: Settings, *, clock: Clock | None = None, bus: EventBus | None = None
) -> Container:
    """Wire the service. The database must already be migrated (``smartscene db upgrade``)."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url())
    sessions = make_session_factory(engine)
    secret = (
        settings.jwt_secret.get_secret_value()
        if settings.jwt_secret
        else load_or_create_secret(settings.var_dir / "jwt_secret")
    )
    clock = clock or SystemClock()
    bus = bus or build_bus(settings)
    locator = AreaLocator(sessions)
    travel = build_travel(settings)
    calendar = WorkCalendar.from_dict({})  # 08-12, 14-18 Mon-Fri Asia/Shanghai; data, editable
    engine_ = DispatchEngine(
        sessions=sessions,
        bus=bus,
        clock=clock,
        locator=locator,
        travel=travel,
        calendar=calendar,
        offer_settings=OfferSettings(timeout_s=settings.offer_timeout_s),
    )
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=sessions,
        bus=bus,
        locator=locator,
        travel=travel,
        jwt_secret=secret,
        calendar=calendar,
        dispatch=engine_,
    )
