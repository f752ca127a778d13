"""Every published JT/T 808 vector: xtream-codec (expected bodies) and chan1sook (round trips).

The expected bodies of xtream-codec carry known upstream errors, flagged in each record's
``note``; they are corrected here explicitly (see ``CORRECTIONS``) instead of being skipped.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from scenes.sensors.jt808 import decode_frame, encode_frame
from scenes.sensors.jt808_encode import encode_location, general_response, register_response
from scenes.sensors.jt808_messages import (
    BEIJING,
    Auth,
    Empty,
    GeneralResponse,
    Location,
    LocationBatch,
    LocationQueryResponse,
    RawBody,
    Register,
    RegisterResponse,
    parse_body,
)

pytestmark = pytest.mark.shared_data

JT808 = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "protocols" / "jt808"
XTREAM = JT808 / "xtream_codec_vectors.json"
CHAN1SOOK = JT808 / "chan1sook_oldData.hex.txt"
_ABSENT = pytest.param(None, marks=pytest.mark.skip(reason=f"../shared/data not present: {JT808}"))

# Upstream errors documented in the records' `note` (and DATA.md), corrected explicitly.
CORRECTIONS: dict[str, dict[str, Any]] = {
    # expected_body is a copy of BuiltinMessage0200; these are the values the hex carries.
    "BuiltinMessage0200Sample2": {
        "alarmFlag": 123,
        "status": 222,
        "latitude": 31000562,
        "longitude": 121451372,
        "altitude": 666,
        "speed": 78,
        "direction": 0,
        "time": "2014-10-21 19:51:09",
        "extraItems": {"1": 111, "2": 222, "3": 666, "4": 333, "37": 777, "48": 33, "49": 55},
    },
}
# Labelled 0x0001 upstream, but the frame is a 0x8001 (platform general response).
MISLABELLED = {"BuiltinMessage0001": 0x8001}


def _xtream() -> list[Any]:
    if not XTREAM.is_file():
        return [_ABSENT]
    records = json.loads(XTREAM.read_text(encoding="utf-8"))["vectors"]
    return [pytest.param(r, id=r["name"]) for r in records]


def _chan1sook() -> list[Any]:
    if not CHAN1SOOK.is_file():
        return [_ABSENT]
    lines = [ln.strip() for ln in CHAN1SOOK.read_text(encoding="ascii").splitlines()]
    return [pytest.param(h, id=f"line{i + 1}-{h[2:6]}") for i, h in enumerate(lines) if h]


def _local(text: str) -> datetime:
    # Upstream times are GMT+8 wall-clock times (their trailing "Z" is wrong): compare as such.
    return datetime.strptime(text.rstrip("Z"), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def _check_location(loc: Location, exp: dict[str, Any]) -> None:
    got = {
        "alarmFlag": loc.alarm_flags,
        "status": loc.status,
        "latitude": loc.lat_e6,
        "longitude": loc.lon_e6,
        "altitude": loc.altitude_m,
        "speed": loc.speed_dkmh,
        "direction": loc.direction_deg,
    }
    assert got == {k: exp[k] for k in got}
    assert loc.time_utc == _local(exp["time"])
    extras = {int(k): v for k, v in exp.get("extraItems", {}).items()}
    assert {k: v for k, v in loc.extras.items() if isinstance(v, int)} == extras


def _check_body(body: Any, exp: dict[str, Any], name: str) -> None:
    if isinstance(body, Location):
        _check_location(body, exp)
    elif isinstance(body, LocationBatch):
        assert (len(body.items), body.kind) == (exp["count"], exp["type"])
        for loc, item in zip(body.items, exp["itemList"], strict=True):
            _check_location(loc, item["locationData"])
    elif isinstance(body, LocationQueryResponse):
        assert body.reply_serial == exp["flowId"]
        _check_location(body.location, exp["locationMessage"])
    elif isinstance(body, GeneralResponse):
        prefix = "server" if name in MISLABELLED else "client"
        want = (exp[f"{prefix}FlowId"], exp[f"{prefix}MessageId"], exp["result"])
        assert (body.reply_serial, body.reply_msg_id, body.result) == want
    elif isinstance(body, RegisterResponse):
        assert (body.reply_serial, body.result, body.auth_code) == (
            exp["clientFlowId"],
            exp["result"],
            exp["authCode"],
        )
    elif isinstance(body, Register):
        got = (body.province_id, body.city_id, body.manufacturer_id, body.terminal_model)
        assert got == (exp["provinceId"], exp["cityId"], exp["manufacturerId"], exp["terminalType"])
        assert (body.terminal_id, body.plate_color, body.plate) == (
            exp["terminalId"],
            exp["color"],
            exp["carIdentifier"],
        )
    elif isinstance(body, Auth):
        assert body.auth_code == exp["authenticationCode"]
        assert body.imei == exp.get("imei")
        # Our decoder strips NUL padding; upstream keeps it in softwareVersion.
        version = exp.get("softwareVersion")
        assert body.software_version == (None if version is None else version.rstrip("\0"))
    else:
        assert isinstance(body, Empty) and exp == {}


@pytest.mark.parametrize("record", _xtream())
def test_xtream_vector(record: dict[str, Any]) -> None:
    raw = bytes.fromhex(record["hex"])
    frame = decode_frame(raw)
    msg_id = MISLABELLED.get(record["name"], int(record["message_id"], 16))
    assert frame.header.msg_id == msg_id == int(record["header_msg_id"], 16)
    assert frame.header.is_2019 == (frame.header.protocol_version is not None)
    assert bool(frame.body) == record["has_body"]
    assert encode_frame(frame.header, frame.body) == raw
    body = parse_body(frame)
    if isinstance(body, RawBody):  # ids this codec does not decode: kept whole
        assert (body.msg_id, body.data) == (msg_id, frame.body)
        return
    expected = CORRECTIONS.get(record["name"], record["expected_body"])
    _check_body(body, expected, record["name"])


@pytest.mark.parametrize(
    ("name", "build"),
    [
        pytest.param(
            "BuiltinMessage8001",
            lambda req: general_response(req, serial=0),
            id="8001-general-response",
        ),
        pytest.param(
            "BuiltinMessage0001",
            lambda req: general_response(req, serial=0, result=1),
            id="8001-failure",
        ),
        pytest.param(
            "BuiltinMessage8100",
            lambda req: register_response(req, serial=0, auth_code="ok..ok..ok"),
            id="8100-register-response",
        ),
    ],
)
def test_reply_encoders_match_vectors(name: str, build: Any) -> None:
    records = {p.values[0]["name"]: p.values[0] for p in _xtream() if p.values[0] is not None}
    if not records:
        pytest.skip(f"../shared/data not present: {XTREAM}")
    frame = decode_frame(bytes.fromhex(records[name]["hex"]))
    reply = parse_body(frame)
    assert isinstance(reply, GeneralResponse | RegisterResponse)
    request_id = reply.reply_msg_id if isinstance(reply, GeneralResponse) else 0x0100
    request = type(frame.header)(
        request_id, frame.header.properties & 0xFC00, frame.header.phone, reply.reply_serial, 1
    )
    assert build(request).hex() == records[name]["hex"]


@pytest.mark.parametrize("hex_frame", _chan1sook())
def test_chan1sook_round_trip(hex_frame: str) -> None:
    raw = bytes.fromhex(hex_frame)
    frame = decode_frame(raw)
    assert encode_frame(frame.header, frame.body) == raw
    body = parse_body(frame)
    if isinstance(body, Location):
        assert encode_location(body) == frame.body
    if isinstance(body, RawBody):
        assert body.data == frame.body


def test_chan1sook_has_96_frames_in_both_framings() -> None:
    params = [p.values[0] for p in _chan1sook() if p.values[0] is not None]
    if not params:
        pytest.skip(f"../shared/data not present: {CHAN1SOOK}")
    headers = [decode_frame(bytes.fromhex(h)).header for h in params]
    assert len(headers) == 96
    assert sum(h.is_2019 for h in headers) == 48
