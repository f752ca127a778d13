"""JT/T 808 codec tables: escaping, checksum, headers, bodies, errors, stream splitting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scenes.sensors.jt808 import (
    Frame,
    Jt808Error,
    build_header,
    checksum,
    decode_frame,
    encode_frame,
    encode_message,
    escape,
    unescape,
)
from scenes.sensors.jt808_encode import (
    encode_location,
    general_response,
    location_frame,
    make_location,
    register_response,
    utc_to_bcd_time,
)
from scenes.sensors.jt808_messages import (
    Auth,
    Empty,
    GeneralResponse,
    Location,
    LocationBatch,
    RawBody,
    RegisterResponse,
    bcd_time_to_utc,
    parse_body,
    parse_location,
)
from scenes.sensors.jt808_stream import Reassembler, StreamDecoder

T = datetime(2026, 3, 2, 1, 2, 3, tzinfo=UTC)  # 09:02:03 in Beijing
HEARTBEAT_2013 = encode_message(0x0002, "13912344329", 7)
HEARTBEAT_2019 = encode_message(0x0002, "13912344329", 8, protocol_version=1)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param(b"\x01\x02", b"\x01\x02", id="plain"),
        pytest.param(b"\x7e", b"\x7d\x02", id="flag"),
        pytest.param(b"\x7d", b"\x7d\x01", id="escape-byte"),
        pytest.param(b"\x7d\x02", b"\x7d\x01\x02", id="escape-then-02"),
        pytest.param(b"\x7d\x7e\x7e\x7d", b"\x7d\x01\x7d\x02\x7d\x02\x7d\x01", id="mixed"),
        pytest.param(b"", b"", id="empty"),
    ],
)
def test_escape_round_trip(raw: bytes, escaped: bytes) -> None:
    assert escape(raw) == escaped
    assert unescape(escaped) == raw


@pytest.mark.parametrize(
    ("data", "match"),
    [
        pytest.param(b"\x01\x7d", "bad escape", id="dangling"),
        pytest.param(b"\x7d\x03", "bad escape", id="unknown-code"),
        pytest.param(b"\x7d\x7d\x01", "bad escape", id="double-escape"),
        pytest.param(b"\x01\x7e\x02", "unescaped 0x7e", id="flag-inside"),
    ],
)
def test_unescape_errors(data: bytes, match: str) -> None:
    with pytest.raises(Jt808Error, match=match):
        unescape(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", 0), (b"\x01", 1), (b"\x01\x01", 0), (b"\x0f\xf0\xff", 0), (b"\x12\x34", 0x26)],
)
def test_checksum_is_xor(data: bytes, expected: int) -> None:
    assert checksum(data) == expected


@pytest.mark.parametrize(
    ("frame", "msg_id", "phone", "serial", "version", "is_2019"),
    [
        pytest.param(HEARTBEAT_2013, 2, "013912344329", 7, None, False, id="2013"),
        pytest.param(HEARTBEAT_2019, 2, "00000000013912344329", 8, 1, True, id="2019"),
    ],
)
def test_header_fields(
    frame: bytes, msg_id: int, phone: str, serial: int, version: int | None, is_2019: bool
) -> None:
    header = decode_frame(frame).header
    assert (header.msg_id, header.phone, header.serial) == (msg_id, phone, serial)
    assert (header.protocol_version, header.is_2019, header.is_subpackage) == (
        version,
        is_2019,
        False,
    )
    assert header.terminal_id == "13912344329"


def test_subpackage_header_round_trip() -> None:
    header = build_header(0x0704, "123", 42, 3, protocol_version=1, packet=(5, 2))
    frame = decode_frame(encode_frame(header, b"abc"))
    assert (frame.header.is_subpackage, frame.header.packet_total, frame.header.packet_index) == (
        True,
        5,
        2,
    )
    assert isinstance(parse_body(frame), RawBody)  # a fragment is not decoded on its own


def _wrap(content: bytes) -> bytes:
    return b"\x7e" + escape(content + bytes([checksum(content)])) + b"\x7e"


def _corrupt_checksum(frame: bytes) -> bytes:
    return frame[:-2] + bytes([frame[-2] ^ 0x55]) + frame[-1:]


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param(_corrupt_checksum(HEARTBEAT_2013), "bad checksum", id="checksum"),
        pytest.param(HEARTBEAT_2013[:6] + b"\x7e", "truncated frame", id="truncated"),
        pytest.param(b"\x7e\x7d\x7e", "bad escape", id="bad-escape"),
        pytest.param(b"\x7e\x7e", "truncated", id="empty"),
        pytest.param(_wrap(b"\x00\x02\x00\x00" + b"\x01" * 8 + b"\xff"), "declares 0", id="extra"),
        pytest.param(_wrap(b"\x00\x02\x40\x00" + b"\x01" * 10), "truncated 2019", id="short-2019"),
        pytest.param(_wrap(b"\x00\x02\x20\x00" + b"\x01" * 8), "subpackage", id="short-packet"),
        pytest.param(
            _wrap(b"\x00\x02\x20\x00" + b"\x01" * 8 + bytes.fromhex("00020003")),
            "bad subpackage index 3 of 2",
            id="packet-index",
        ),
    ],
)
def test_decode_frame_errors(raw: bytes, match: str) -> None:
    with pytest.raises(Jt808Error, match=match):
        decode_frame(raw)


def test_declared_length_must_match_body() -> None:
    content = bytes.fromhex("000200050139123443290001")  # declares 5, has 0
    raw = b"\x7e" + escape(content + bytes([checksum(content)])) + b"\x7e"
    with pytest.raises(Jt808Error, match="header declares 5"):
        decode_frame(raw)


@pytest.mark.parametrize(
    ("bcd", "expected"),
    [
        pytest.param("260302090203", T, id="beijing-to-utc"),
        pytest.param("260101000000", datetime(2025, 12, 31, 16, tzinfo=UTC), id="new-year"),
        pytest.param("000000000000", None, id="zero"),
        pytest.param("261332000000", None, id="month-13"),
        pytest.param("2603020902ff", None, id="not-bcd"),
    ],
)
def test_bcd_time(bcd: str, expected: datetime | None) -> None:
    assert bcd_time_to_utc(bytes.fromhex(bcd)) == expected
    if expected is not None:
        assert utc_to_bcd_time(expected).hex() == bcd


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(114.057868, 22.543099), (-73.985656, 40.748433), (151.2093, -33.8688), (-58.38, -34.6)],
)
def test_location_signs_round_trip(lon: float, lat: float) -> None:
    loc = make_location(lon=lon, lat=lat, at=T, speed_kmh=43.2, heading_deg=271)
    parsed = parse_location(encode_location(loc))
    assert parsed.lon_deg == pytest.approx(lon)
    assert parsed.lat_deg == pytest.approx(lat)
    assert (parsed.speed_kmh, parsed.direction_deg, parsed.time_utc) == (43.2, 271, T)
    assert parsed.positioned


@pytest.mark.parametrize(
    ("extra_hex", "extras", "tail"),
    [
        pytest.param("0104000003e80202012c", {1: 1000, 2: 300}, b"", id="mileage-fuel"),
        pytest.param("030201f4", {3: 500}, b"", id="recorder-speed"),
        pytest.param("e003abcdef", {0xE0: b"\xab\xcd\xef"}, b"", id="unknown-raw"),
        pytest.param("01020102", {1: b"\x01\x02"}, b"", id="odd-width-raw"),
        pytest.param("0104000003e80105aa", {1: 1000}, b"\x01\x05\xaa", id="truncated-item"),
    ],
)
def test_additional_items(extra_hex: str, extras: dict[int, object], tail: bytes) -> None:
    base = encode_location(make_location(lon=114.0, lat=22.5, at=T))
    loc = parse_location(base + bytes.fromhex(extra_hex))
    assert (loc.extras, loc.extras_tail) == (extras, tail)


def test_mileage_and_fuel_units() -> None:
    loc = make_location(lon=114.0, lat=22.5, at=T, extras={1: 12345, 2: 678})
    parsed = parse_location(encode_location(loc))
    assert (parsed.mileage_km, parsed.fuel_l) == (1234.5, 67.8)


def test_alarm_names() -> None:
    loc = make_location(lon=114.0, lat=22.5, at=T, alarm_flags=(1 << 1) | (1 << 29) | (1 << 16))
    assert loc.alarm_names == ["overspeed", "bit16", "collision_rollover"]


def _frame(msg_id: int, body: bytes, version: int | None = None) -> Frame:
    return decode_frame(encode_message(msg_id, "13912344329", 1, body, protocol_version=version))


@pytest.mark.parametrize(
    ("msg_id", "body", "version", "expected"),
    [
        pytest.param(0x0002, b"", None, Empty(2), id="heartbeat"),
        pytest.param(0x0001, bytes.fromhex("0007020000"), None, GeneralResponse(7, 0x200, 0)),
        pytest.param(0x0102, "鉴权abc".encode("gbk"), None, Auth("鉴权abc"), id="auth-2013"),
        pytest.param(
            0x0102,
            b"\x03abc" + b"123456789012345" + b"v1.0".ljust(20, b"\0"),
            1,
            Auth("abc", "123456789012345", "v1.0"),
            id="auth-2019",
        ),
        pytest.param(0x8100, bytes.fromhex("000900") + b"tok", None, RegisterResponse(9, 0, "tok")),
        pytest.param(0x8100, bytes.fromhex("000902"), None, RegisterResponse(9, 2, "")),
        pytest.param(0x0900, b"\x01\x02", None, RawBody(0x0900, b"\x01\x02"), id="unknown"),
        pytest.param(0x0704, bytes.fromhex("000001"), None, LocationBatch(1, ()), id="batch-empty"),
    ],
)
def test_parse_body_table(msg_id: int, body: bytes, version: int | None, expected: object) -> None:
    assert parse_body(_frame(msg_id, body, version)) == expected


@pytest.mark.parametrize(
    ("msg_id", "body", "version", "match"),
    [
        pytest.param(0x0200, b"\x00" * 27, None, "need 28", id="short-location"),
        pytest.param(0x0001, b"\x00" * 4, None, "need 5", id="short-response"),
        pytest.param(0x0100, b"\x00" * 36, None, "at least 37", id="short-register-2013"),
        pytest.param(0x0100, b"\x00" * 75, 1, "at least 76", id="short-register-2019"),
        pytest.param(0x0102, b"\x05ab", 1, "truncated", id="short-auth-2019"),
        pytest.param(0x0704, bytes.fromhex("000200001c") + b"\0" * 28, None, "before item 2"),
        pytest.param(0x0704, bytes.fromhex("000100001c") + b"\0" * 10, None, "declares 28"),
        pytest.param(0x8100, b"\x00", None, "need at least 3", id="short-8100"),
    ],
)
def test_parse_body_errors(msg_id: int, body: bytes, version: int | None, match: str) -> None:
    with pytest.raises(Jt808Error, match=match):
        parse_body(_frame(msg_id, body, version))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"body_length": 1024}, "exceeds", id="body-too-long"),
        pytest.param({"phone": "12345678901234"}, "at most 12", id="phone-too-long"),
        pytest.param({"phone": "13x"}, "decimal digits", id="phone-not-digits"),
    ],
)
def test_build_header_errors(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"msg_id": 2, "phone": "1", "serial": 1, "body_length": 0}
    with pytest.raises(Jt808Error, match=match):
        build_header(**(args | kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("version", [None, 1])
def test_replies_mirror_the_request(version: int | None) -> None:
    request = _frame(0x0200, encode_location(make_location(lon=1, lat=1, at=T)), version).header
    reply = decode_frame(general_response(request, serial=70000, result=4))
    assert (reply.header.phone, reply.header.protocol_version) == (request.phone, version)
    assert reply.header.serial == 70000 & 0xFFFF
    assert parse_body(reply) == GeneralResponse(request.serial, 0x0200, 4)
    failed = decode_frame(register_response(request, serial=1, result=3, auth_code="x"))
    assert parse_body(failed) == RegisterResponse(request.serial, 3, "")


# ---- stream splitting -------------------------------------------------------------------------

LOC = location_frame("13912344329", 1, make_location(lon=114.05, lat=22.54, at=T))
LOC_7E = location_frame("13912344329", 0x7E7D, make_location(lon=114.05, lat=22.54, at=T))


def _feed(chunks: list[bytes]) -> tuple[list[str], StreamDecoder]:
    decoder = StreamDecoder()
    out: list[str] = []
    for chunk in chunks:
        out += [
            "err" if isinstance(i, Jt808Error) else f"{i.header.msg_id:04x}"
            for i in decoder.feed(chunk)
        ]
    return out, decoder


def _bytes_split(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


@pytest.mark.parametrize(
    ("chunks", "expected", "garbage"),
    [
        pytest.param([LOC], ["0200"], 0, id="one"),
        pytest.param([LOC + HEARTBEAT_2013 + LOC_7E], ["0200", "0002", "0200"], 0, id="three"),
        pytest.param(_bytes_split(LOC_7E + HEARTBEAT_2019), ["0200", "0002"], 0, id="byte-by-byte"),
        pytest.param(
            [LOC[:10], LOC[10:] + HEARTBEAT_2013[:3], HEARTBEAT_2013[3:]], ["0200", "0002"], 0
        ),
        pytest.param([b"junk" + LOC + b"more" + HEARTBEAT_2013 + b"tail"], ["0200", "0002"], 8),
        pytest.param([b"\x01\x7e\x02\x03" + LOC], ["err", "0200"], 1, id="garbage-with-flag"),
        pytest.param([LOC[:-1] + LOC], ["0200", "0200"], 0, id="lost-end-flag"),
        pytest.param([LOC + LOC[1:]], ["0200", "0200"], 0, id="shared-flag"),
        pytest.param([b"\x7e\x7e" + HEARTBEAT_2013[1:]], ["0002"], 0, id="double-flag"),
        pytest.param([_corrupt_checksum(LOC) + LOC], ["err", "0200"], 0, id="bad-then-good"),
        pytest.param([b"\x00" * 5000], [], 5000, id="noise-only"),
    ],
)
def test_stream_decoder(chunks: list[bytes], expected: list[str], garbage: int) -> None:
    out, decoder = _feed(chunks)
    assert out == expected
    assert decoder.stats.garbage_bytes == garbage
    assert decoder.stats.frames == expected.count("0200") + expected.count("0002")
    assert decoder.stats.errors == expected.count("err")
    assert decoder.buffered_bytes <= 1 + 4  # a closing flag kept as a possible opening, "tail"


def test_stream_decoder_bounds_its_buffer() -> None:
    decoder = StreamDecoder(max_frame_bytes=100)
    out = decoder.feed(b"\x7e" + b"\x01" * 150)
    assert len(out) == 1 and isinstance(out[0], Jt808Error)
    assert decoder.buffered_bytes == 0
    assert [type(i).__name__ for i in decoder.feed(LOC)] == ["Frame"]


def test_reassembler_joins_parts_in_any_order() -> None:
    loc = encode_location(make_location(lon=114.0, lat=22.0, at=T))
    batch = bytes.fromhex("000100") + len(loc).to_bytes(2, "big") + loc
    parts = [batch[:10], batch[10:20], batch[20:]]
    frames = [
        decode_frame(
            encode_frame(build_header(0x0704, "139", 100 + i, len(p), packet=(3, i + 1)), p)
        )
        for i, p in enumerate(parts)
    ]
    joiner = Reassembler()
    assert joiner.add(frames[2]) is None and joiner.add(frames[0]) is None
    whole = joiner.add(frames[1])
    assert whole is not None and whole.body == batch and whole.header.serial == 100
    body = parse_body(whole)
    assert isinstance(body, LocationBatch) and isinstance(body.items[0], Location)
    assert body.items[0].time_utc == T


def test_reassembler_is_bounded() -> None:
    joiner = Reassembler(max_open=2)
    for serial in (10, 20, 30):
        part = encode_frame(build_header(0x0704, "139", serial, 1, packet=(2, 1)), b"x")
        assert joiner.add(decode_frame(part)) is None
    assert joiner.dropped == 1
