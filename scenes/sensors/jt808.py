"""JT/T 808 framing: escaping, XOR checksum, message headers (2013 and 2019), frames.

A frame on the wire is ``0x7e | escaped(header | body | checksum) | 0x7e``. Inside the frame
``0x7e`` is sent as ``0x7d 0x02`` and ``0x7d`` as ``0x7d 0x01``; the checksum is the XOR of every
byte of header and body (before escaping). The header is

- 2013 (and 2011): message id (WORD), body properties (WORD), terminal phone number (BCD[6]),
  serial (WORD), then, when the subpackage flag is set, package count and index (WORD, WORD);
- 2019: the properties carry the version flag (bit 14) and the header gains a protocol-version
  byte, and the phone number grows to BCD[10].

Body properties: bits 0-9 body length, 10-12 encryption (0 = none, 1 = RSA), 13 subpackage,
14 version flag (2019), 15 reserved. Everything is big-endian.

This module is pure (no I/O). Bodies are decoded by :mod:`scenes.sensors.jt808_messages`, byte
streams are split by :mod:`scenes.sensors.jt808_stream`. Decoding never raises anything but
:class:`Jt808Error` on bad input.
"""

from __future__ import annotations

import functools
import operator
import struct
from dataclasses import dataclass

FLAG = 0x7E
ESCAPE = 0x7D
MAX_BODY_BYTES = 0x3FF
PHONE_DIGITS_2013 = 12
PHONE_DIGITS_2019 = 20

_LENGTH_MASK = 0x03FF
_ENCRYPTION_SHIFT = 10
_SUBPACKAGE_BIT = 0x2000
_VERSION_BIT = 0x4000
_ID_PROPS = struct.Struct(">HH")
_WORD = struct.Struct(">H")
_PACKET = struct.Struct(">HH")
_MIN_FRAME_BYTES = 4 + 6 + 2 + 1  # id, props, phone, serial, checksum (2013, no body)


class Jt808Error(ValueError):
    """Input that is not a valid JT/T 808 frame or body; the message says what is wrong."""


