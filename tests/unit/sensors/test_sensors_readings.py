"""Readings: JSON validation (positions, measurements, datums), JT/T 808 conversion, MQTT."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from core.clock import ManualClock
from gis.datums import Datum, convert
from scenes.sensors.jt808 import decode_frame
from scenes.sensors.jt808_encode import location_frame, make_location
from scenes.sensors.jt808_messages import Location, parse_body
from scenes.sensors.mqtt import (
    MqttOptions,
    MqttReadingSubscriber,
    MqttStats,
    ReadingDecoder,
    device_from_topic,
)
from scenes.sensors.readings import (
    MeasurementReading,
    SensorReading,
    parse_reading,
    reading_from_location,
)

T = datetime(2026, 3, 2, 1, 2, 3, tzinfo=UTC)
POS = {
    "device_id": "t1",
    "kind": "position",
    "lon": 114.05,
    "lat": 22.54,
    "at": "2026-03-02T01:02:03Z",
}
PM = {
    "device_id": "d1",
    "kind": "pm10",
    "value": 180.5,
    "unit": "ug/m3",
    "at": "2026-03-02T09:02:03+08:00",
}


@pytest.mark.parametrize(
    ("payload", "cls", "check"),
    [
        pytest.param(POS, SensorReading, {"lon": 114.05, "at": T, "speed_kmh": 0.0}, id="position"),
        pytest.param(json.dumps(POS).encode(), SensorReading, {"lat": 22.54}, id="bytes"),
        pytest.param(
            PM, MeasurementReading, {"value": 180.5, "at": T, "lon": None}, id="pm10-offset-to-utc"
        ),
        pytest.param(
            PM | {"lon": 1.0, "lat": 2.0}, MeasurementReading, {"lat": 2.0}, id="pm10-located"
        ),
    ],
)
def test_parse_valid(payload: Any, cls: type, check: dict[str, Any]) -> None:
    reading = parse_reading(payload)
    assert type(reading) is cls
    assert {k: getattr(reading, k) for k in check} == check
    assert reading.at.tzinfo is UTC


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        pytest.param(POS | {"lat": 116.3}, "less than or equal to 90", id="lat-out-of-range"),
        pytest.param(POS | {"at": "2026-03-02T01:02:03"}, "timezone", id="naive-time"),
        pytest.param({k: v for k, v in POS.items() if k != "lon"}, "lon", id="missing-lon"),
        pytest.param(POS | {"speed_kmh": -1}, "greater than or equal", id="negative-speed"),
        pytest.param(POS | {"colour": "red"}, "Extra inputs", id="unknown-field"),
        pytest.param(PM | {"value": float("nan")}, "finite", id="nan"),
        pytest.param(PM | {"kind": "PM 10"}, "pattern", id="bad-kind"),
        pytest.param(PM | {"lon": 1.0}, "both lon and lat", id="half-location"),
        pytest.param(PM | {"device_id": ""}, "at least 1", id="empty-device"),
        pytest.param(b"[1, 2]", "JSON object", id="not-an-object"),
        pytest.param(b"{not json", "Expecting", id="not-json"),
        pytest.param(POS | {"datum": "mars"}, "unknown datum", id="unknown-datum"),
    ],
)
def test_parse_invalid(payload: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_reading(payload if isinstance(payload, bytes) else json.dumps(payload))


@pytest.mark.parametrize("datum", [Datum.GCJ02, Datum.BD09])
def test_parse_converts_chinese_web_datums(datum: Datum) -> None:
    lon, lat = convert(114.05, 22.54, Datum.WGS84, datum)
    reading = parse_reading(POS | {"lon": lon, "lat": lat, "datum": datum.value})
    assert reading.lon == pytest.approx(114.05, abs=1e-7)
    assert reading.lat == pytest.approx(22.54, abs=1e-7)


def test_cgcs2000_is_taken_as_wgs84() -> None:
    reading = parse_reading(POS | {"datum": "EPSG:4490"})
    assert (reading.lon, reading.lat) == (114.05, 22.54)


@pytest.mark.parametrize(
    ("lon", "lat", "positioned", "alarms"),
    [(114.05, 22.54, True, 0), (-43.2, -22.9, False, (1 << 0) | (1 << 1))],
)
def test_reading_from_jt808_location(lon: float, lat: float, positioned: bool, alarms: int) -> None:
    loc = make_location(
        lon=lon,
        lat=lat,
        at=T,
        speed_kmh=56.7,
        heading_deg=359,
        altitude_m=12,
        alarm_flags=alarms,
        positioned=positioned,
    )
    frame = decode_frame(location_frame("13912344329", 5, loc, protocol_version=1))
    body = parse_body(frame)
    assert isinstance(body, Location)
    received = datetime(2026, 3, 2, 1, 2, 9, tzinfo=UTC)
    reading = reading_from_location(body, frame.header, received_at=received, plate="粤B1")
    assert (reading.device_id, reading.plate, reading.msg_id, reading.source) == (
        "13912344329",
        "粤B1",
        0x0200,
        "jt808",
    )
    assert (reading.lon, reading.lat, reading.speed_kmh, reading.heading_deg) == (
        lon,
        lat,
        56.7,
        359,
    )
    assert (reading.at, reading.received_at, reading.at_source) == (T, received, "device")
    assert reading.positioned is positioned
    assert reading.alarms == (["emergency", "overspeed"] if alarms else [])


def test_reading_without_device_time_uses_receiver_time() -> None:
    loc = replace(make_location(lon=114.0, lat=22.0, at=T), time_bcd="0" * 12, time_utc=None)
    frame = decode_frame(location_frame("1", 1, loc))
    body = parse_body(frame)
    assert isinstance(body, Location) and body.time_utc is None
    reading = reading_from_location(body, frame.header, received_at=T)
    assert (reading.at, reading.at_source) == (T, "receiver")


def test_impossible_terminal_coordinates_raise_value_error() -> None:
    # chan1sook's 0x0200 sample carries lat/lng swapped (lat 116.3): not a valid reading.
    loc = replace(make_location(lon=40.0, lat=22.0, at=T), lat_e6=116_307_629)
    frame = decode_frame(location_frame("1", 1, loc))
    body = parse_body(frame)
    assert isinstance(body, Location)
    with pytest.raises(ValueError, match=r"lat\b"):
        reading_from_location(body, frame.header, received_at=T)


@pytest.mark.parametrize(
    ("topic", "pattern", "device"),
    [
        ("smartscene/sensors/dust-7/reading", "smartscene/sensors/+/reading", "dust-7"),
        ("a/b/c", "a/+/c", "b"),
        ("smartscene/sensors", "smartscene/sensors/+/reading", None),
        ("x/y", "x/#", None),
        ("smartscene/sensors//reading", "smartscene/sensors/+/reading", None),
    ],
)
def test_device_from_topic(topic: str, pattern: str, device: str | None) -> None:
    assert device_from_topic(topic, pattern) == device


TOPIC = "smartscene/sensors/d1/reading"


@pytest.mark.parametrize(
    ("topic", "payload", "valid"),
    [
        pytest.param(TOPIC, PM, True, id="measurement"),
        pytest.param(
            TOPIC, {k: v for k, v in PM.items() if k != "device_id"}, True, id="device-from-topic"
        ),
        pytest.param(TOPIC, PM | {"device_id": "other"}, False, id="device-mismatch"),
        pytest.param("smartscene/sensors/t1/reading", POS, True, id="position"),
        pytest.param(TOPIC, b"\xff\xfe", False, id="not-utf8"),
        pytest.param(TOPIC, b"null", False, id="json-null"),
        pytest.param(TOPIC, b"{" + b" " * 70_000 + b"}", False, id="too-large"),
        pytest.param(TOPIC, PM | {"value": "high"}, False, id="bad-value"),
    ],
)
def test_mqtt_decoder(topic: str, payload: Any, valid: bool) -> None:
    stats = MqttStats()
    decoder = ReadingDecoder(MqttOptions(), ManualClock(T), stats)
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    reading = decoder.decode(topic, raw)
    assert (reading is not None) is valid
    assert (stats.received, stats.valid, stats.invalid) == (1, int(valid), int(not valid))
    if reading is not None:
        assert reading.received_at == T


def test_subscriber_handle_contains_handler_errors() -> None:
    seen: list[Any] = []

    def handler(reading: Any) -> None:
        seen.append(reading)
        raise RuntimeError("downstream bug")

    sub = MqttReadingSubscriber(handler, clock=ManualClock(T))
    sub.handle(TOPIC, json.dumps(PM).encode())
    sub.handle(TOPIC, b"garbage")
    assert len(seen) == 1
    assert (sub.stats.valid, sub.stats.invalid, sub.stats.callback_errors) == (1, 1, 1)
