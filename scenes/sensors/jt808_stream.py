"""Splitting a JT/T 808 TCP byte stream into frames, and reassembling subpackaged messages.

TCP delivers bytes, not frames: one read may hold half a frame, several frames, or line noise
between frames. :class:`StreamDecoder` buffers the bytes (bounded), cuts them at ``0x7e`` and
decodes each candidate. Every closing ``0x7e`` is also tried as the opening flag of the next
candidate, so the decoder resynchronises on the very next good frame after garbage holding a
stray ``0x7e``, after a frame that lost its closing flag, and with terminals that share one flag
between two frames. Undecodable bytes right after a good frame's closing flag (and before the
next flag) count as garbage; any other undecodable candidate is reported as an error.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from scenes.sensors.jt808 import MAX_BODY_BYTES, Frame, Header, Jt808Error, decode_frame

# 2019 header with subpackage fields (21) + body + checksum, every byte escaped, + two flags.
MAX_FRAME_BYTES = 2 * (21 + MAX_BODY_BYTES + 1) + 2


@dataclass
class StreamStats:
    """Counters of one stream."""

    frames: int = 0
    errors: int = 0
    garbage_bytes: int = 0
    """Bytes dropped outside any frame (before a start flag, or in an overlong frame)."""


@dataclass
class StreamDecoder:
    """Incremental frame splitter and decoder for one TCP connection."""

    max_frame_bytes: int = MAX_FRAME_BYTES
    stats: StreamStats = field(default_factory=StreamStats)
    _buffer: bytearray = field(default_factory=bytearray)
    _after_frame: bool = False

    @property
    def buffered_bytes(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[Frame | Jt808Error]:
        """Add received bytes; return the frames (and errors) completed by them, in order."""
        buf = self._buffer
        buf += chunk
        out: list[Frame | Jt808Error] = []
        start, after_frame = self._sync(buf), self._after_frame
        while start >= 0:
            end = buf.find(b"\x7e", start + 1)
            if end < 0:
                break
            if end == start + 1:  # "7e 7e": a closing flag, then an opening one
                start, after_frame = end, False
                continue
            item = _decode(bytes(buf[start : end + 1]))
            if isinstance(item, Frame):
                self.stats.frames += 1
                out.append(item)
            elif after_frame:  # bytes between two frames, not a frame
                self.stats.garbage_bytes += end - start - 1
            else:
                self.stats.errors += 1
                out.append(item)
            # The closing flag may also open the next frame (shared or lost flags).
            start, after_frame = end, isinstance(item, Frame)
        self._after_frame = after_frame and start >= 0
        self._keep_from(buf, start, out)
        return out

    def _sync(self, buf: bytearray) -> int:
        start = buf.find(b"\x7e")
        self.stats.garbage_bytes += len(buf) if start < 0 else start
        return start

    def _keep_from(self, buf: bytearray, start: int, out: list[Frame | Jt808Error]) -> None:
        if start < 0:
            buf.clear()
            return
        del buf[:start]
        if len(buf) > self.max_frame_bytes:
            self.stats.errors += 1
            self.stats.garbage_bytes += len(buf)
            out.append(Jt808Error(f"no end flag within {self.max_frame_bytes} bytes; dropped"))
            buf.clear()


def _decode(raw: bytes) -> Frame | Jt808Error:
    try:
        return decode_frame(raw)
    except Jt808Error as exc:
        return exc


@dataclass
class _Pending:
    first: Header
    parts: dict[int, bytes] = field(default_factory=dict)


class Reassembler:
    """Joins the subpackages of one terminal's messages (bounded number of open messages).

    Subpackages of one message share the message id and package count, and their serials are
    consecutive; the key is (phone, message id, serial of package 1).
    """

    def __init__(self, max_open: int = 16) -> None:
        self._open: OrderedDict[tuple[str, int, int], _Pending] = OrderedDict()
        self._max_open = max_open
        self.dropped = 0

    def add(self, frame: Frame) -> Frame | None:
        """Return the whole message once every part arrived; ``frame`` itself if not split."""
        header = frame.header
        if not header.is_subpackage:
            return frame
        index, total = header.packet_index or 1, header.packet_total or 1
        first_serial = (header.serial - (index - 1)) & 0xFFFF
        key = (header.phone, header.msg_id, first_serial)
        pending = self._open.get(key)
        if pending is None:
            pending = self._open[key] = _Pending(header)
            while len(self._open) > self._max_open:
                self._open.popitem(last=False)
                self.dropped += 1
        pending.parts[index] = frame.body
        if len(pending.parts) < total:
            return None
        del self._open[key]
        body = b"".join(pending.parts[i] for i in range(1, total + 1))
        return Frame(_whole_header(header, first_serial, len(body)), body, frame.checksum)


def _whole_header(part: Header, serial: int, length: int) -> Header:
    # A joined body may exceed the 10-bit length field: trust len(frame.body), not these bits.
    props = (part.properties & ~0x2000 & ~0x03FF) | (length & 0x03FF)
    return Header(part.msg_id, props, part.phone, serial, part.protocol_version)
