"""Cameras: CRUD, health reports and calibration.

Every create/update/delete (and scene or calibration change) is published on the
``camera-changes`` topic so a camera supervisor can start, restart or stop a pipeline.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select

from api.auth import Principal
from api.container import Container
from api.deps import ContainerDep, SessionDep, require
from api.errors import ApiError
from api.routes.common import Admin, IdPath, Limit, Reader, StrCursor, get_or_404, page_by_key
from api.schemas import ErrorPublic, Page
from api.schemas_resources import (
    CalibrationIn,
    CalibrationPublic,
    CameraCreate,
    CameraHealthIn,
    CameraPublic,
    CameraUpdate,
    mask_url,
)
from core.bus import CAMERA_CHANGES, CAMERA_HEALTH
from gis.calibration import CalibrationError, CameraCalibration
from gis.datums import Datum
from models import Camera

router = APIRouter(prefix="/cameras", tags=["cameras"])
Reporter = Annotated[Principal, Depends(require("device"))]


def camera_public(cam: Camera) -> CameraPublic:
    """A camera row as the API shows it."""
    cal = cam.calibration or {}
    return CameraPublic(
        id=cam.id, name=cam.name, source_url=mask_url(cam.source_url), sample_fps=cam.sample_fps,
        enabled=cam.enabled, lon=cam.lon, lat=cam.lat, health=cam.health,
        last_frame_at=cam.last_frame_at, health_detail=cam.health_detail,
        calibrated=bool(cal), calibration_rmse_m=cal.get("rmse_m"),
        created_at=cam.created_at, updated_at=cam.updated_at,
    )  # fmt: skip


def publish_change(container: Container, action: str, cam: Camera) -> None:
    """Tell camera supervisors what changed (the full URL stays on the internal bus)."""
    camera: dict[str, Any] = {
        "id": cam.id, "name": cam.name, "source_url": cam.source_url,
        "sample_fps": cam.sample_fps, "enabled": cam.enabled, "lon": cam.lon, "lat": cam.lat,
    }  # fmt: skip
    payload = {
        "action": action,
        "camera_id": cam.id,
        "camera": camera,
        "at": container.clock.now().isoformat(),
    }
    container.bus.publish(CAMERA_CHANGES, payload)


@router.get("", response_model=Page[CameraPublic])
def list_cameras(
    session: SessionDep, _: Reader, limit: Limit = 100, cursor: StrCursor = None
) -> Page[CameraPublic]:
    """Cameras by id, with health."""
    rows, total, nxt = page_by_key(session, select(Camera), Camera.id, cursor=cursor, limit=limit)
    return Page[CameraPublic](data=[camera_public(c) for c in rows], count=total, next_cursor=nxt)


@router.post("", response_model=CameraPublic, status_code=201)
def create_camera(
    body: CameraCreate, container: ContainerDep, session: SessionDep, _: Admin
) -> CameraPublic:
    """Add a camera."""
    if session.get(Camera, body.id) is not None:
        raise ApiError(409, "conflict", f"camera {body.id} already exists")
    now = container.clock.now()
    cam = Camera(**body.model_dump(), health="unknown", created_at=now, updated_at=now)
    session.add(cam)
    session.commit()
    publish_change(container, "created", cam)
    return camera_public(cam)


@router.get("/{camera_id}", response_model=CameraPublic)
def get_camera(camera_id: IdPath, session: SessionDep, _: Reader) -> CameraPublic:
    """One camera."""
    return camera_public(get_or_404(session, Camera, camera_id, "camera"))


@router.patch("/{camera_id}", response_model=CameraPublic)
def update_camera(
    camera_id: IdPath, body: CameraUpdate, container: ContainerDep, session: SessionDep, _: Admin
) -> CameraPublic:
    """Change a camera; the supervisor restarts its pipeline."""
    cam = get_or_404(session, Camera, camera_id, "camera")
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is None and key not in ("lon", "lat"):
            raise ApiError(422, "invalid_request", f"{key} cannot be null")
        setattr(cam, key, value)
    if (cam.lon is None) != (cam.lat is None):
        raise ApiError(422, "invalid_request", "give both lon and lat, or neither")
    cam.updated_at = container.clock.now()
    session.commit()
    publish_change(container, "updated", cam)
    return camera_public(cam)


@router.delete("/{camera_id}", status_code=204, response_class=Response)
def delete_camera(
    camera_id: IdPath, container: ContainerDep, session: SessionDep, _: Admin
) -> Response:
    """Remove a camera (its scene goes with it; cases keep their history)."""
    cam = get_or_404(session, Camera, camera_id, "camera")
    session.delete(cam)
    session.commit()
    publish_change(container, "deleted", cam)
    return Response(status_code=204)


@router.put("/{camera_id}/health", response_model=CameraPublic)
def report_health(
    camera_id: IdPath,
    body: CameraHealthIn,
    container: ContainerDep,
    session: SessionDep,
    _: Reporter,
) -> CameraPublic:
    """A pipeline or edge device reports the camera's health (streamed on the live feed)."""
    cam = get_or_404(session, Camera, camera_id, "camera")
    now = container.clock.now()
    cam.health, cam.health_detail, cam.updated_at = body.health, body.detail, now
    if body.last_frame_at is not None:
        cam.last_frame_at = body.last_frame_at
    session.commit()
    last = cam.last_frame_at.isoformat() if cam.last_frame_at else None
    container.bus.publish(
        CAMERA_HEALTH,
        {"camera_id": cam.id, "state": cam.health, "message": cam.health_detail,
         "last_frame_at": last, "at": now.isoformat(), "source": "api"},
    )  # fmt: skip
    return camera_public(cam)


@router.put("/{camera_id}/calibration", response_model=CalibrationPublic)
def calibrate(
    camera_id: IdPath, body: CalibrationIn, container: ContainerDep, session: SessionDep, _: Admin
) -> CalibrationPublic:
    """Fit the pixel -> ground homography from point pairs and store it on the camera."""
    cam = get_or_404(session, Camera, camera_id, "camera")
    pixels = [(p.x_px, p.y_px) for p in body.pairs]
    world = [(p.lon, p.lat) for p in body.pairs]
    try:
        cal = CameraCalibration.fit(
            pixels, world, datum=Datum.parse(body.datum), max_rmse_m=body.max_rmse_m
        )
    except CalibrationError as exc:
        raise ApiError(422, "calibration_failed", str(exc)) from exc
    cam.calibration = cal.to_dict()
    cam.updated_at = container.clock.now()
    session.commit()
    publish_change(container, "calibrated", cam)
    return CalibrationPublic(
        camera_id=cam.id, epsg=cal.epsg, rmse_m=cal.rmse_m, pairs=len(pixels),
        inliers=[bool(v) for v in cal.inliers],
    )  # fmt: skip


@router.get(
    "/{camera_id}/frame",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorPublic}},
)
def latest_frame(camera_id: IdPath, container: ContainerDep, _: Reader) -> Response:
    """The camera's latest frame (JPEG) while it runs in this process."""
    from api.cameras_runtime import CameraManager

    manager = next((b for b in container.background if isinstance(b, CameraManager)), None)
    latest = manager.latest_jpeg(camera_id) if manager is not None else None
    if latest is None:
        raise ApiError(404, "no_frame", f"camera {camera_id} has no live frame in this process")
    jpeg, frame = latest
    headers = {"Cache-Control": "no-store", "X-Frame-Time": frame.timestamp.isoformat()}
    return Response(jpeg, media_type="image/jpeg", headers=headers)
