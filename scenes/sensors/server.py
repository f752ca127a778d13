"""Asyncio TCP server for JT/T 808 terminals: frames in, replies out, readings to a callback.

Each connection runs in its own task with its own stream decoder, reassembler and counters, so a
terminal that sends garbage, stalls or disconnects mid-frame never affects the others. Replies:
0x8001 (general response) to reports, heartbeats, authentication and other terminal requests,
0x8100 (with an auth code) to registration. Location reports (0x0200, 0x0704 batches, 0x0201
query answers) become :class:`~scenes.sensors.readings.SensorReading` objects handed to
``on_reading`` (a plain function or a coroutine function).

Limits: reads of ``read_chunk_bytes``, a bounded frame buffer, an idle timeout, a write timeout
(slow readers are dropped), ``max_bad_frames`` per connection and ``max_connections``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.clock import Clock, SystemClock
from scenes.sensors.jt808 import Frame, Jt808Error
from scenes.sensors.jt808_encode import general_response, register_response
from scenes.sensors.jt808_messages import (
    Auth,
    Body,
    Location,
    LocationBatch,
    LocationQueryResponse,
    Register,
    ResponseResult,
    parse_body,
)
from scenes.sensors.jt808_stream import Reassembler, StreamDecoder
from scenes.sensors.readings import SensorReading, reading_from_location

logger = logging.getLogger(__name__)

ReadingCallback = Callable[[SensorReading], Awaitable[None] | None]
# Terminal messages that answer a platform request: they get no general response.
_NO_REPLY = frozenset({0x0001, 0x0104, 0x0107, 0x0201, 0x0302, 0x0500, 0x0700, 0x0802, 0x0805})
_LOGGED_ERRORS_PER_CONNECTION = 5


@dataclass
class ConnectionStats:
    """Counters of one terminal connection."""

    peer: str
    device_id: str | None = None
    plate: str | None = None
    authenticated: bool = False
    frames: int = 0
    bad_frames: int = 0
    garbage_bytes: int = 0
    readings: int = 0
    invalid_readings: int = 0
    rejected_readings: int = 0
    callback_errors: int = 0
    replies: int = 0
    last_error: str = ""


@dataclass
class ServerStats:
    """Counters over all connections (closed connections included)."""

    connections_total: int = 0
    connections_rejected: int = 0
    idle_closed: int = 0
    frames: int = 0
    bad_frames: int = 0
    readings: int = 0
    invalid_readings: int = 0
    callback_errors: int = 0
    closed: list[ConnectionStats] = field(default_factory=list)


@dataclass(frozen=True)
class ServerOptions:
    """Tuning and policy of :class:`Jt808Server`."""

    idle_timeout_s: float = 300.0
    write_timeout_s: float = 10.0
    read_chunk_bytes: int = 4096
    max_bad_frames: int = 64
    max_connections: int = 10_000
    require_auth: bool = False
    """Drop locations of terminals not authenticated (0x0102) on this connection, and refuse
    codes of terminals that never registered here (``Jt808Server.auth_codes`` may be preloaded
    from storage); when False, unknown terminals' codes are accepted."""
    keep_closed_stats: int = 1000


