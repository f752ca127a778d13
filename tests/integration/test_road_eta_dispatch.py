"""Offers ranked by ETAs on the real Futian/Nanshan road graph, not straight lines."""

from __future__ import annotations

from pathlib import Path

from api.container import build_container
from api.seed_data import seed_categories
from core.bus import InMemoryBus
from core.clock import ManualClock
from core.settings import Settings
from dispatch.areas import import_areas
from gis.io import load_areas
from models import Dispatch, Responsibility, Staff, Unit
from scenes.events import GroundPoint, SceneEvent
from tests.conftest import T0


def test_real_roads_pick_the_worker_and_flag_the_method(
    shared_data: Path, sqlite_url: str, tmp_path
) -> None:
    graph = shared_data / "gis" / "shenzhen" / "shenzhen_futian_nanshan_osmnx.graphml"
    settings = Settings(var_dir=tmp_path, database_url=sqlite_url, road_network=graph)
    container = build_container(settings, clock=ManualClock(T0), bus=InMemoryBus())
    districts = load_areas(
        shared_data / "gis" / "shenzhen" / "shenzhen_districts_wgs84.geojson",
        kind="district",
        name_field="qh",
    )
    with container.sessions() as s:
        seed_categories(s)
        import_areas(s, districts, now=T0, id_prefix="sz")
        s.add(Unit(id="u", name="unit"))
        s.flush()
        for area in (
            "sz-1",
            "sz-2",
            "sz-3",
            "sz-4",
            "sz-5",
            "sz-6",
            "sz-7",
            "sz-8",
            "sz-9",
            "sz-10",
        ):
            s.add(Responsibility(area_id=area, unit_id="u"))
        for sid, lon, lat in (("near", 114.0580, 22.5410), ("far", 113.9400, 22.5300)):
            s.add(
                Staff(
                    id=sid,
                    name=sid,
                    status="available",
                    skills=["*"],
                    area_ids=[],
                    lon=lon,
                    lat=lat,
                )
            )
        s.commit()
    container.locator.reload()
    event = SceneEvent(
        occurred_at=T0,
        detected_at=T0,
        rule_id="r",
        category_code="MT_UNSEALED",
        location=GroundPoint(lon=114.0550, lat=22.5420),
    )
    case_id = container.dispatch.ingest(event).case_id
    with container.sessions() as s:
        offer = s.query(Dispatch).filter(Dispatch.case_id == case_id).one()
    assert (offer.staff_id, offer.eta_method) == ("near", "road")
    assert 0 < offer.eta_s < float("inf")
    container.close()
