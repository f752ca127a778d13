"""JT/T 808 encoders: location bodies (simulators, tests, benchmarks) and platform replies.

Replies mirror the request's framing: a 2019 terminal gets 2019 frames with its protocol version
and 20-digit phone number, a 2013 terminal gets 2013 frames.
"""

from __future__ import annotations

import struct
from datetime import datetime

from scenes.sensors.jt808 import MAX_BODY_BYTES, Header, Jt808Error, encode_frame, encode_message
from scenes.sensors.jt808_messages import (
    BEIJING,
    EXTRA_INT_SIZES,
    STATUS_POSITIONED,
    STATUS_SOUTH,
    STATUS_WEST,
    TEXT_ENCODING,
    Location,
    MsgId,
    ResponseResult,
    bcd_time_to_utc,
)

_LOCATION = struct.Struct(">IIIIHHH6s")
_RESPONSE = struct.Struct(">HHB")
_VERSION_BIT = 0x4000


def utc_to_bcd_time(instant: datetime) -> bytes:
    """Aware datetime -> ``YYMMDDhhmmss`` BCD in GMT+8 (years 2000-2099)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    local = instant.astimezone(BEIJING)
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"year {local.year} does not fit a two-digit BCD year")
    return bytes.fromhex(local.strftime("%y%m%d%H%M%S"))


def encode_location(loc: Location) -> bytes:
    """Serialise a 0x0200 body (integer extras use their standard width)."""
    head = _LOCATION.pack(
        loc.alarm_flags,
        loc.status,
        loc.lat_e6,
        loc.lon_e6,
        loc.altitude_m,
        loc.speed_dkmh,
        loc.direction_deg,
        bytes.fromhex(loc.time_bcd),
    )
    items = bytearray()
    for item_id, value in loc.extras.items():
        raw = value if isinstance(value, bytes) else value.to_bytes(EXTRA_INT_SIZES[item_id], "big")
        items += bytes([item_id, len(raw)]) + raw
    return head + bytes(items) + loc.extras_tail


def make_location(
    *,
    lon: float,
    lat: float,
    at: datetime,
    speed_kmh: float = 0.0,
    heading_deg: int = 0,
    altitude_m: int = 0,
    alarm_flags: int = 0,
    positioned: bool = True,
    extras: dict[int, int | bytes] | None = None,
) -> Location:
    """A location report from signed degrees (hemisphere bits set from the signs)."""
    status = STATUS_POSITIONED if positioned else 0
    status |= (STATUS_SOUTH if lat < 0 else 0) | (STATUS_WEST if lon < 0 else 0)
    bcd = utc_to_bcd_time(at)
    return Location(
        alarm_flags,
        status,
        round(abs(lat) * 1e6),
        round(abs(lon) * 1e6),
        altitude_m,
        round(speed_kmh * 10),
        heading_deg,
        bcd.hex(),
        bcd_time_to_utc(bcd),
        dict(extras or {}),
    )


def location_frame(
    phone: str, serial: int, loc: Location, *, protocol_version: int | None = None
) -> bytes:
    """A whole 0x0200 frame, as a terminal would send it."""
    body = encode_location(loc)
    return encode_message(MsgId.LOCATION, phone, serial, body, protocol_version=protocol_version)


def general_response(request: Header, *, serial: int, result: int = ResponseResult.OK) -> bytes:
    """A 0x8001 frame answering ``request`` (same phone and framing version)."""
    body = _RESPONSE.pack(request.serial, request.msg_id, result)
    return _reply(request, MsgId.PLATFORM_RESPONSE, serial, body)


def register_response(
    request: Header, *, serial: int, result: int = 0, auth_code: str = ""
) -> bytes:
    """A 0x8100 frame answering a registration; the auth code is sent only on success."""
    body = struct.pack(">HB", request.serial, result)
    if result == 0:
        body += auth_code.encode(TEXT_ENCODING)
    return _reply(request, MsgId.REGISTER_RESPONSE, serial, body)


def _reply(request: Header, msg_id: int, serial: int, body: bytes) -> bytes:
    if len(body) > MAX_BODY_BYTES:
        raise Jt808Error(f"reply body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    props = len(body) | (_VERSION_BIT if request.is_2019 else 0)
    version = request.protocol_version if request.is_2019 else None
    header = Header(msg_id, props, request.phone, serial & 0xFFFF, version)
    return encode_frame(header, body)