class Jt808Server:
    """JT/T 808 terminal server; use ``async with`` or :meth:`start` / :meth:`close`."""

    def __init__(
        self,
        on_reading: ReadingCallback,
        *,
        clock: Clock | None = None,
        options: ServerOptions | None = None,
        issue_auth_code: Callable[[str], str] | None = None,
        plate_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.on_reading = on_reading
        self.clock: Clock = clock or SystemClock()
        self.options = options or ServerOptions()
        self.stats = ServerStats()
        self.connections: dict[int, ConnectionStats] = {}
        self.auth_codes: dict[str, str] = {}
        self.plates: dict[str, str] = {}
        """Plates learned from registrations (terminals register once, then only authenticate)."""
        self._issue = issue_auth_code
        self._plate_of = plate_of
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (0 = an ephemeral port); return the bound address."""
        self._server = await asyncio.start_server(self._accept, host, port)
        address: tuple[str, int] = self._server.sockets[0].getsockname()[:2]
        logger.info("JT/T 808 server listening on %s:%d", *address)
        return address

    async def close(self) -> None:
        """Stop accepting, close every connection and wait for their tasks."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def issue_auth_code(self, device_id: str) -> str:
        """Issue (and remember) the auth code sent to a registering terminal."""
        code = self._issue(device_id) if self._issue else secrets.token_hex(8)
        self.auth_codes[device_id] = code
        return code

    def plate_of(self, device_id: str) -> str | None:
        """The plate a device registered with, else the one from the injected registry."""
        plate = self.plates.get(device_id)
        if plate is None and self._plate_of is not None:
            plate = self._plate_of(device_id)
        return plate

    async def __aenter__(self) -> Jt808Server:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        peer = str(writer.get_extra_info("peername"))
        if task is None or len(self._tasks) >= self.options.max_connections:
            self.stats.connections_rejected += 1
            logger.warning("refusing %s: %d connections open", peer, len(self._tasks))
            writer.close()
            return
        self._tasks.add(task)
        self.stats.connections_total += 1
        session = _Session(self, reader, writer, ConnectionStats(peer))
        self.connections[id(session)] = session.stats
        try:
            await session.run()
        except Exception:  # a bug must cost one connection, never the server
            logger.exception("terminal %s: unexpected error, closing", peer)
        finally:
            self._tasks.discard(task)
            self._forget(id(session), session.stats)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _forget(self, key: int, stats: ConnectionStats) -> None:
        self.connections.pop(key, None)
        self.stats.closed.append(stats)
        del self.stats.closed[: -self.options.keep_closed_stats or None]


class _Session:
    """One terminal connection."""

    def __init__(
        self,
        server: Jt808Server,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        stats: ConnectionStats,
    ) -> None:
        self.server, self.reader, self.writer, self.stats = server, reader, writer, stats
        self.decoder = StreamDecoder()
        self.reassembler = Reassembler()
        self.serial = 0
        self.replies: list[bytes] = []

    async def run(self) -> None:
        opts = self.server.options
        while True:
            try:
                chunk = await asyncio.wait_for(
                    self.reader.read(opts.read_chunk_bytes), opts.idle_timeout_s
                )
            except TimeoutError:
                self.server.stats.idle_closed += 1
                logger.info("closing idle terminal %s (%s)", self.stats.device_id, self.stats.peer)
                return
            except (ConnectionError, OSError) as exc:
                logger.info("terminal %s dropped: %s", self.stats.peer, exc)
                return
            if not chunk:
                return
            if not await self._consume(chunk):
                return

    async def _consume(self, chunk: bytes) -> bool:
        """Handle the frames completed by ``chunk``; False when the connection must close."""
        before = self.decoder.stats.garbage_bytes
        for item in self.decoder.feed(chunk):
            if isinstance(item, Jt808Error):
                self._bad(str(item))
            else:
                await self._frame(item)
        self.stats.garbage_bytes += self.decoder.stats.garbage_bytes - before
        if not await self._flush():
            return False
        if self.stats.bad_frames > self.server.options.max_bad_frames:
            logger.warning("closing %s: %d bad frames", self.stats.peer, self.stats.bad_frames)
            return False
        return True

    def _bad(self, reason: str) -> None:
        self.stats.bad_frames += 1
        self.server.stats.bad_frames += 1
        self.stats.last_error = reason
        level = logging.WARNING
        if self.stats.bad_frames > _LOGGED_ERRORS_PER_CONNECTION:
            level = logging.DEBUG
        logger.log(level, "bad frame from %s: %s", self.stats.peer, reason)

    async def _frame(self, frame: Frame) -> None:
        self.stats.frames += 1
        self.server.stats.frames += 1
        header = frame.header
        self.stats.device_id = header.terminal_id
        if header.msg_id >= 0x8000:
            return  # a platform message sent by a terminal: nothing to do
        if header.is_subpackage:
            self._reply(general_response(header, serial=self._next_serial()))
        whole = self.reassembler.add(frame)
        if whole is None:
            return
        try:
            body = parse_body(whole)
        except Jt808Error as exc:
            self._bad(str(exc))
            self._reply(
                general_response(
                    header, serial=self._next_serial(), result=ResponseResult.BAD_MESSAGE
                )
            )
            return
        await self._dispatch(whole, body, reply=not header.is_subpackage)

    async def _dispatch(self, frame: Frame, body: Body, *, reply: bool) -> None:
        header = frame.header
        result = ResponseResult.OK
        if isinstance(body, Register):
            self.stats.plate = body.plate or None
            if body.plate:
                self.server.plates[header.terminal_id] = body.plate
            code = self.server.issue_auth_code(header.terminal_id)
            self._reply(register_response(header, serial=self._next_serial(), auth_code=code))
            return
        if isinstance(body, Auth):
            result = self._authenticate(header.terminal_id, body.auth_code)
        elif isinstance(body, Location | LocationBatch | LocationQueryResponse):
            result = await self._locations(frame, body)
        if reply and header.msg_id not in _NO_REPLY:
            self._reply(general_response(header, serial=self._next_serial(), result=result))

    def _authenticate(self, device_id: str, code: str) -> ResponseResult:
        issued = self.server.auth_codes.get(device_id)
        if issued is None:  # not registered with us: accepted unless auth is required
            ok = not self.server.options.require_auth
        else:
            ok = secrets.compare_digest(issued.encode(), code.encode())
        self.stats.authenticated = ok
        return ResponseResult.OK if ok else ResponseResult.FAILURE

    async def _locations(
        self, frame: Frame, body: Location | LocationBatch | LocationQueryResponse
    ) -> ResponseResult:
        if self.server.options.require_auth and not self.stats.authenticated:
            self.stats.rejected_readings += 1
            return ResponseResult.FAILURE
        if isinstance(body, LocationBatch):
            locations: tuple[Location, ...] = body.items
        elif isinstance(body, LocationQueryResponse):
            locations = (body.location,)
        else:
            locations = (body,)
        for loc in locations:
            await self._emit(frame, loc)
        return ResponseResult.OK

    async def _emit(self, frame: Frame, loc: Location) -> None:
        device = frame.header.terminal_id
        plate = self.server.plate_of(device)
        try:
            reading = reading_from_location(
                loc, frame.header, received_at=self.server.clock.now(), plate=plate
            )
        except ValueError as exc:
            self.stats.invalid_readings += 1
            self.server.stats.invalid_readings += 1
            self.stats.last_error = f"invalid location: {exc.__class__.__name__}"
            logger.debug("invalid location from %s: %s", device, exc)
            return
        try:
            outcome = self.server.on_reading(reading)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            self.stats.callback_errors += 1
            self.server.stats.callback_errors += 1
            logger.exception("reading callback failed for %s", device)
            return
        self.stats.readings += 1
        self.server.stats.readings += 1

    def _next_serial(self) -> int:
        self.serial = (self.serial + 1) & 0xFFFF
        return self.serial

    def _reply(self, frame: bytes) -> None:
        self.replies.append(frame)
        self.stats.replies += 1

    async def _flush(self) -> bool:
        if not self.replies:
            return True
        data, self.replies = b"".join(self.replies), []
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.server.options.write_timeout_s)
        except (TimeoutError, ConnectionError, OSError) as exc:
            logger.info("cannot write to %s: %s", self.stats.peer, exc)
            return False
        return True


async def run_server(
    host: str,
    port: int,
    on_reading: ReadingCallback,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[tuple[str, int]], None] | None = None,
    **kwargs: Any,
) -> ServerStats:
    """Serve terminals until ``stop`` is set (or the task is cancelled), then shut down cleanly.

    ``kwargs`` go to :class:`Jt808Server` (``clock``, ``options``, ``issue_auth_code``,
    ``plate_of``); ``ready`` is called with the bound address once listening.
    """
    server = Jt808Server(on_reading, **kwargs)
    address = await server.start(host, port)
    if ready is not None:
        ready(address)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await server.close()
    return server.stats
