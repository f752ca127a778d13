"""Real Shenzhen districts imported into the database; the in-memory index and PostGIS agree."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.areas import import_areas, locate_sql
from dispatch.errors import Conflict
from dispatch.locating import AreaLocator
from gis.io import load_areas
from models import Area
from models.engine import make_engine, make_session_factory
from tests.conftest import T0


@pytest.fixture
def districts(shared_data):
    return load_areas(
        shared_data / "gis" / "shenzhen" / "shenzhen_districts_wgs84.geojson",
        kind="district",
        name_field="qh",
    )


def test_import_is_all_or_nothing_and_lookup_finds_real_districts(db_url, districts) -> None:
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with sessions() as s:
        assert import_areas(s, districts, now=T0, id_prefix="sz") == 10
        with pytest.raises(Conflict):
            import_areas(s, districts, now=T0, id_prefix="sz")
        assert s.query(Area).count() == 10
    locator = AreaLocator(sessions)
    futian = locator.locate(114.0550, 22.5420, "PARKING")
    nanshan = locator.locate(113.9300, 22.5330, "PARKING")
    with sessions() as s:
        names = {a.id: a.name for a in s.query(Area)}
    assert names[futian.district_id] == "福田" and names[nanshan.district_id] == "南山"
    assert locator.locate(116.4, 39.9, "PARKING").district_id is None  # Beijing: no district here
    engine.dispose()


@pytest.mark.postgres
def test_postgis_answers_match_the_in_memory_index(migrated_pg, districts) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(migrated_pg)
    engine = make_engine(migrated_pg)
    sessions = make_session_factory(engine)
    with sessions() as s:
        import_areas(s, districts, now=T0, id_prefix="sz")
    locator = AreaLocator(sessions)
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = districts.frame.total_bounds
    points = np.column_stack([rng.uniform(minx, maxx, 300), rng.uniform(miny, maxy, 300)])
    with sessions() as s:
        for lon, lat in points:
            memory = locator.locate(float(lon), float(lat), "PARKING").district_id
            assert locate_sql(s, float(lon), float(lat)).get("district") == memory
    engine.dispose()
