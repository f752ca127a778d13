"""Property tests: the codec and the stream splitter never raise anything but Jt808Error."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from scenes.sensors.jt808 import Frame, Jt808Error, decode_frame, encode_message
from scenes.sensors.jt808_encode import location_frame, make_location
from scenes.sensors.jt808_messages import MsgId, parse_body
from scenes.sensors.jt808_stream import StreamDecoder

T = datetime(2026, 3, 2, 1, 2, 3, tzinfo=UTC)
IDS = [int(m) for m in MsgId]
FRAMES = [
    location_frame("13912344329", 0x7E, make_location(lon=114.0, lat=22.5, at=T)),
    encode_message(0x0002, "13912344329", 0x7D7E, protocol_version=1),
    encode_message(0x0102, "1", 3, b"\x7e\x7d code"),
]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decode_frame_only_raises_jt808_error(raw: bytes) -> None:
    try:
        frame = decode_frame(b"\x7e" + raw + b"\x7e")
    except Jt808Error:
        return
    assert len(frame.body) == frame.header.body_length


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(IDS), st.binary(max_size=120), st.sampled_from([None, 1]))
def test_parse_body_only_raises_jt808_error(msg_id: int, body: bytes, version: int | None) -> None:
    frame = decode_frame(encode_message(msg_id, "13912344329", 1, body, protocol_version=version))
    try:
        parsed = parse_body(frame)
    except Jt808Error:
        return
    assert parsed is not None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(range(len(FRAMES))), st.binary(max_size=20)),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=10),
)
def test_stream_recovers_every_frame_between_flagless_garbage(
    plan: list[tuple[int, bytes]], cuts: list[int]
) -> None:
    stream = b"".join(g.replace(b"\x7e", b"") + FRAMES[i] for i, g in plan)
    decoder, frames, pos, k = StreamDecoder(), [], 0, 0
    while pos < len(stream):
        size = cuts[k % len(cuts)]
        items = decoder.feed(stream[pos : pos + size])
        frames += [i for i in items if isinstance(i, Frame)]
        pos, k = pos + size, k + 1
    assert [f.header.serial for f in frames] == [
        decode_frame(FRAMES[i]).header.serial for i, _ in plan
    ]
