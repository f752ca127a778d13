"""Sensors inside the service: the JT/T 808 terminal server and the MQTT subscriber feed the
sensor rules; their events go to the bus like camera events. Zones come from the areas table
(kind ``restricted``: muck trucks banned; kind ``permitted``: licensed sites and disposal yards)."""

from __future__ import annotations

import asyncio
import logging
import threading

from shapely import wkt
from sqlalchemy import select

from api.container import Container
from core.bus import SCENE_EVENTS
from models import Area
from scenes.sensors.mqtt import AnyReading, MqttOptions, MqttReadingSubscriber
from scenes.sensors.rules import SensorRules
from scenes.sensors.rules_config import SensorRulesConfig
from scenes.sensors.server import ServerOptions, run_server
from scenes.sensors.zones import RestrictedZone

logger = logging.getLogger(__name__)


def build_rules(container: Container) -> SensorRules:
    """Sensor rules with the restricted zones and permitted sites stored as areas."""
    with container.sessions() as session:
        areas = session.scalars(select(Area).where(Area.kind.in_(["restricted", "permitted"])))
        restricted, permitted = [], []
        for area in areas:
            geometry = wkt.loads(area.geom_wkt)
            if area.kind == "restricted":
                restricted.append(RestrictedZone(area.id, geometry, name=area.name))
            else:
                permitted.append(geometry)
    return SensorRules(
        SensorRulesConfig(),
        clock=container.clock,
        restricted_zones=restricted,
        permitted_areas=permitted,
    )


class SensorRuntime:
    """Runs the terminal server in its own event loop thread and the MQTT subscriber."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.rules = build_rules(container)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, name="jt808", daemon=True)
        self._mqtt: MqttReadingSubscriber | None = None
        self.address: tuple[str, int] | None = None
        self._ready = threading.Event()

    def on_reading(self, reading: AnyReading) -> None:
        """Rules first; every event they complete goes to the bus."""
        for event in self.rules.step(reading):
            self.container.bus.publish(SCENE_EVENTS, event.model_dump(mode="json"))

    def start(self) -> None:
        """Start the enabled listeners."""
        s = self.container.settings
        if s.jt808_port is not None:
            self._thread.start()
            self._ready.wait(timeout=10)
        if s.mqtt_host:
            options = MqttOptions(host=s.mqtt_host, port=s.mqtt_port, topic=s.mqtt_topic)
            self._mqtt = MqttReadingSubscriber(
                self.on_reading, options=options, clock=self.container.clock
            )
            self._mqtt.start()

    def _serve(self) -> None:
        s = self.container.settings
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()

        def ready(address: tuple[str, int]) -> None:
            self.address = address
            self._ready.set()

        options = ServerOptions(require_auth=s.jt808_require_auth)
        self._loop.run_until_complete(
            run_server(
                s.jt808_host,
                s.jt808_port or 0,
                self.on_reading,
                stop=self._stop,
                ready=ready,
                clock=self.container.clock,
                options=options,
            )
        )

    def stop(self) -> None:
        """Stop listening."""
        if self._mqtt is not None:
            self._mqtt.stop()
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)
