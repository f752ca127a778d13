"""AreaIndex (borders, holes, outside, vectorised == naive), grid codes, responsibility table."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from gis.areas import (
    AreaHit,
    AreaIndex,
    AreaKind,
    AreaRecord,
    GridCode,
    GridCodeError,
    ResponsibilityTable,
    is_valid_grid_code,
    parse_grid_code,
)

# Two grid cells sharing the border x = 1; cell 20 has a hole; a district over everything.
LEFT = AreaRecord(10, AreaKind.GRID, "440304001001001", "left", shapely.box(0, 0, 1, 1))
RIGHT_WITH_HOLE = AreaRecord(
    20,
    AreaKind.GRID,
    "440304001001002",
    "right",
    Polygon([(1, 0), (2, 0), (2, 1), (1, 1)], [[(1.4, 0.4), (1.6, 0.4), (1.6, 0.6), (1.4, 0.6)]]),
)
DISTRICT = AreaRecord(1, AreaKind.DISTRICT, "440304", "Futian", shapely.box(-1, -1, 3, 2))
INDEX = AreaIndex([RIGHT_WITH_HOLE, LEFT, DISTRICT])  # not in id order on purpose


@pytest.mark.parametrize(
    ("lon", "lat", "expected_id"),
    [
        (0.5, 0.5, 10),  # inside left
        (1.2, 0.5, 20),  # inside right
        (1.0, 0.5, 10),  # shared border: lowest id wins
        (1.0, 1.0, 10),  # shared corner
        (0.0, 0.0, 10),  # outer corner is covered
        (2.0, 0.5, 20),  # outer edge of right
        (1.5, 0.5, None),  # in the hole
        (1.4, 0.5, 20),  # on the hole's boundary: still covered
        (5.0, 5.0, None),  # outside everything
        (-0.0001, 0.5, None),  # just outside
    ],
)
def test_grid_lookup_on_borders_holes_and_outside(lon, lat, expected_id):
    row = int(INDEX.locate_many([lon], [lat], AreaKind.GRID)[0])
    if expected_id is None:
        assert row == -1
    else:
        assert INDEX.record(row).area_id == expected_id


def test_locate_returns_one_hit_per_kind():
    hits = INDEX.locate(1.2, 0.5)
    assert set(hits) == {AreaKind.GRID, AreaKind.DISTRICT}
    assert hits[AreaKind.GRID].area_id == 20
    assert hits[AreaKind.DISTRICT].code == "440304"
    assert INDEX.locate(1.5, 0.5).keys() == {AreaKind.DISTRICT}
    assert INDEX.locate(50.0, 50.0) == {}


def test_unknown_kind_and_empty_input():
    assert INDEX.locate_many([0.5], [0.5], AreaKind.COMMUNITY).tolist() == [-1]
    assert INDEX.locate_many([], [], AreaKind.GRID).shape == (0,)
    with pytest.raises(ValueError, match="shapes differ"):
        INDEX.locate_many([0.5, 0.6], [0.5], AreaKind.GRID)
    with pytest.raises(ValueError, match="district"):
        INDEX.locate_many([0.5], [0.5], "county")


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([LEFT, LEFT], "unique"),
        ([AreaRecord(1, AreaKind.GRID, "", "", shapely.Point(0, 0))], "polygon"),
        ([AreaRecord(1, AreaKind.GRID, "", "", Polygon())], "polygon"),
    ],
)
def test_bad_records_are_refused(records, message):
    with pytest.raises(ValueError, match=message):
        AreaIndex(records)


def _grid(n_side: int) -> list[AreaRecord]:
    step = 1.0 / n_side
    return [
        AreaRecord(
            i * n_side + j + 1,
            AreaKind.GRID,
            f"{i}-{j}",
            "",
            shapely.box(j * step, i * step, (j + 1) * step, (i + 1) * step),
        )
        for i in range(n_side)
        for j in range(n_side)
    ]


def test_vectorised_equals_naive_loop_on_random_points():
    records = _grid(12)
    index = AreaIndex(records)
    rng = np.random.default_rng(5)
    lons = rng.uniform(-0.1, 1.1, 3000)
    lats = rng.uniform(-0.1, 1.1, 3000)
    # Some points exactly on grid lines, to exercise ties.
    lons[:200] = np.round(lons[:200] * 12) / 12
    rows = index.locate_many(lons, lats, AreaKind.GRID)
    for lon, lat, row in zip(lons, lats, rows, strict=True):
        point = shapely.Point(lon, lat)
        covering = [r.area_id for r in records if r.geometry.covers(point)]
        want = min(covering) if covering else None
        got = index.record(int(row)).area_id if row >= 0 else None
        assert got == want


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("440304001002003", GridCode("440304", "001", "002", "003")),
        ("110101999999999", GridCode("110101", "999", "999", "999")),
        ("44030400100200", None),  # 14 digits
        ("4403040010020031", None),  # 16 digits
        ("44030400100200A", None),
        ("４４０３０４００１００２００３", None),  # full-width digits
        ("990304001002003", None),  # no province 99
        ("440300001002003", None),  # city-level, not a county
        ("440304000002003", None),  # street 000
        ("440304001000003", None),  # community 000
        ("440304001002000", None),  # cell 000
        ("", None),
    ],
)
def test_grid_code_parse(code, expected):
    if expected is None:
        with pytest.raises(GridCodeError):
            parse_grid_code(code)
        assert not is_valid_grid_code(code)
    else:
        parsed = parse_grid_code(code)
        assert parsed == expected
        assert parsed.code == code
        assert parsed.community_code == code[:12]
        assert is_valid_grid_code(code)


def _hit(area_id: int, kind: AreaKind) -> AreaHit:
    return AreaHit(area_id, kind, "", "", 0)


HITS = {
    AreaKind.DISTRICT: _hit(1, AreaKind.DISTRICT),
    AreaKind.STREET: _hit(2, AreaKind.STREET),
    AreaKind.COMMUNITY: _hit(3, AreaKind.COMMUNITY),
    AreaKind.GRID: _hit(4, AreaKind.GRID),
}


def _table() -> ResponsibilityTable:
    table = ResponsibilityTable()
    table.add("06011", 1, "district-urban-mgmt")
    table.add("06011", 3, "community-a", priority=1)
    table.add("06011", 3, "community-b", priority=5)
    table.add("06011", 2, "street-office", priority=99)
    table.add("09006", 2, "street-office")
    table.add("09006", 2, "street-office-2")  # same priority: first registered wins
    table.add("06010", 4, "grid-keeper")
    table.add("06010", 9, "resp-unit")
    return table


@pytest.mark.parametrize(
    ("category", "hits", "unit"),
    [
        ("06011", HITS, "community-b"),  # community beats street despite lower priority
        ("06011", {k: v for k, v in HITS.items() if k is not AreaKind.COMMUNITY}, "street-office"),
        ("06011", [HITS[AreaKind.DISTRICT]], "district-urban-mgmt"),
        ("09006", HITS, "street-office"),
        ("06010", HITS, "grid-keeper"),
        ("06010", [*HITS.values(), _hit(9, AreaKind.RESPONSIBILITY)], "resp-unit"),
        ("99999", HITS, None),  # unknown category
        ("06011", {}, None),  # point outside every area
        ("06010", [HITS[AreaKind.DISTRICT]], None),
    ],
)
def test_responsibility_lookup(category, hits, unit):
    found = _table().lookup(category, hits)
    assert (found.unit if found else None) == unit
