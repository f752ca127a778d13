"""MQTT intake: JSON readings from generic sensors (GPS trackers, PM10 dust monitors ...).

Devices publish one JSON object per message on ``smartscene/sensors/<device_id>/reading``:
``{"kind": "position", "lon": .., "lat": .., "speed_kmh": .., "at": "..Z"}`` for a fix, or
``{"kind": "pm10", "value": 182.0, "unit": "ug/m3", "at": "..Z"}`` for a measurement. The device
id comes from the topic when the payload has none; a payload naming another device is refused.
An optional ``"datum"`` converts GCJ-02/BD-09 coordinates to WGS84.

The paho-mqtt network thread runs the callbacks: ``on_reading`` is called on that thread. paho
reconnects by itself (with back-off); subscriptions are renewed in ``on_connect``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from core.clock import Clock, SystemClock
from scenes.sensors.readings import MeasurementReading, SensorReading, parse_reading

logger = logging.getLogger(__name__)

DEFAULT_TOPIC = "smartscene/sensors/+/reading"
AnyReading = SensorReading | MeasurementReading
ReadingHandler = Callable[[AnyReading], None]


@dataclass
class MqttStats:
    """Counters of the subscriber."""

    received: int = 0
    valid: int = 0
    invalid: int = 0
    callback_errors: int = 0
    connects: int = 0
    disconnects: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class MqttOptions:
    """Broker address and subscription."""

    host: str = "127.0.0.1"
    port: int = 1883
    topic: str = DEFAULT_TOPIC
    qos: int = 1
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30
    max_payload_bytes: int = 64_000
    reconnect_min_s: int = 1
    reconnect_max_s: int = 60


def device_from_topic(topic: str, pattern: str = DEFAULT_TOPIC) -> str | None:
    """The level of ``topic`` matched by the first ``+`` of ``pattern`` (the device id)."""
    levels, wanted = topic.split("/"), pattern.split("/")
    if "+" not in wanted or len(levels) <= wanted.index("+"):
        return None
    return levels[wanted.index("+")] or None


class ReadingDecoder:
    """Validates MQTT payloads into readings and counts the failures (no I/O)."""

    def __init__(self, options: MqttOptions, clock: Clock, stats: MqttStats) -> None:
        self.options, self.clock, self.stats = options, clock, stats

    def decode(self, topic: str, payload: bytes) -> AnyReading | None:
        """The reading in ``payload``, or ``None`` (logged and counted) when invalid."""
        self.stats.received += 1
        try:
            reading = self._decode(topic, payload)
        except ValueError as exc:
            self.stats.invalid += 1
            self.stats.last_error = f"{topic}: {exc.__class__.__name__}"
            logger.warning("invalid reading on %s: %s", topic, str(exc)[:300])
            return None
        self.stats.valid += 1
        return reading

    def _decode(self, topic: str, payload: bytes) -> AnyReading:
        if len(payload) > self.options.max_payload_bytes:
            raise ValueError(f"payload of {len(payload)} bytes is too large")
        data: dict[str, Any] = _json_object(payload)
        from_topic = device_from_topic(topic, self.options.topic)
        claimed = data.setdefault("device_id", from_topic)
        if from_topic is not None and claimed != from_topic:
            raise ValueError(f"payload device {claimed!r} does not match topic {from_topic!r}")
        data.setdefault("received_at", self.clock.now())
        return parse_reading(data)


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"payload must be a JSON object, got {type(data).__name__}")
    return data


class MqttReadingSubscriber:
    """Subscribes to sensor topics and hands valid readings to ``on_reading``."""

    def __init__(
        self,
        on_reading: ReadingHandler,
        *,
        options: MqttOptions | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.on_reading = on_reading
        self.options = options or MqttOptions()
        self.stats = MqttStats()
        self.decoder = ReadingDecoder(self.options, clock or SystemClock(), self.stats)
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self._client: paho.Client | None = None

    def start(self) -> None:
        """Connect in the background (paho's thread); reconnects are automatic."""
        opts = self.options
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=opts.client_id, protocol=paho.MQTTv311
        )
        if opts.username is not None:
            client.username_pw_set(opts.username, opts.password)
        client.reconnect_delay_set(opts.reconnect_min_s, opts.reconnect_max_s)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.connect_async(opts.host, opts.port, keepalive=opts.keepalive_s)
        client.loop_start()
        self._client = client

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
        self.connected.clear()
        self.subscribed.clear()

    def __enter__(self) -> MqttReadingSubscriber:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def handle(self, topic: str, payload: bytes) -> None:
        """Decode one message and call ``on_reading`` (errors logged, never raised)."""
        reading = self.decoder.decode(topic, payload)
        if reading is None:
            return
        try:
            self.on_reading(reading)
        except Exception:
            self.stats.callback_errors += 1
            logger.exception("reading handler failed for %s", topic)

    def _on_connect(
        self, client: paho.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if reason.is_failure:
            logger.warning("MQTT connect to %s refused: %s", self.options.host, reason)
            return
        self.stats.connects += 1
        self.connected.set()
        client.subscribe(self.options.topic, qos=self.options.qos)
        logger.info("MQTT connected to %s, subscribing %s", self.options.host, self.options.topic)

    def _on_subscribe(self, _c: paho.Client, _u: Any, _m: int, codes: Any, _p: Any) -> None:
        self.subscribed.set()

    def _on_disconnect(
        self, _c: paho.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any
    ) -> None:
        self.stats.disconnects += 1
        self.connected.clear()
        self.subscribed.clear()
        logger.info("MQTT disconnected (%s); paho will reconnect", reason)

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        self.handle(message.topic, bytes(message.payload))
