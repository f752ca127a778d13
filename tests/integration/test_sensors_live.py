"""Live sensor intake: a real asyncio JT/T 808 server on loopback with real terminal clients
replaying published frames, and a real MQTT round trip through the Mosquitto broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.bus import SCENE_EVENTS, InMemoryBus
from core.clock import ManualClock
from scenes.sensors.jt808 import Frame, build_header, encode_frame, encode_message
from scenes.sensors.jt808_encode import encode_location, location_frame, make_location
from scenes.sensors.jt808_messages import (
    GeneralResponse,
    RegisterResponse,
    parse_body,
)
from scenes.sensors.jt808_stream import StreamDecoder
from scenes.sensors.readings import MeasurementReading, SensorReading
from scenes.sensors.rules import SensorRules
from scenes.sensors.rules_config import DustRuleConfig, SensorRulesConfig
from scenes.sensors.server import Jt808Server, ServerOptions, run_server
from tests.conftest import service_unavailable

T = datetime(2026, 3, 2, 1, 2, 3, tzinfo=UTC)
TIMEOUT_S = 5.0


def _vectors(shared: Path) -> dict[str, bytes]:
    path = shared / "protocols" / "jt808" / "xtream_codec_vectors.json"
    records = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    return {r["name"]: bytes.fromhex(r["hex"]) for r in records}


class Terminal:
    """A TCP client speaking JT/T 808 like a GPS box."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = StreamDecoder()
        self.frames: list[Frame] = []

    @classmethod
    async def connect(cls, port: int) -> Terminal:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes, *, chunks: int = 1) -> None:
        step = max(1, len(data) // chunks)
        for i in range(0, len(data), step):
            self.writer.write(data[i : i + step])
            await self.writer.drain()
            if chunks > 1:
                await asyncio.sleep(0.01)

    async def replies(self, count: int) -> list[Frame]:
        async def _read() -> None:
            while len(self.frames) < count:
                chunk = await self.reader.read(4096)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.frames += [f for f in self.decoder.feed(chunk) if isinstance(f, Frame)]

        await asyncio.wait_for(_read(), TIMEOUT_S)
        got, self.frames = self.frames[:count], self.frames[count:]
        return got

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def _serve(
    scenario: Callable[[Jt808Server, int, list[SensorReading]], Awaitable[None]],
    **options: Any,
) -> Jt808Server:
    readings: list[SensorReading] = []

    async def main() -> Jt808Server:
        server = Jt808Server(
            readings.append, clock=ManualClock(T), options=ServerOptions(**options)
        )
        async with server:
            _host, port = await server.start("127.0.0.1", 0)
            await asyncio.wait_for(scenario(server, port, readings), 20)
        return server

    return asyncio.run(main())


def _response(frame: Frame) -> GeneralResponse:
    body = parse_body(frame)
    assert isinstance(body, GeneralResponse), body
    return body


@pytest.mark.shared_data
def test_good_terminal_is_served_while_a_garbage_terminal_is_dropped(shared_data: Path) -> None:
    vec = _vectors(shared_data)

    async def garbage(port: int) -> int:
        bad = await Terminal.connect(port)
        rng = random.Random(808)
        sent = 0
        try:
            for _ in range(200):
                noise = bytes(rng.randrange(256) for _ in range(64)) + b"\x7e\x01\x02\x7e"
                await bad.send(noise)
                sent += 1
                await asyncio.sleep(0)
        except ConnectionError:
            pass  # the server hung up on us: expected
        with contextlib.suppress(ConnectionError):
            await bad.close()
        return sent

    async def good(port: int, readings: list[SensorReading]) -> None:
        term = await Terminal.connect(port)
        await term.send(vec["BuiltinMessage0100V2019"])
        [reg] = await term.replies(1)
        reg_body = parse_body(reg)
        assert isinstance(reg_body, RegisterResponse) and reg_body.result == 0
        assert reg.header.phone == "00000000013912344329" and reg.header.protocol_version == 1
        code = reg_body.auth_code.encode("gbk")
        auth = bytes([len(code)]) + code + b"123456789012345" + b"1.0".ljust(20, b"\0")
        await term.send(encode_message(0x0102, "13912344329", 1, auth, protocol_version=1))
        [auth_reply] = await term.replies(1)
        assert _response(auth_reply) == GeneralResponse(1, 0x0102, 0)
        # a location report split over three writes, then a batch and a heartbeat in one write
        await term.send(vec["BuiltinMessage0200"], chunks=3)
        await term.send(vec["BuiltinMessage0704"] + vec["BuiltinMessage0002"])
        replies = [_response(f) for f in await term.replies(3)]
        assert [(r.reply_msg_id, r.result) for r in replies] == [(0x0200, 0), (0x0704, 0), (2, 0)]
        await term.close()

    async def scenario(server: Jt808Server, port: int, readings: list[SensorReading]) -> None:
        sent, _ = await asyncio.gather(garbage(port), good(port, readings))
        assert sent < 200  # dropped before the end of its flood

    server = _serve(scenario, max_bad_frames=20)
    # Readings are checked after the loop: every field from the published vectors.
    good_stats = [c for c in server.stats.closed if c.device_id == "13912344329"]
    assert len(good_stats) == 1 and good_stats[0].bad_frames == 0
    assert good_stats[0].authenticated and good_stats[0].plate == "甘J-123459"
    bad_stats = [c for c in server.stats.closed if c.device_id != "13912344329"]
    assert len(bad_stats) == 1 and bad_stats[0].bad_frames > 20
    assert server.stats.readings == 3


@pytest.mark.shared_data
def test_readings_carry_vector_values(shared_data: Path) -> None:
    vec = _vectors(shared_data)

    async def scenario(server: Jt808Server, port: int, readings: list[SensorReading]) -> None:
        term = await Terminal.connect(port)
        await term.send(vec["BuiltinMessage0100V2013"])
        await term.replies(1)
        loc = make_location(lon=114.057868, lat=22.543099, at=T, speed_kmh=41.5, heading_deg=90)
        await term.send(location_frame("13912344323", 9, loc) + vec["BuiltinMessage0200"])
        await term.replies(2)
        await term.close()
        first, second = readings
        assert (first.device_id, first.plate, first.at) == ("13912344323", "甘J-123459", T)
        assert (first.lon, first.lat, first.speed_kmh, first.heading_deg) == (
            114.057868,
            22.543099,
            41.5,
            90,
        )
        # xtream BuiltinMessage0200: status 22 sets the south-latitude bit; time is GMT+8.
        assert (second.lon, second.lat, second.speed_kmh) == (121.987654, -31.234567, 6.6)
        assert second.at == datetime(2025, 1, 29, 14, 33, 44, tzinfo=UTC)
        assert (second.device_id, second.plate, second.msg_id) == ("13912344329", None, 0x0200)

    _serve(scenario)


def test_subpackages_idle_timeout_and_failing_callback() -> None:
    loc = encode_location(make_location(lon=114.0, lat=22.5, at=T))
    batch = bytes.fromhex("000200") + (len(loc).to_bytes(2, "big") + loc) * 2
    parts = [batch[:20], batch[20:]]

    async def scenario(server: Jt808Server, port: int, readings: list[SensorReading]) -> None:
        term = await Terminal.connect(port)
        for i, part in enumerate(parts):
            header = build_header(0x0704, "139", 40 + i, len(part), packet=(2, i + 1))
            await term.send(encode_frame(header, part))
        acks = [_response(f) for f in await term.replies(2)]
        assert [(a.reply_serial, a.reply_msg_id) for a in acks] == [(40, 0x0704), (41, 0x0704)]
        assert len(readings) == 2
        server.on_reading = _explode
        await term.send(location_frame("139", 50, make_location(lon=1, lat=1, at=T)))
        assert _response((await term.replies(1))[0]).result == 0  # still answered
        idle = await Terminal.connect(port)
        for serial in range(60, 70):  # the busy terminal keeps talking while the other idles
            await term.send(encode_message(0x0002, "139", serial))
            await term.replies(1)
            await asyncio.sleep(0.1)
        assert await asyncio.wait_for(idle.reader.read(10), TIMEOUT_S) == b""  # idle closed
        await term.close()

    server = _serve(scenario, idle_timeout_s=0.5)
    assert server.stats.callback_errors == 1 and server.stats.idle_closed == 1


def _explode(_reading: SensorReading) -> None:
    raise RuntimeError("downstream failure")


def test_run_server_shuts_down_cleanly_with_open_connections() -> None:
    async def main() -> tuple[Any, bytes]:
        stop, bound = asyncio.Event(), asyncio.Future[tuple[str, int]]()
        task = asyncio.create_task(
            run_server("127.0.0.1", 0, lambda r: None, stop=stop, ready=bound.set_result)
        )
        _host, port = await asyncio.wait_for(bound, TIMEOUT_S)
        term = await Terminal.connect(port)
        await term.send(encode_message(0x0002, "1", 1))
        await term.replies(1)
        started = time.perf_counter()
        stop.set()
        stats = await asyncio.wait_for(task, TIMEOUT_S)
        assert time.perf_counter() - started < 2.0
        return stats, await asyncio.wait_for(term.reader.read(10), TIMEOUT_S)

    stats, tail = asyncio.run(main())
    assert tail == b"" and stats.connections_total == 1 and stats.frames == 1


# ---- MQTT --------------------------------------------------------------------------------------

BROKER = ("127.0.0.1", 1883)


@pytest.mark.mqtt
def test_mqtt_round_trip_to_scene_event() -> None:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from scenes.sensors.mqtt import MqttOptions, MqttReadingSubscriber

    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    try:
        publisher.connect(*BROKER, keepalive=10)
    except OSError as exc:
        service_unavailable("MQTT broker at 127.0.0.1:1883", exc)
    publisher.loop_start()
    prefix = f"smartscene-test-{uuid.uuid4().hex[:8]}"
    clock = ManualClock(T)
    engine = SensorRules(SensorRulesConfig(dust=DustRuleConfig(min_duration_s=600)), clock=clock)
    bus, received = InMemoryBus(), threading.Event()
    readings: list[Any] = []

    def on_reading(reading: SensorReading | MeasurementReading) -> None:
        readings.append(reading)
        for event in engine.step(reading):
            bus.publish(SCENE_EVENTS, event.model_dump(mode="json"))
        if len(readings) == 3:
            received.set()

    options = MqttOptions(topic=f"{prefix}/+/reading", client_id=f"sub-{uuid.uuid4().hex[:8]}")
    with MqttReadingSubscriber(on_reading, options=options, clock=clock) as sub:
        assert sub.subscribed.wait(TIMEOUT_S), "no SUBACK from the broker"
        for t_s, value in ((0, 210.0), (300, 190.0), (600, 230.0)):
            at = datetime.fromtimestamp(T.timestamp() + t_s, tz=UTC).isoformat()
            payload = {"kind": "pm10", "value": value, "unit": "ug/m3", "at": at}
            payload |= {"lon": 114.05, "lat": 22.55}
            publisher.publish(
                f"{prefix}/dust-9/reading", json.dumps(payload), qos=1
            ).wait_for_publish(TIMEOUT_S)
            if t_s == 0:
                publisher.publish(f"{prefix}/dust-9/reading", b"{oops", qos=1).wait_for_publish(
                    TIMEOUT_S
                )
        assert received.wait(TIMEOUT_S), f"got {len(readings)} readings"
    publisher.loop_stop()
    publisher.disconnect()
    assert [r.value for r in readings] == [210.0, 190.0, 230.0]
    assert all(r.device_id == "dust-9" and r.received_at == T for r in readings)
    assert (sub.stats.valid, sub.stats.invalid) == (3, 1)
    [envelope] = bus.read(SCENE_EVENTS, "test", "c1")
    event = envelope.payload
    assert (event["source"], event["category_code"], event["attributes"]["peak"]) == (
        "sensor",
        "SITE_DUST",
        "230",
    )


def test_require_auth_drops_locations_until_the_issued_code_is_shown() -> None:
    register = bytes.fromhex("000b0002") + b"maker" + b"model".ljust(20, b"\0") + b"id12345"
    register += b"\x01" + "粤B12345".encode("gbk")
    loc = make_location(lon=114.0, lat=22.5, at=T)

    async def scenario(server: Jt808Server, port: int, readings: list[SensorReading]) -> None:
        term = await Terminal.connect(port)
        await term.send(location_frame("13800000001", 1, loc))
        assert _response((await term.replies(1))[0]).result == 1  # not authenticated yet
        await term.send(encode_message(0x0102, "13800000001", 9, b"guess"))
        assert _response((await term.replies(1))[0]).result == 1  # never registered here
        await term.send(encode_message(0x0100, "13800000001", 2, register))
        reply = parse_body((await term.replies(1))[0])
        assert isinstance(reply, RegisterResponse) and reply.auth_code == "fixed-code"
        await term.send(encode_message(0x0102, "13800000001", 3, b"wrong"))
        assert _response((await term.replies(1))[0]) == GeneralResponse(3, 0x0102, 1)
        await term.send(encode_message(0x0102, "13800000001", 4, b"fixed-code"))
        assert _response((await term.replies(1))[0]) == GeneralResponse(4, 0x0102, 0)
        await term.send(location_frame("13800000001", 5, loc))
        assert _response((await term.replies(1))[0]).result == 0
        await term.close()
        assert [(r.device_id, r.plate) for r in readings] == [("13800000001", "粤B12345")]

    async def main() -> Jt808Server:
        readings: list[SensorReading] = []
        server = Jt808Server(
            readings.append,
            clock=ManualClock(T),
            options=ServerOptions(require_auth=True),
            issue_auth_code=lambda _device: "fixed-code",
        )
        async with server:
            _host, port = await server.start()
            await asyncio.wait_for(scenario(server, port, readings), 20)
        return server

    server = asyncio.run(main())
    [stats] = server.stats.closed
    assert (stats.rejected_readings, stats.readings, stats.authenticated) == (1, 1, True)