def escape(data: bytes) -> bytes:
    """Escape ``0x7d`` -> ``0x7d 0x01`` and ``0x7e`` -> ``0x7d 0x02`` (order matters)."""
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; raise :class:`Jt808Error` on a dangling or unknown escape."""
    if b"\x7e" in data:
        raise Jt808Error("unescaped 0x7e inside a frame")
    escapes = data.count(b"\x7d")
    if not escapes:
        return data
    if escapes != data.count(b"\x7d\x01") + data.count(b"\x7d\x02"):
        raise Jt808Error("bad escape: 0x7d must be followed by 0x01 or 0x02")
    return data.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


def checksum(data: bytes) -> int:
    """XOR of all bytes (header and body, unescaped)."""
    return functools.reduce(operator.xor, data, 0)


@dataclass(frozen=True, slots=True)
class Header:
    """A decoded message header."""

    msg_id: int
    properties: int
    phone: str
    """Terminal phone number as sent: 12 BCD digits (2013) or 20 (2019)."""
    serial: int
    protocol_version: int | None = None
    """Protocol version byte (2019 framing only)."""
    packet_total: int | None = None
    packet_index: int | None = None
    """1-based index of this subpackage (subpackaged messages only)."""

    @property
    def body_length(self) -> int:
        """Declared body length in bytes (bits 0-9 of the properties)."""
        return self.properties & _LENGTH_MASK

    @property
    def encryption(self) -> int:
        """Encryption mode (bits 10-12): 0 none, 1 RSA."""
        return (self.properties >> _ENCRYPTION_SHIFT) & 0x7

    @property
    def is_subpackage(self) -> bool:
        """True when the message is split into several frames."""
        return bool(self.properties & _SUBPACKAGE_BIT)

    @property
    def is_2019(self) -> bool:
        """True for the 2019 framing (version flag set)."""
        return bool(self.properties & _VERSION_BIT)

    @property
    def terminal_id(self) -> str:
        """The phone number without BCD zero padding: the same id in 2013 and 2019 framing."""
        return self.phone.lstrip("0") or "0"

    @property
    def size(self) -> int:
        """Encoded header length in bytes."""
        base = 17 if self.is_2019 else 12
        return base + (4 if self.is_subpackage else 0)


@dataclass(frozen=True, slots=True)
class Frame:
    """One unescaped, checksum-verified frame: header, raw body and checksum."""

    header: Header
    body: bytes
    checksum: int


def decode_header(data: bytes) -> Header:
    """Decode the header at the start of unescaped ``data`` (header + body + checksum)."""
    if len(data) < 4:
        raise Jt808Error(f"truncated header: {len(data)} bytes")
    msg_id, props = _ID_PROPS.unpack_from(data, 0)
    version: int | None = None
    if props & _VERSION_BIT:
        if len(data) < 17:
            raise Jt808Error(f"truncated 2019 header: {len(data)} bytes, need 17")
        version, phone, offset = data[4], data[5:15].hex(), 15
    else:
        if len(data) < 12:
            raise Jt808Error(f"truncated 2013 header: {len(data)} bytes, need 12")
        phone, offset = data[4:10].hex(), 10
    (serial,) = _WORD.unpack_from(data, offset)
    total = index = None
    if props & _SUBPACKAGE_BIT:
        if len(data) < offset + 6:
            raise Jt808Error("truncated subpackage fields in header")
        total, index = _PACKET.unpack_from(data, offset + 2)
        if total == 0 or not 1 <= index <= total:
            raise Jt808Error(f"bad subpackage index {index} of {total}")
    return Header(msg_id, props, phone, serial, version, total, index)


def decode_frame(raw: bytes) -> Frame:
    """Decode one frame, with or without its ``0x7e`` delimiters.

    Raises :class:`Jt808Error` for a bad escape, a checksum mismatch, a truncated frame or a
    body whose length differs from the length declared in the header.
    """
    if raw[:1] == b"\x7e":
        raw = raw[1:]
    if raw[-1:] == b"\x7e":
        raw = raw[:-1]
    data = unescape(raw)
    if len(data) < _MIN_FRAME_BYTES:
        raise Jt808Error(f"truncated frame: {len(data)} bytes after unescaping")
    expected, got = checksum(data[:-1]), data[-1]
    if expected != got:
        raise Jt808Error(f"bad checksum: frame says 0x{got:02x}, computed 0x{expected:02x}")
    header = decode_header(data)
    body = data[header.size : -1]
    if len(body) != header.body_length:
        raise Jt808Error(
            f"message 0x{header.msg_id:04x}: body is {len(body)} bytes, "
            f"header declares {header.body_length}"
        )
    return Frame(header, body, got)


def build_header(
    msg_id: int,
    phone: str,
    serial: int,
    body_length: int,
    *,
    protocol_version: int | None = None,
    packet: tuple[int, int] | None = None,
    encryption: int = 0,
) -> Header:
    """A header for a new message; ``protocol_version`` given means 2019 framing.

    ``phone`` is left-padded with zeros to 12 (2013) or 20 (2019) digits; ``packet`` is
    ``(total, index)`` for a subpackage.
    """
    if not 0 <= body_length <= MAX_BODY_BYTES:
        raise Jt808Error(f"body of {body_length} bytes exceeds {MAX_BODY_BYTES}; split it")
    digits = PHONE_DIGITS_2013 if protocol_version is None else PHONE_DIGITS_2019
    if not phone.isdigit() or len(phone) > digits:
        raise Jt808Error(f"phone {phone!r} is not at most {digits} decimal digits")
    props = body_length | (encryption & 0x7) << _ENCRYPTION_SHIFT
    if protocol_version is not None:
        props |= _VERSION_BIT
    if packet is not None:
        props |= _SUBPACKAGE_BIT
    total, index = packet if packet is not None else (None, None)
    return Header(
        msg_id, props, phone.zfill(digits), serial & 0xFFFF, protocol_version, total, index
    )


def encode_header(header: Header) -> bytes:
    """Serialise a header (its ``properties`` are written as they are)."""
    out = bytearray(_ID_PROPS.pack(header.msg_id, header.properties))
    if header.is_2019:
        out.append(header.protocol_version or 0)
    out += bytes.fromhex(header.phone)
    out += _WORD.pack(header.serial)
    if header.is_subpackage:
        out += _PACKET.pack(header.packet_total or 1, header.packet_index or 1)
    return bytes(out)


def encode_frame(header: Header, body: bytes = b"") -> bytes:
    """Serialise a whole frame: delimiters, escaping and checksum included."""
    if len(body) != header.body_length:
        raise Jt808Error(f"body is {len(body)} bytes, header declares {header.body_length}")
    expected_phone = PHONE_DIGITS_2019 if header.is_2019 else PHONE_DIGITS_2013
    if len(header.phone) != expected_phone:
        raise Jt808Error(f"phone must have {expected_phone} digits, got {header.phone!r}")
    content = encode_header(header) + body
    return b"\x7e" + escape(content + bytes([checksum(content)])) + b"\x7e"


def encode_message(
    msg_id: int,
    phone: str,
    serial: int,
    body: bytes = b"",
    *,
    protocol_version: int | None = None,
) -> bytes:
    """Build and serialise a single-frame message (header computed from the body)."""
    header = build_header(msg_id, phone, serial, len(body), protocol_version=protocol_version)
    return encode_frame(header, body)
