"""API under load: ``GET /cases`` with 100k cases on PostgreSQL at 50 concurrent clients, and
the live feed fanning 100 updates/s out to 500 WebSocket clients, through a real uvicorn.

Run from the repo root: ``.venv/bin/python bench/bench_api.py [--quick]``.

A throw-away database is created on the local PostgreSQL (trust auth) and dropped at the end.
The server runs in its own process (one uvicorn worker, background loops off except the live
hub, so no sweep competes); the load generator runs here. Both share this machine's cores, so
the figures are a floor, not a capacity plan. Printed side by side:

1. ``GET /health`` (no DB, no auth: the framework floor) against ``GET /cases`` first page
   (with its ``count(*)`` over 100k rows), a filtered page and a deep cursor page:
   p50/p99 latency, requests/s and the ratio to the floor.
2. 100 camera-health updates/s published on the Redis Streams bus (the server runs with
   ``redis_url``; Redis database 13 by default, emptied afterwards) for a few seconds while 500
   WebSocket clients listen: messages delivered vs expected, publish -> receive latency
   p50/p99, resyncs (slow clients that dropped messages). Publishing on the bus isolates the
   fan-out from the cost of the HTTP write path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pydantic import SecretStr
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("SMARTSCENE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
ADMIN_URL = os.environ.get(
    "SMARTSCENE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-0123456789abcdef0123456789"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CATEGORIES = ["MT_UNSEALED", "MT_SPILL", "MT_MUDDY", "06010", "06012", "PARKING"]
STATES = ["filed", "dispatched", "accepted", "on_site", "handled", "closed", "voided"]


def server_app() -> Any:
    """Uvicorn factory for the server process (configured by environment variables)."""
    from api.app import create_app
    from api.container import build_container
    from core.settings import Settings

    settings = Settings(
        var_dir=Path(os.environ["BENCH_VAR_DIR"]),
        database_url=os.environ["BENCH_DB_URL"],
        jwt_secret=SecretStr(SECRET),
        run_cameras=False,
        redis_url=os.environ.get("BENCH_REDIS_URL") or None,
    )
    app = create_app(build_container(settings), run_background=False)
    app.state.live_hub.start()  # the only background loop the benchmark needs
    return app


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    name = f"smartscene_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, n_cases: int) -> dict[str, str]:
    """Schema, categories, demo city, an admin, an operator, a device key and ``n_cases``."""
    from api import db
    from api.auth import create_api_key, hash_password
    from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
    from models import Camera, Case, User

    db.upgrade(url)
    engine = create_engine(url)
    with Session(engine) as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        pw = hash_password("bench-password-long")
        for role in ("admin", "operator"):
            s.add(User(id=f"u-{role}", username=role, password_hash=pw, role=role, created_at=T0))
        _, device = create_api_key(s, name="bench-cam", role="device", now=T0)
        s.add(Camera(id="bench-cam", name="bench", source_url="file:///dev/null", health="unknown",
                     created_at=T0, updated_at=T0))  # fmt: skip
        s.commit()
    rng = np.random.default_rng(0)
    chunk = 10_000
    with engine.begin() as conn:
        for start in range(0, n_cases, chunk):
            rows = [
                _case_row(i, rng, DEMO_ORIGIN) for i in range(start, min(start + chunk, n_cases))
            ]
            conn.execute(insert(Case), rows)
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"device": device}


def _case_row(i: int, rng: np.random.Generator, origin: tuple[float, float]) -> dict[str, Any]:
    at = T0 - timedelta(minutes=int(rng.integers(0, 60 * 24 * 90)))
    return {
        "code": f"440304{at:%Y%m%d}{i + 1:07d}b", "state": STATES[i % len(STATES)],
        "category_code": CATEGORIES[i % len(CATEGORIES)], "priority": 2, "source": "camera",
        "description": "", "lon": origin[0] + float(rng.normal(0, 0.02)),
        "lat": origin[1] + float(rng.normal(0, 0.02)), "triage": False, "event_count": 1,
        "first_seen_at": at, "last_seen_at": at, "reported_at": at, "filed_at": at,
        "updated_at": at, "version": 1, "extension_count": 0, "escalation_count": 0,
        "rework_count": 0,
    }  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BENCH_DB_URL": url, "BENCH_VAR_DIR": tempfile.mkdtemp(),
           "BENCH_REDIS_URL": REDIS_URL, "PYTHONPATH": str(REPO)}  # fmt: skip
    cmd = [sys.executable, "-m", "uvicorn", "bench.bench_api:server_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--no-access-log", "--ws-max-queue", "1024"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def token(role: str) -> str:
    from api.auth import issue_token
    from models import User

    user = User(id=f"u-{role}", username=role, role=role, staff_id=None)
    return issue_token(user, secret=SECRET, now=datetime.now(UTC), ttl_s=3600)


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; returns the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v) for k, _, v in (ln.partition(": ") for ln in lines) if k.lower() == "content-length"
    )
    await reader.readexactly(length)
    return int(lines[0].split(" ")[1])


async def load(
    base: str, path: str, headers: dict[str, str], clients: int, seconds: float
) -> dict[str, float]:
    """``clients`` keep-alive connections GETting ``path`` in a loop for ``seconds``.

    A minimal HTTP/1.1 client on asyncio streams: a general-purpose client (httpx) costs more
    CPU per request than the server on this machine and would measure itself.
    """
    host, port = base.removeprefix("http://").split(":")
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status = await _get(reader, writer, request)
            latencies.append(time.perf_counter() - started)
            errors += status != 200
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "rps": len(latencies) / elapsed, "n": len(latencies), "errors": errors}  # fmt: skip


def bench_cases(base: str, seconds: float, n_cases: int) -> None:
    headers = {"Authorization": f"Bearer {token('operator')}"}
    deep = httpx.get(f"{base}/cases?limit=1", headers=headers).json()["data"][0]["id"] // 2
    scenarios = [
        ("GET /health (floor)", "/health"),
        ("GET /cases first page", "/cases?limit=50"),
        ("GET /cases state+category", "/cases?limit=50&state=dispatched&category=MT_SPILL"),
        ("GET /cases deep cursor", f"/cases?limit=50&cursor={deep}"),
        ("GET /cases bbox", "/cases?limit=50&bbox=114.05,22.54,114.06,22.55"),
    ]
    print(f"\n1. GET /cases, {n_cases} cases on PostgreSQL, 50 clients, {seconds:.0f} s each")
    header = f"{'scenario':30} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'p50 x floor':>12}"
    print(f"{header} {'errors':>7}")
    floor = None
    for label, path in scenarios:
        result = asyncio.run(load(base, path, headers, 50, seconds))
        floor = floor or result["p50_ms"]
        print(f"{label:30} {result['p50_ms']:8.1f} {result['p99_ms']:8.1f} {result['rps']:8.0f} "
              f"{result['p50_ms'] / floor:12.1f} {result['errors']:7.0f}")  # fmt: skip


async def fan_out(base: str, n_clients: int, rate_hz: float, seconds: float) -> dict[str, float]:
    from websockets.asyncio.client import connect

    ws_url = base.replace("http", "ws") + f"/live/ws?topics=camera-health&token={token('operator')}"
    sent: dict[int, float] = {}
    latencies: list[float] = []
    resyncs = 0
    done = asyncio.Event()

    async def listener(ready: asyncio.Event, counter: list[int]) -> None:
        nonlocal resyncs
        async with connect(ws_url, max_queue=None, open_timeout=60) as ws:
            await ws.recv()  # hello
            counter[0] += 1
            if counter[0] == n_clients:
                ready.set()
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                message = json.loads(raw)
                if message["topic"] == "resync":
                    resyncs += 1
                elif message["topic"] == "camera-health":
                    seq = int(message["data"]["message"])
                    latencies.append(now - sent.get(seq, now))

    ready, counter = asyncio.Event(), [0]
    tasks = []
    for _ in range(n_clients):
        tasks.append(asyncio.create_task(listener(ready, counter)))
        await asyncio.sleep(0.002)
    await asyncio.wait_for(ready.wait(), 120)
    from core.bus import CAMERA_HEALTH
    from core.redis_bus import RedisStreamsBus

    bus = RedisStreamsBus.from_url(REDIS_URL)

    def publisher() -> float:  # a thread, so the listeners' work does not delay the pacing
        began = time.perf_counter()
        seq = 0
        while (now := time.perf_counter()) < began + seconds:
            sent[seq] = time.perf_counter()
            bus.publish(CAMERA_HEALTH, {"camera_id": "bench-cam", "message": str(seq)})
            seq += 1
            time.sleep(max(0.0, began + seq / rate_hz - now))
        return time.perf_counter() - began

    publish_s = await asyncio.to_thread(publisher)
    n_updates = len(sent)
    expected = n_updates * n_clients
    deadline = time.perf_counter() + 30
    while len(latencies) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    ms = np.array(latencies or [0.0]) * 1000
    return {"expected": expected, "delivered": len(latencies), "resyncs": resyncs,
            "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "publish_rate_hz": n_updates / publish_s}  # fmt: skip


def bench_fan_out(base: str, clients: int, seconds: float) -> None:
    print(f"\n2. Live feed: 100 updates/s for {seconds:.0f} s to {clients} WebSocket clients")
    r = asyncio.run(fan_out(base, clients, 100.0, seconds))
    print(f"{'published/s':>12} {'expected':>10} {'delivered':>10} {'ratio':>6} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'resyncs':>8}")  # fmt: skip
    print(f"{r['publish_rate_hz']:12.0f} {r['expected']:10.0f} {r['delivered']:10.0f} "
          f"{r['delivered'] / r['expected']:6.2f} {r['p50_ms']:8.0f} {r['p99_ms']:8.0f} "
          f"{r['resyncs']:8.0f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k cases, 100 clients, short runs")
    args = parser.parse_args()
    n_cases, clients, seconds = (10_000, 100, 3.0) if args.quick else (100_000, 500, 8.0)
    began = time.perf_counter()
    with bench_database() as url:
        seed(url, n_cases)
        print(f"seeded {n_cases} cases in {time.perf_counter() - began:.0f} s")
        with server(url) as base:
            bench_cases(base, seconds, n_cases)
            bench_fan_out(base, clients, 5.0 if not args.quick else 2.0)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("smartscene:*"):  # the bench's own Redis database
        client.delete(key)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
