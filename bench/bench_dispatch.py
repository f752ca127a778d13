"""Event -> filed, located case -> offer latency, in process, on SQLite and PostgreSQL.

Each event is a new case (spread over the demo district so nothing merges); the timing covers
idempotency check, dedup query, point-in-polygon, filing, SLA due times, ranking by ETA and the
offer, each committed. Prints p50/p99 side by side. Usage: python -m bench.bench_dispatch [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from api import db
from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
from core.bus import InMemoryBus
from core.clock import ManualClock
from dispatch.calendar import WorkCalendar
from dispatch.locating import AreaLocator
from dispatch.service import DispatchEngine
from dispatch.travel import StraightLineTravel
from models import Staff
from models.engine import make_engine, make_session_factory
from scenes.events import GroundPoint, SceneEvent

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _engine(url: str) -> DispatchEngine:
    db.upgrade(url)
    sessions = make_session_factory(make_engine(url))
    with sessions() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        for n in range(5, 105):  # 100 more workers so offers never run out
            s.add(
                Staff(
                    id=f"bench-{n}",
                    name=f"b{n}",
                    status="available",
                    skills=["*"],
                    area_ids=[],
                    lon=DEMO_ORIGIN[0] + (n % 10) * 0.001,
                    lat=DEMO_ORIGIN[1] + (n // 10) * 0.001,
                )
            )
        s.commit()
    return DispatchEngine(
        sessions=sessions,
        bus=InMemoryBus(),
        clock=ManualClock(T0),
        locator=AreaLocator(sessions),
        travel=StraightLineTravel(),
        calendar=WorkCalendar.from_dict({}),
    )


def _run(engine: DispatchEngine, n: int) -> list[float]:
    rng = np.random.default_rng(1)
    latencies = []
    for i in range(n):
        at = T0 + timedelta(seconds=i)
        event = SceneEvent(
            event_id=uuid.uuid4(),
            occurred_at=at,
            detected_at=at,
            camera_id=None,
            rule_id="bench",
            category_code="MT_UNSEALED",
            location=GroundPoint(
                lon=DEMO_ORIGIN[0] + rng.uniform(-0.015, 0.015),
                lat=DEMO_ORIGIN[1] + rng.uniform(-0.015, 0.015),
            ),
        )
        start = time.perf_counter()
        engine.ingest(event)
        latencies.append((time.perf_counter() - start) * 1000)
        if i % 50 == 49:  # free the workers again so every event gets an offer
            with engine.sessions() as s:
                s.execute(text("UPDATE staff SET status = 'available', load = 0"))
                s.commit()
    return latencies


def _summary(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    stats = f"p50={q[49]:7.2f} ms  p99={q[98]:7.2f} ms  max={max(ms):7.2f} ms"
    return f"{name:<12} n={len(ms):>4}  {stats}"


def main(n: int = 300) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(_summary("SQLite", _run(_engine(f"sqlite:///{Path(tmp) / 'b.db'}"), n)))
    name = f"bench_dispatch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        rows.append(
            _summary("PostgreSQL", _run(_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"), n))
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print("event -> filed, located case -> offer (target p99 <= 50 ms in process)")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
