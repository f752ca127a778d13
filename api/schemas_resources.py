"""Schemas of the configuration resources: cameras, scenes, calibration, categories, areas,
units, responsibilities, staff and teams (the XCreate / XUpdate / XPublic family)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from scenes.config import SceneConfig

Identifier = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Stable identifier.")
]
Lon = Annotated[float, Field(ge=-180, le=180, description="Longitude (WGS84).")]
Lat = Annotated[float, Field(ge=-90, le=90, description="Latitude (WGS84).")]
Health = Literal["unknown", "online", "degraded", "offline"]
StaffStatus = Literal["available", "offered", "busy", "off_shift"]
AreaKindName = Literal["district", "street", "community", "grid", "responsibility"]
DatumName = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]
_URL_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
_SECRET_IN_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]+):[^@/]*@")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def mask_url(url: str) -> str:
    """``rtsp://user:secret@host`` -> ``rtsp://user:***@host``: passwords never leave the API."""
    return _SECRET_IN_URL.sub(r"\1:***@", url)


def _check_url(url: str | None) -> str | None:
    if url is None:
        return None
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if match and match.group(1).lower() not in _URL_SCHEMES:
        raise ValueError(f"unsupported URL scheme {match.group(1)!r}; use one of {_URL_SCHEMES}")
    return url


class CameraUpdate(_In):
    """Fields of a camera that can change (all optional)."""

    name: str | None = Field(None, min_length=1, max_length=200, description="Human name.")
    source_url: str | None = Field(
        None, min_length=1, max_length=2000, description="rtsp://, http(s)://, file:// or path."
    )
    sample_fps: float | None = Field(None, gt=0, le=30, description="Frames/s sent to detection.")
    enabled: bool | None = Field(None, description="Run this camera.")
    lon: Lon | None = None
    lat: Lat | None = None

    _url = field_validator("source_url")(_check_url)


class CameraCreate(CameraUpdate):
    """A new camera."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200, description="Human name.")
    source_url: str = Field(min_length=1, max_length=2000, description="Stream URL or path.")
    sample_fps: float = Field(2.0, gt=0, le=30, description="Frames/s sent to detection.")
    enabled: bool = Field(True, description="Run this camera.")

    @model_validator(mode="after")
    def _both_or_neither(self) -> CameraCreate:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        return self


class CameraPublic(BaseModel):
    """A camera with its health; the stream password is masked."""

    id: str
    name: str
    source_url: str
    sample_fps: float
    enabled: bool
    lon: float | None
    lat: float | None
    health: str
    last_frame_at: datetime | None
    health_detail: str | None
    calibrated: bool
    calibration_rmse_m: float | None
    created_at: datetime
    updated_at: datetime


class CameraHealthIn(_In):
    """A health report from the camera's pipeline or edge device."""

    health: Health
    last_frame_at: AwareDatetime | None = None
    detail: str | None = Field(None, max_length=2000)


class CalibrationPair(_In):
    """One image point and the ground point it shows."""

    x_px: float = Field(ge=0, le=100_000)
    y_px: float = Field(ge=0, le=100_000)
    lon: Lon
    lat: Lat


class CalibrationIn(_In):
    """Point pairs to fit a pixel -> ground homography."""

    pairs: list[CalibrationPair] = Field(min_length=4, max_length=200)
    datum: DatumName = Field("wgs84", description="Datum of the lon/lat values.")
    max_rmse_m: float = Field(1.0, gt=0, le=50, description="Refuse fits worse than this.")


class CalibrationPublic(BaseModel):
    """A fitted calibration."""

    camera_id: str
    epsg: int
    rmse_m: float
    pairs: int
    inliers: list[bool]


class ScenePublic(BaseModel):
    """The scene of a camera."""

    camera_id: str
    version: int
    updated_at: datetime
    config: SceneConfig


class CategoryUpdate(_In):
    """Editable fields of a category and its SLA targets (all optional)."""

    national_code: str | None = Field(None, max_length=16)
    local_code: str | None = Field(None, max_length=16)
    name_zh: str | None = Field(None, min_length=1, max_length=100)
    name_en: str | None = Field(None, min_length=1, max_length=100)
    class_zh: str | None = Field(None, max_length=50)
    clock: Literal["continuous", "working"] | None = None
    discover_target_s: int | None = Field(None, ge=1, le=30 * 86400)
    arrive_target_s: int | None = Field(None, ge=1, le=30 * 86400)
    resolve_target_s: int | None = Field(None, ge=1, le=30 * 86400)
    handling_deadline: float | None = Field(None, gt=0, le=10_000)
    deadline_unit: Literal["minute", "hour", "working_hour", "working_day"] | None = None
    default_priority: int | None = Field(None, ge=1, le=5)
    dedup_radius_m: float | None = Field(None, ge=0, le=10_000)
    dedup_window_s: int | None = Field(None, ge=0, le=30 * 86400)
    department: str | None = Field(None, max_length=100)
    open311: bool | None = Field(None, description="Offered to citizens over Open311.")


