"""The scene (zones, lines, rules) of a camera: JSON and YAML, validated by ``SceneConfig``."""

from __future__ import annotations

from datetime import datetime

import yaml
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.container import Container
from api.deps import ContainerDep, SessionDep
from api.errors import ApiError
from api.routes.cameras import publish_change
from api.routes.common import Admin, IdPath, Reader, get_or_404
from api.schemas_resources import ScenePublic
from models import Camera, Scene
from scenes.config import SceneConfig, dump_scene_yaml, load_scene_yaml
from scenes.pack_attach import CityPackParams, MuckTruckPackParams, attach_pack

router = APIRouter(prefix="/cameras", tags=["scenes"])
MAX_YAML_BYTES = 1_000_000
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")


def _current(session: Session, camera_id: str) -> Scene:
    get_or_404(session, Camera, camera_id, "camera")
    scene = session.scalars(
        select(Scene).where(Scene.camera_id == camera_id).order_by(Scene.version.desc())
    ).first()
    if scene is None:
        raise ApiError(404, "not_found", f"camera {camera_id} has no scene yet")
    return scene


def _public(scene: Scene) -> ScenePublic:
    return ScenePublic(
        camera_id=scene.camera_id,
        version=scene.version,
        updated_at=scene.updated_at,
        config=SceneConfig.model_validate(scene.config),
    )


def _store(
    container: Container, session: Session, camera_id: str, config: SceneConfig
) -> ScenePublic:
    if config.camera_id != camera_id:
        raise ApiError(
            422, "camera_mismatch", f"scene is for camera {config.camera_id!r}, not {camera_id!r}"
        )
    cam = get_or_404(session, Camera, camera_id, "camera")
    old = session.scalars(select(Scene.version).where(Scene.camera_id == camera_id)).all()
    session.execute(delete(Scene).where(Scene.camera_id == camera_id))
    now: datetime = container.clock.now()
    scene = Scene(
        id=config.id,
        camera_id=camera_id,
        config=config.model_dump(mode="json"),
        version=max(old, default=0) + 1,
        updated_at=now,
    )
    session.add(scene)
    session.commit()
    publish_change(container, "scene_updated", cam)
    return _public(scene)


@router.get("/{camera_id}/scene", response_model=ScenePublic)
def get_scene(camera_id: IdPath, session: SessionDep, _: Reader) -> ScenePublic:
    """The camera's scene as JSON."""
    return _public(_current(session, camera_id))


@router.put("/{camera_id}/scene", response_model=ScenePublic)
def put_scene(
    camera_id: IdPath, body: SceneConfig, container: ContainerDep, session: SessionDep, _: Admin
) -> ScenePublic:
    """Replace the camera's scene; the supervisor reloads its rules."""
    return _store(container, session, camera_id, body)


def _attach(
    container: Container,
    session: Session,
    camera_id: str,
    params: MuckTruckPackParams | CityPackParams,
) -> ScenePublic:
    cam = get_or_404(session, Camera, camera_id, "camera")
    current = session.scalars(
        select(Scene).where(Scene.camera_id == camera_id).order_by(Scene.version.desc())
    ).first()
    scene = None if current is None else SceneConfig.model_validate(current.config)
    try:
        config = attach_pack(scene, camera_id, params, calibrated=bool(cam.calibration))
    except ValidationError as exc:
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise ApiError(422, "invalid_scene", "the pack does not fit this scene", details) from exc
    except ValueError as exc:
        raise ApiError(422, "invalid_scene", str(exc)) from exc
    return _store(container, session, camera_id, config)


@router.put("/{camera_id}/scene/packs/muck-truck", response_model=ScenePublic)
def attach_muck_truck_pack(
    camera_id: IdPath,
    body: MuckTruckPackParams,
    container: ContainerDep,
    session: SessionDep,
    _: Admin,
) -> ScenePublic:
    """Attach (or re-attach) the muck-truck pack: restricted zone/hours, uncovered load,
    spillage, suspected dumping and, on a calibrated camera, speeding. Creates the scene when
    the camera has none; the supervisor reloads its rules."""
    return _attach(container, session, camera_id, body)


@router.put("/{camera_id}/scene/packs/city", response_model=ScenePublic)
def attach_city_pack(
    camera_id: IdPath,
    body: CityPackParams,
    container: ContainerDep,
    session: SessionDep,
    _: Admin,
) -> ScenePublic:
    """Attach (or re-attach) the city pack: illegal parking, exposed garbage, crowding."""
    return _attach(container, session, camera_id, body)


@router.get(
    "/{camera_id}/scene.yaml",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}, "description": "The scene as YAML."}},
)
def export_scene_yaml(camera_id: IdPath, session: SessionDep, _: Reader) -> Response:
    """The camera's scene as YAML (round-trips through the import)."""
    config = SceneConfig.model_validate(_current(session, camera_id).config)
    return Response(dump_scene_yaml(config), media_type="application/yaml")


@router.put(
    "/{camera_id}/scene.yaml",
    response_model=ScenePublic,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def import_scene_yaml(
    camera_id: IdPath, request: Request, container: ContainerDep, session: SessionDep, _: Admin
) -> ScenePublic:
    """Replace the camera's scene from YAML."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise ApiError(415, "unsupported_media_type", f"send YAML ({YAML_TYPES[0]})")
    raw = await request.body()
    if len(raw) > MAX_YAML_BYTES:
        raise ApiError(413, "too_large", f"scene YAML is limited to {MAX_YAML_BYTES} bytes")
    try:
        config = load_scene_yaml(raw.decode("utf-8"))
    except ValidationError as exc:
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise ApiError(422, "invalid_scene", "the scene is not valid", details) from exc
    except yaml.YAMLError as exc:
        raise ApiError(422, "invalid_yaml", f"not valid YAML: {exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_scene", str(exc)) from exc
    return _store(container, session, camera_id, config)
