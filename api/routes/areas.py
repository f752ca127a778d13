"""Areas (GeoJSON-ish, with an all-or-nothing GeoJSON import), responsible units and the
responsibility table (category x area -> unit). The locator reloads after every change."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from shapely import wkt
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.container import Container
from api.deps import ContainerDep, SessionDep
from api.errors import ApiError
from api.routes.common import (
    Admin,
    IdPath,
    IntIdPath,
    Limit,
    Reader,
    StrCursor,
    get_or_404,
    page_by_key,
)
from api.schemas import Page
from api.schemas_resources import (
    AreaImportIn,
    AreaImportPublic,
    AreaKindName,
    AreaPublic,
    ResponsibilityCreate,
    ResponsibilityPublic,
    ResponsibilityUpdate,
    UnitCreate,
    UnitPublic,
)
from gis.datums import Datum
from gis.io import AreaImport, GisImportError, load_areas
from models import Area, Category, Responsibility, Unit

router = APIRouter(tags=["areas"])


def area_public(area: Area, with_geometry: bool) -> AreaPublic:
    """An area row; the geometry is GeoJSON (WGS84) when asked for."""
    geometry = dict(mapping(wkt.loads(area.geom_wkt))) if with_geometry else None
    return AreaPublic(
        id=area.id, kind=area.kind, code=area.code, name=area.name, parent_id=area.parent_id,
        imported_at=area.imported_at, geometry=json.loads(json.dumps(geometry)),
    )  # fmt: skip


@router.get("/areas", response_model=Page[AreaPublic])
def list_areas(
    session: SessionDep,
    _: Reader,
    kind: AreaKindName | None = None,
    parent_id: Annotated[str | None, Query(max_length=64)] = None,
    with_geometry: bool = False,
    limit: Limit = 100,
    cursor: StrCursor = None,
) -> Page[AreaPublic]:
    """Areas by id; geometries only with ``with_geometry=true``."""
    query = select(Area)
    if kind:
        query = query.where(Area.kind == kind)
    if parent_id:
        query = query.where(Area.parent_id == parent_id)
    rows, total, nxt = page_by_key(session, query, Area.id, cursor=cursor, limit=limit)
    data = [area_public(a, with_geometry) for a in rows]
    return Page[AreaPublic](data=data, count=total, next_cursor=nxt)


@router.get("/areas/{area_id}", response_model=AreaPublic)
def get_area(area_id: IdPath, session: SessionDep, _: Reader) -> AreaPublic:
    """One area with its geometry."""
    return area_public(get_or_404(session, Area, area_id, "area"), True)


@router.delete("/areas/{area_id}", status_code=204, response_class=Response)
def delete_area(
    area_id: IdPath, container: ContainerDep, session: SessionDep, _: Admin
) -> Response:
    """Remove an area (refused with 409 while cases or child areas refer to it)."""
    session.delete(get_or_404(session, Area, area_id, "area"))
    session.commit()
    container.locator.reload()
    return Response(status_code=204)


def _load(body: AreaImportIn) -> AreaImport:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.geojson"
        path.write_text(json.dumps(body.features), encoding="utf-8")
        try:
            return load_areas(
                path, kind=body.kind, datum=Datum.parse(body.datum) if body.datum else None,
                id_field=body.id_field, code_field=body.code_field, name_field=body.name_field,
                on_invalid=body.on_invalid,
            )  # fmt: skip
        except GisImportError as exc:
            details = [{"feature_id": fid, "reason": why} for fid, why in exc.rejected]
            message = str(exc).replace(str(path), "upload")
            raise ApiError(422, "invalid_areas", message, details or None) from exc
        except ValueError as exc:
            raise ApiError(422, "invalid_areas", str(exc).replace(str(path), "upload")) from exc


def _rows(result: AreaImport, body: AreaImportIn, container: Container) -> list[Area]:
    frame, now = result.frame, container.clock.now()
    rows = []
    for i, geom in enumerate(frame.geometry):
        fid = str(frame["feature_id"].iat[i])
        code = str(frame["code"].iat[i]) or fid
        rows.append(
            Area(
                id=f"{body.kind}-{code}"[:64], kind=body.kind, code=code[:32],
                name=str(frame["name"].iat[i])[:200] or code, parent_id=body.parent_id,
                geom_wkt=geom.wkt, imported_at=now,
            )
        )  # fmt: skip
    return rows


def _check_new(session: Session, rows: list[Area]) -> None:
    ids = [r.id for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    taken = list(session.scalars(select(Area.id).where(Area.id.in_(ids))))
    if dupes or taken:
        raise ApiError(
            409, "conflict", "area ids or codes already exist or repeat; nothing was imported",
            {"duplicates": dupes[:50], "existing": sorted(taken)[:50]},
        )  # fmt: skip


@router.post("/areas/import", response_model=AreaImportPublic, status_code=201)
def import_areas(
    body: AreaImportIn, container: ContainerDep, session: SessionDep, _: Admin
) -> AreaImportPublic:
    """Import a GeoJSON FeatureCollection as areas of one kind: every feature or none."""
    if body.parent_id is not None:
        get_or_404(session, Area, body.parent_id, "parent area")
    result = _load(body)
    rows = _rows(result, body, container)
    _check_new(session, rows)
    session.add_all(rows)
    session.commit()
    container.locator.reload()
    return AreaImportPublic(
        imported=len(rows), ids=[r.id for r in rows], repaired_ids=result.repaired_ids,
        source_datum=result.source_datum.value,
    )  # fmt: skip


@router.get("/units", response_model=Page[UnitPublic], tags=["units"])
def list_units(
    session: SessionDep, _: Reader, limit: Limit = 100, cursor: StrCursor = None
) -> Page[UnitPublic]:
    """Responsible units."""
    rows, total, nxt = page_by_key(session, select(Unit), Unit.id, cursor=cursor, limit=limit)
    return Page[UnitPublic](
        data=[UnitPublic.model_validate(u) for u in rows], count=total, next_cursor=nxt
    )


@router.post("/units", response_model=UnitPublic, status_code=201, tags=["units"])
def create_unit(body: UnitCreate, session: SessionDep, _: Admin) -> UnitPublic:
    """Add a responsible unit."""
    if session.get(Unit, body.id) is not None:
        raise ApiError(409, "conflict", f"unit {body.id} already exists")
    unit = Unit(**body.model_dump())
    session.add(unit)
    session.commit()
    return UnitPublic.model_validate(unit)


def _check_refs(session: Session, values: dict[str, Any]) -> None:
    for key, model in (("area_id", Area), ("unit_id", Unit), ("category_code", Category)):
        ref = values.get(key)
        if ref is not None and session.get(model, ref) is None:
            raise ApiError(422, "unknown_reference", f"{key} {ref!r} does not exist")


@router.get("/responsibilities", response_model=Page[ResponsibilityPublic], tags=["areas"])
def list_responsibilities(
    session: SessionDep,
    _: Reader,
    area_id: Annotated[str | None, Query(max_length=64)] = None,
    category_code: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 100,
    cursor: Annotated[int | None, Query(ge=0, le=2_147_483_647)] = None,
) -> Page[ResponsibilityPublic]:
    """The responsibility table."""
    query = select(Responsibility)
    if area_id:
        query = query.where(Responsibility.area_id == area_id)
    if category_code:
        query = query.where(Responsibility.category_code == category_code)
    rows, total, nxt = page_by_key(session, query, Responsibility.id, cursor=cursor, limit=limit)
    data = [ResponsibilityPublic.model_validate(r) for r in rows]
    return Page[ResponsibilityPublic](data=data, count=total, next_cursor=nxt)


@router.post("/responsibilities", response_model=ResponsibilityPublic, status_code=201)
def create_responsibility(
    body: ResponsibilityCreate, container: ContainerDep, session: SessionDep, _: Admin
) -> ResponsibilityPublic:
    """Add a row: ``unit`` handles ``category`` (or every category) in ``area``."""
    values = body.model_dump()
    _check_refs(session, values)
    row = Responsibility(**values)
    session.add(row)
    session.commit()
    container.locator.reload()
    return ResponsibilityPublic.model_validate(row)


@router.get("/responsibilities/{row_id}", response_model=ResponsibilityPublic)
def get_responsibility(row_id: IntIdPath, session: SessionDep, _: Reader) -> ResponsibilityPublic:
    """One row of the responsibility table."""
    return ResponsibilityPublic.model_validate(
        get_or_404(session, Responsibility, row_id, "responsibility")
    )


@router.patch("/responsibilities/{row_id}", response_model=ResponsibilityPublic)
def update_responsibility(
    row_id: IntIdPath,
    body: ResponsibilityUpdate,
    container: ContainerDep,
    session: SessionDep,
    _: Admin,
) -> ResponsibilityPublic:
    """Change a row."""
    row = get_or_404(session, Responsibility, row_id, "responsibility")
    values = body.model_dump(exclude_unset=True)
    for key in ("area_id", "unit_id", "priority"):
        if key in values and values[key] is None:
            raise ApiError(422, "invalid_request", f"{key} cannot be null")
    _check_refs(session, values)
    for key, value in values.items():
        setattr(row, key, value)
    session.commit()
    container.locator.reload()
    return ResponsibilityPublic.model_validate(row)


@router.delete("/responsibilities/{row_id}", status_code=204, response_class=Response)
def delete_responsibility(
    row_id: IntIdPath, container: ContainerDep, session: SessionDep, _: Admin
) -> Response:
    """Remove a row."""
    session.delete(get_or_404(session, Responsibility, row_id, "responsibility"))
    session.commit()
    container.locator.reload()
    return Response(status_code=204)
