"""JT/T 808 message bodies: location reports, registration, authentication, responses.

Coordinates: the standard says terminals report WGS84 (JT/T 808-2013) or CGCS2000 (2019), which
agrees with WGS84 to a few centimetres (``gis.datums.Datum.CGCS2000.frame`` is WGS84), so decoded
positions are WGS84 and need no datum conversion (unlike GCJ-02 web-map coordinates).

Times are BCD ``YYMMDDhhmmss`` in GMT+8 (Beijing time, no daylight saving); they are returned as
aware UTC datetimes. Strings (plates, auth codes) are GBK; trailing NUL padding is stripped.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum

from scenes.sensors.jt808 import Frame, Header, Jt808Error

BEIJING = timezone(timedelta(hours=8), "GMT+8")
TEXT_ENCODING = "gbk"


class MsgId(IntEnum):
    """Message ids this codec decodes or builds."""

    TERMINAL_RESPONSE = 0x0001
    HEARTBEAT = 0x0002
    LOGOUT = 0x0003
    QUERY_SERVER_TIME = 0x0004
    REGISTER = 0x0100
    AUTH = 0x0102
    LOCATION = 0x0200
    LOCATION_QUERY_RESPONSE = 0x0201
    LOCATION_BATCH = 0x0704
    PLATFORM_RESPONSE = 0x8001
    REGISTER_RESPONSE = 0x8100


class ResponseResult(IntEnum):
    """Result codes of the general responses 0x0001 / 0x8001."""

    OK = 0
    FAILURE = 1
    BAD_MESSAGE = 2
    UNSUPPORTED = 3
    ALARM_CONFIRMED = 4


# Alarm flag bits of 0x0200 (JT/T 808-2013 table 24; bits 15-17 and 31 are reserved there).
ALARM_BITS: dict[int, str] = {
    0: "emergency",
    1: "overspeed",
    2: "fatigue_driving",
    3: "danger_warning",
    4: "gnss_module_fault",
    5: "gnss_antenna_disconnected",
    6: "gnss_antenna_short_circuit",
    7: "main_power_undervoltage",
    8: "main_power_off",
    9: "display_fault",
    10: "tts_fault",
    11: "camera_fault",
    12: "ic_card_module_fault",
    13: "overspeed_warning",
    14: "fatigue_warning",
    18: "driving_time_exceeded_today",
    19: "overtime_parking",
    20: "area_in_out",
    21: "route_in_out",
    22: "road_section_time_abnormal",
    23: "route_deviation",
    24: "vss_fault",
    25: "fuel_abnormal",
    26: "vehicle_stolen",
    27: "illegal_ignition",
    28: "illegal_displacement",
    29: "collision_rollover",
    30: "rollover_warning",
}
STATUS_ACC_ON = 1 << 0
STATUS_POSITIONED = 1 << 1
STATUS_SOUTH = 1 << 2
STATUS_WEST = 1 << 3

# Additional items of 0x0200 decoded as unsigned integers when their length matches.
EXTRA_INT_SIZES: dict[int, int] = {
    0x01: 4,  # mileage, 1/10 km
    0x02: 2,  # fuel, 1/10 L
    0x03: 2,  # speed from the driving recorder, 1/10 km/h
    0x04: 2,  # id of a manually confirmed alarm event
    0x25: 4,  # extended vehicle signal status
    0x2A: 2,  # IO status
    0x2B: 4,  # analog inputs
    0x30: 1,  # wireless signal strength
    0x31: 1,  # GNSS satellites in view
}
_LOCATION = struct.Struct(">IIIIHHH6s")
_RESPONSE = struct.Struct(">HHB")
_REGISTER_2013 = struct.Struct(">HH5s20s7sB")
_REGISTER_2019 = struct.Struct(">HH11s30s30sB")


@dataclass(frozen=True, slots=True)
class Location:
    """A 0x0200 location report (also the items of 0x0704 and the tail of 0x0201)."""

    alarm_flags: int
    status: int
    lat_e6: int
    """Unsigned latitude in 1e-6 degrees; the hemisphere is in ``status`` bit 2."""
    lon_e6: int
    """Unsigned longitude in 1e-6 degrees; the hemisphere is in ``status`` bit 3."""
    altitude_m: int
    speed_dkmh: int
    """Speed in 1/10 km/h."""
    direction_deg: int
    time_bcd: str
    """The raw BCD time, ``YYMMDDhhmmss`` in GMT+8."""
    time_utc: datetime | None
    """Terminal time in UTC; ``None`` when the BCD time is zero or invalid."""
    extras: dict[int, int | bytes] = field(default_factory=dict)
    extras_tail: bytes = b""
    """Bytes after a malformed additional item (kept, not parsed)."""

    @property
    def lat_deg(self) -> float:
        """Signed WGS84 latitude in degrees (south negative)."""
        sign = -1.0 if self.status & STATUS_SOUTH else 1.0
        return sign * self.lat_e6 / 1e6

    @property
    def lon_deg(self) -> float:
        """Signed WGS84 longitude in degrees (west negative)."""
        sign = -1.0 if self.status & STATUS_WEST else 1.0
        return sign * self.lon_e6 / 1e6

    @property
    def speed_kmh(self) -> float:
        """Ground speed in km/h."""
        return self.speed_dkmh / 10.0

    @property
    def positioned(self) -> bool:
        """True when the terminal had a GNSS fix (status bit 1)."""
        return bool(self.status & STATUS_POSITIONED)

    @property
    def alarm_names(self) -> list[str]:
        """Names of the alarm bits set (unknown bits as ``bit<N>``)."""
        return [ALARM_BITS.get(b, f"bit{b}") for b in range(32) if self.alarm_flags >> b & 1]

    @property
    def mileage_km(self) -> float | None:
        """Odometer (additional item 0x01) in km, when sent."""
        value = self.extras.get(0x01)
        return value / 10.0 if isinstance(value, int) else None

    @property
    def fuel_l(self) -> float | None:
        """Fuel (additional item 0x02) in litres, when sent."""
        value = self.extras.get(0x02)
        return value / 10.0 if isinstance(value, int) else None


@dataclass(frozen=True, slots=True)
class LocationBatch:
    """0x0704: several location reports; ``kind`` 0 = normal batch, 1 = blind-area backfill."""

    kind: int
    items: tuple[Location, ...]


@dataclass(frozen=True, slots=True)
class LocationQueryResponse:
    """0x0201: a location sent in answer to a platform query."""

    reply_serial: int
    location: Location


@dataclass(frozen=True, slots=True)
class GeneralResponse:
    """0x0001 (terminal) or 0x8001 (platform) general response."""

    reply_serial: int
    reply_msg_id: int
    result: int


@dataclass(frozen=True, slots=True)
class Register:
    """0x0100 terminal registration."""

    province_id: int
    city_id: int
    manufacturer_id: str
    terminal_model: str
    terminal_id: str
    plate_color: int
    plate: str
    """Plate number (or VIN when ``plate_color`` is 0 in 2019)."""


@dataclass(frozen=True, slots=True)
class Auth:
    """0x0102 terminal authentication (IMEI and software version in 2019 only)."""

    auth_code: str
    imei: str | None = None
    software_version: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterResponse:
    """0x8100 platform answer to a registration; ``auth_code`` only when ``result`` is 0."""

    reply_serial: int
    result: int
    auth_code: str


@dataclass(frozen=True, slots=True)
class Empty:
    """A message without body (0x0002 heartbeat, 0x0003 logout, 0x0004 time query)."""

    msg_id: int


@dataclass(frozen=True, slots=True)
class RawBody:
    """A body this codec does not decode (other ids, encrypted bodies, subpackage fragments)."""

    msg_id: int
    data: bytes


Body = (
    Location
    | LocationBatch
    | LocationQueryResponse
    | GeneralResponse
    | Register
    | Auth
    | RegisterResponse
    | Empty
    | RawBody
)


def text(data: bytes) -> str:
    """Decode a GBK string, dropping NUL padding; undecodable bytes become U+FFFD."""
    return data.strip(b"\x00").decode(TEXT_ENCODING, errors="replace")


def bcd_time_to_utc(bcd: bytes) -> datetime | None:
    """``YYMMDDhhmmss`` BCD in GMT+8 -> aware UTC datetime; ``None`` when not a valid time."""
    digits = bcd.hex()
    if len(digits) != 12 or not digits.isdigit():
        return None
    yy, mo, dd, hh, mi, ss = (int(digits[i : i + 2]) for i in range(0, 12, 2))
    try:
        local = datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=BEIJING)
    except ValueError:
        return None
    return local.astimezone(UTC)


def _extras(data: bytes) -> tuple[dict[int, int | bytes], bytes]:
    items: dict[int, int | bytes] = {}
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data) or offset + 2 + data[offset + 1] > len(data):
            return items, data[offset:]
        item_id, length = data[offset], data[offset + 1]
        value = data[offset + 2 : offset + 2 + length]
        size = EXTRA_INT_SIZES.get(item_id)
        items[item_id] = int.from_bytes(value, "big") if size == length else value
        offset += 2 + length
    return items, b""


def parse_location(body: bytes) -> Location:
    """Decode a 0x0200 body (28 fixed bytes, then additional items)."""
    if len(body) < _LOCATION.size:
        raise Jt808Error(f"location body is {len(body)} bytes, need {_LOCATION.size}")
    alarm, status, lat, lon, alt, speed, heading, bcd = _LOCATION.unpack_from(body, 0)
    extras, tail = _extras(body[_LOCATION.size :])
    return Location(
        alarm, status, lat, lon, alt, speed, heading, bcd.hex(), bcd_time_to_utc(bcd), extras, tail
    )


def _parse_batch(body: bytes, _: Header) -> LocationBatch:
    if len(body) < 3:
        raise Jt808Error("0x0704 body shorter than its 3-byte head")
    count, kind = struct.unpack_from(">HB", body, 0)
    items: list[Location] = []
    offset = 3
    for i in range(count):
        if offset + 2 > len(body):
            raise Jt808Error(f"0x0704 truncated before item {i + 1} of {count}")
        (length,) = struct.unpack_from(">H", body, offset)
        item = body[offset + 2 : offset + 2 + length]
        if len(item) != length:
            raise Jt808Error(f"0x0704 item {i + 1} declares {length} bytes, has {len(item)}")
        items.append(parse_location(item))
        offset += 2 + length
    return LocationBatch(kind, tuple(items))


def _parse_register(body: bytes, header: Header) -> Register:
    layout = _REGISTER_2019 if header.is_2019 else _REGISTER_2013
    if len(body) < layout.size:
        raise Jt808Error(f"0x0100 body is {len(body)} bytes, need at least {layout.size}")
    province, city, maker, model, term_id, color = layout.unpack_from(body, 0)
    return Register(
        province, city, text(maker), text(model), text(term_id), color, text(body[layout.size :])
    )


def _parse_auth(body: bytes, header: Header) -> Auth:
    if not header.is_2019:
        return Auth(text(body))
    if not body or len(body) < 1 + body[0] + 15 + 20:
        raise Jt808Error(f"2019 0x0102 body of {len(body)} bytes is truncated")
    end = 1 + body[0]
    return Auth(text(body[1:end]), text(body[end : end + 15]), text(body[end + 15 : end + 35]))


def _parse_response(body: bytes, _: Header) -> GeneralResponse:
    if len(body) != _RESPONSE.size:
        raise Jt808Error(f"general response body is {len(body)} bytes, need {_RESPONSE.size}")
    return GeneralResponse(*_RESPONSE.unpack(body))


def _parse_register_response(body: bytes, _: Header) -> RegisterResponse:
    if len(body) < 3:
        raise Jt808Error(f"0x8100 body is {len(body)} bytes, need at least 3")
    serial, result = struct.unpack_from(">HB", body, 0)
    return RegisterResponse(serial, result, text(body[3:]))


def _parse_query_response(body: bytes, _: Header) -> LocationQueryResponse:
    if len(body) < 2:
        raise Jt808Error("0x0201 body shorter than its reply serial")
    return LocationQueryResponse(int.from_bytes(body[:2], "big"), parse_location(body[2:]))


_PARSERS: dict[int, Callable[[bytes, Header], Body]] = {
    MsgId.TERMINAL_RESPONSE: _parse_response,
    MsgId.PLATFORM_RESPONSE: _parse_response,
    MsgId.REGISTER: _parse_register,
    MsgId.AUTH: _parse_auth,
    MsgId.LOCATION: lambda body, _: parse_location(body),
    MsgId.LOCATION_QUERY_RESPONSE: _parse_query_response,
    MsgId.LOCATION_BATCH: _parse_batch,
    MsgId.REGISTER_RESPONSE: _parse_register_response,
}
_EMPTY = frozenset({MsgId.HEARTBEAT, MsgId.LOGOUT, MsgId.QUERY_SERVER_TIME})


def parse_body(frame: Frame) -> Body:
    """Decode the body of a frame (a whole message: reassemble subpackages first).

    Unknown ids, encrypted bodies and subpackage fragments come back as :class:`RawBody`.
    """
    header, body = frame.header, frame.body
    if header.encryption or header.is_subpackage:
        return RawBody(header.msg_id, body)
    if header.msg_id in _EMPTY and not body:
        return Empty(header.msg_id)
    parser = _PARSERS.get(header.msg_id)
    if parser is None:
        return RawBody(header.msg_id, body)
    try:
        return parser(body, header)
    except (struct.error, IndexError, ValueError) as exc:
        if isinstance(exc, Jt808Error):
            raise
        raise Jt808Error(f"message 0x{header.msg_id:04x}: {exc}") from exc
