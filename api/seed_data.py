"""Seed data: the category table and a small demo district (all editable data, idempotent)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

import yaml
from shapely.geometry import box
from sqlalchemy.orm import Session

from gis.datums import LocalProjection
from models import Area, Camera, Category, Responsibility, Staff, Team, Unit

DEMO_ORIGIN = (114.0550, 22.5420)  # Futian, Shenzhen (WGS84): a fictional demo district
DEMO_COUNTY = "440304"
DEMO_CAMERA_ID = "demo-cam-1"
GRID_CELL_M = 100.0


def load_category_seed() -> list[dict[str, Any]]:
    """The shipped category rows."""
    text = resources.files("api.seed").joinpath("categories.yaml").read_text(encoding="utf-8")
    rows: list[dict[str, Any]] = yaml.safe_load(text)
    return rows


def seed_categories(session: Session) -> int:
    """Insert categories that are missing; never overwrite a city's edits. Returns rows added."""
    added = 0
    for row in load_category_seed():
        if session.get(Category, row["code"]) is None:
            session.add(Category(**row))
            added += 1
    session.flush()
    return added


def _rect(proj: LocalProjection, x0_m: float, y0_m: float, x1_m: float, y1_m: float) -> str:
    lons, lats = proj.to_lonlat([x0_m, x1_m], [y0_m, y1_m])
    return str(box(float(lons[0]), float(lats[0]), float(lons[1]), float(lats[1])).wkt)


def _area(
    id_: str, kind: str, code: str, name: str, wkt: str, parent: str | None, now: datetime
) -> Area:
    return Area(
        id=id_, kind=kind, code=code, name=name, geom_wkt=wkt, parent_id=parent, imported_at=now
    )


def seed_demo_city(session: Session, now: datetime) -> bool:
    """A demo district with one street, one community and a 4x4 unit grid of 100 m cells around
    the demo camera, two units, a team of four field workers. False if already there."""
    if session.get(Area, "demo-district") is not None:
        return False
    proj = LocalProjection.around(*DEMO_ORIGIN)
    x0, y0 = (float(v) for v in proj.to_metres(*DEMO_ORIGIN))
    admin_levels = [
        ("demo-district", "district", DEMO_COUNTY, "福田区(演示)", 2000.0, None),
        ("demo-street", "street", f"{DEMO_COUNTY}001", "演示街道", 1000.0, "demo-district"),
        ("demo-community", "community", f"{DEMO_COUNTY}001001", "演示社区", 500.0, "demo-street"),
    ]
    for id_, kind, code, name, half_m, parent in admin_levels:
        wkt = _rect(proj, x0 - half_m, y0 - half_m, x0 + half_m, y0 + half_m)
        session.add(_area(id_, kind, code, name, wkt, parent, now))
        session.flush()
    session.flush()
    for row in range(4):
        for col in range(4):
            cell = row * 4 + col + 1
            gx, gy = x0 - 2 * GRID_CELL_M + col * GRID_CELL_M, y0 - 50 + row * GRID_CELL_M
            wkt = _rect(proj, gx, gy, gx + GRID_CELL_M, gy + GRID_CELL_M)
            code = f"{DEMO_COUNTY}001001{cell:03d}"
            session.add(
                _area(f"grid-{code}", "grid", code, f"网格{cell:03d}", wkt, "demo-community", now)
            )
    session.add_all(
        [
            Unit(id="unit-cgzf", name="福田区城管执法中队(演示)"),
            Unit(id="unit-ztb", name="渣土运输管理办公室(演示)"),
        ]
    )
    session.flush()
    session.add(
        Responsibility(category_code=None, area_id="demo-district", unit_id="unit-cgzf", priority=0)
    )
    for code in (
        "MT_UNSEALED",
        "MT_SPILL",
        "MT_MUDDY",
        "MT_DUMPING",
        "MT_RESTRICTED",
        "MT_SPEEDING",
    ):
        session.add(
            Responsibility(
                category_code=code, area_id="demo-street", unit_id="unit-ztb", priority=1
            )
        )
    session.add(Team(id="team-1", name="一中队", unit_id="unit-cgzf"))
    session.flush()
    offsets = [(-300, 150), (250, -200), (600, 400), (-800, -600)]
    for n, (dx, dy) in enumerate(offsets, start=1):
        lons, lats = proj.to_lonlat([x0 + dx], [y0 + dy])
        session.add(
            Staff(
                id=f"staff-{n}",
                name=f"巡查员{n}",
                team_id="team-1",
                status="available",
                skills=["*"],
                area_ids=[],
                lon=float(lons[0]),
                lat=float(lats[0]),
                accuracy_m=10.0,
                position_at=now,
            )
        )
    session.flush()
    return True


def demo_camera(source_url: str, calibration: dict[str, Any] | None, now: datetime) -> Camera:
    """The demo camera row (at the south edge of the grid, looking north along a road)."""
    return Camera(
        id=DEMO_CAMERA_ID,
        name="演示路口摄像机",
        source_url=source_url,
        sample_fps=5.0,
        enabled=True,
        lon=DEMO_ORIGIN[0],
        lat=DEMO_ORIGIN[1],
        calibration=calibration,
        created_at=now,
        updated_at=now,
    )
