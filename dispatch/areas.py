"""Areas in the database: all-or-nothing import of validated area files, and point lookup in
SQL (PostGIS) that must agree with the in-memory index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dispatch.errors import Conflict
from gis.io import AreaImport
from models import Area


def import_areas(
    session: Session,
    areas: AreaImport,
    *,
    now: datetime,
    id_prefix: str | None = None,
    parent_id: str | None = None,
    replace: bool = False,
) -> int:
    """Insert every feature of ``areas`` or none (raises ``Conflict`` on existing ids/codes).

    Ids are ``<prefix>-<feature id>`` (prefix defaults to the kind); codes default to the
    feature id when the file has none. ``replace`` updates areas that already exist.
    """
    frame = areas.frame
    prefix = id_prefix or str(frame["kind"].iat[0])
    rows = []
    for fid, kind, code, name, geom in zip(
        frame["feature_id"],
        frame["kind"],
        frame["code"],
        frame["name"],
        frame.geometry,
        strict=True,
    ):
        rows.append(
            Area(
                id=f"{prefix}-{fid}",
                kind=str(kind),
                code=str(code or fid),
                name=str(name),
                parent_id=parent_id,
                geom_wkt=geom.wkt,
                imported_at=now,
            )
        )
    clashes = _existing(session, rows)
    if clashes and not replace:
        raise Conflict(
            f"{len(clashes)} areas already exist (e.g. {sorted(clashes)[:5]}); use replace"
        )
    with session.begin_nested():
        for row in rows:
            session.merge(row)
    session.commit()
    return len(rows)


def _existing(session: Session, rows: list[Area]) -> set[str]:
    ids = {r.id for r in rows}
    found = set(session.scalars(select(Area.id).where(Area.id.in_(ids))))
    codes = {(r.kind, r.code) for r in rows}
    for kind, code, area_id in session.execute(select(Area.kind, Area.code, Area.id)):
        if (kind, code) in codes and area_id not in ids:
            found.add(area_id)
    return found


def locate_sql(session: Session, lon: float, lat: float) -> dict[str, str]:
    """Area id per kind covering a WGS84 point, computed by PostGIS (lowest id on borders,
    as the in-memory index does). PostgreSQL with PostGIS only."""
    if session.get_bind().dialect.name != "postgresql":
        raise RuntimeError("locate_sql needs PostgreSQL with PostGIS; use AreaLocator otherwise")
    rows = session.execute(
        text(
            "SELECT DISTINCT ON (kind) kind, id FROM areas "
            "WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
            'ORDER BY kind, id COLLATE "C"'
        ),
        {"lon": lon, "lat": lat},
    )
    return {str(kind): str(area_id) for kind, area_id in rows}