class CategoryPublic(BaseModel):
    """A category with its SLA targets."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    national_code: str | None
    local_code: str | None
    name_zh: str
    name_en: str
    class_zh: str | None
    clock: str
    discover_target_s: int | None
    arrive_target_s: int | None
    resolve_target_s: int | None
    handling_deadline: float | None
    deadline_unit: str
    default_priority: int
    dedup_radius_m: float
    dedup_window_s: int
    department: str | None
    open311: bool


class AreaPublic(BaseModel):
    """An area; ``geometry`` is a GeoJSON geometry in WGS84 when asked for."""

    id: str
    kind: str
    code: str
    name: str
    parent_id: str | None
    imported_at: datetime
    geometry: dict[str, Any] | None = None


class AreaImportIn(_In):
    """A GeoJSON FeatureCollection to import as areas of one kind (all or nothing)."""

    kind: AreaKindName
    features: dict[str, Any] = Field(description="A GeoJSON FeatureCollection.")
    datum: DatumName | None = Field(None, description="Datum of the coordinates (default WGS84).")
    id_field: str | None = Field(None, max_length=64, description="Property with feature ids.")
    code_field: str | None = Field(None, max_length=64, description="Property with area codes.")
    name_field: str | None = Field(None, max_length=64, description="Property with names.")
    parent_id: str | None = Field(None, max_length=64, description="Parent area of every row.")
    on_invalid: Literal["repair", "reject"] = "reject"

    @field_validator("features")
    @classmethod
    def _collection(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type") != "FeatureCollection" or not isinstance(value.get("features"), list):
            raise ValueError("features must be a GeoJSON FeatureCollection")
        if not 1 <= len(value["features"]) <= 20_000:
            raise ValueError("a FeatureCollection of 1 to 20000 features is needed")
        return value


class AreaImportPublic(BaseModel):
    """What an import did."""

    imported: int
    ids: list[str]
    repaired_ids: list[str]
    source_datum: str


class UnitCreate(_In):
    """A responsible unit."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    supervisor_contact: str | None = Field(None, max_length=200)


class UnitPublic(BaseModel):
    """A responsible unit."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    supervisor_contact: str | None


class ResponsibilityUpdate(_In):
    """Change a row of the responsibility table."""

    category_code: str | None = Field(None, max_length=32, description="None means every one.")
    area_id: str | None = Field(None, max_length=64)
    unit_id: str | None = Field(None, max_length=64)
    priority: int | None = Field(None, ge=0, le=1000)


class ResponsibilityCreate(ResponsibilityUpdate):
    """Who handles a category (or every category) in an area."""

    area_id: str = Field(max_length=64)
    unit_id: str = Field(max_length=64)
    priority: int = Field(0, ge=0, le=1000)


class ResponsibilityPublic(BaseModel):
    """A row of the responsibility table."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    category_code: str | None
    area_id: str
    unit_id: str
    priority: int


class StaffUpdate(_In):
    """Change a field worker (all optional)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    team_id: str | None = Field(None, max_length=64)
    status: StaffStatus | None = None
    skills: list[Annotated[str, Field(max_length=32)]] | None = Field(None, max_length=100)
    area_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=500)


class StaffCreate(StaffUpdate):
    """A new field worker."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    status: StaffStatus = "off_shift"
    skills: list[Annotated[str, Field(max_length=32)]] = Field(["*"], max_length=100)
    area_ids: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=500)


class ShiftIn(_In):
    """A field worker going on or off shift."""

    status: Literal["available", "off_shift"]


class TeamUpdate(_In):
    """Change a team (all optional)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    unit_id: str | None = Field(None, max_length=64)
    supervisor_user: str | None = Field(None, max_length=64)


class TeamCreate(TeamUpdate):
    """A new team."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)


class TeamPublic(BaseModel):
    """A team."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    unit_id: str | None
    supervisor_user: str | None


class MergeIn(_In):
    """Merge this case into another one (the duplicate is voided)."""

    into_case_id: int = Field(ge=1, le=2_147_483_647)
    note: str = Field("", max_length=4000)
    expected_version: int | None = Field(None, ge=1, le=2_147_483_647)


class ReadyPublic(BaseModel):
    """Readiness: every dependency the service needs to do its work."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]
