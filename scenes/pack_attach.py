"""Attach a ready-made scene pack to a camera's scene in one request.

An operator names the pack, draws (or reuses) its zones and sets a few numbers; the pack's rules
replace any rules the same pack (same ``prefix``) attached before, so attaching twice updates
instead of duplicating. Zones given with the request are added or replace zones of the same id.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scenes.config import SceneConfig, TimeWindow, Zone
from scenes.packs import city_pack, muck_truck_pack
from scenes.rule_config import RuleConfig

_PREFIX = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$"
_PREFIX_HELP = "Rule-id prefix; rules starting with '<prefix>-' belong to this attachment."


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zones: list[Zone] = Field(
        default_factory=list,
        description="Zones to add (or replace by id) before the pack's rules are attached.",
    )
    prefix: str = Field(pattern=_PREFIX, description=_PREFIX_HELP)


class MuckTruckPackParams(_Params):
    """Parameters of the muck-truck pack (restricted zone/hours, load, spillage, dumping, speed)."""

    prefix: str = Field(default="mt", pattern=_PREFIX, description=_PREFIX_HELP)
    restricted_zone_id: str = Field(description="Zone closed to muck trucks.")
    road_zone_id: str | None = Field(
        default=None, description="Road zone for load, spillage and speed rules (None: anywhere)."
    )
    no_dump_zone_id: str | None = Field(
        default=None, description="Zone where a long stop followed by debris is suspected dumping."
    )
    restricted_windows: list[TimeWindow] = Field(
        default_factory=list,
        description="When the restricted zone is closed to trucks; empty means at all hours.",
    )
    speed_limit_kmh: float = Field(
        default=40.0, gt=0, le=200, description="Speed limit; used only on calibrated cameras."
    )
    dump_dwell_s: float = Field(
        default=120.0, gt=0, le=86_400, description="Stop longer than this counts towards dumping."
    )


class CityPackParams(_Params):
    """Parameters of the general city pack (illegal parking, exposed garbage, crowding)."""

    prefix: str = Field(default="city", pattern=_PREFIX, description=_PREFIX_HELP)
    no_parking_zone_id: str | None = Field(default=None, description="No-parking zone.")
    parking_dwell_s: float = Field(default=300.0, gt=0, le=86_400, description="Parking limit.")
    garbage_zone_id: str | None = Field(default=None, description="Zone watched for garbage.")
    garbage_dwell_s: float = Field(
        default=600.0, gt=0, le=86_400, description="A pile staying this long is reported."
    )
    crowd_zone_id: str | None = Field(default=None, description="Zone watched for crowding.")
    crowd_min_count: int = Field(default=20, ge=2, le=10_000, description="People to count.")
    crowd_category_code: str | None = Field(
        default=None, description="Category raised by crowding (required with crowd_zone_id)."
    )


def _muck_truck_rules(params: MuckTruckPackParams, calibrated: bool) -> list[RuleConfig]:
    return muck_truck_pack(
        restricted_zone_id=params.restricted_zone_id,
        road_zone_id=params.road_zone_id,
        no_dump_zone_id=params.no_dump_zone_id,
        restricted_windows=params.restricted_windows,
        calibrated=calibrated,
        speed_limit_kmh=params.speed_limit_kmh,
        dump_dwell_s=params.dump_dwell_s,
        prefix=params.prefix,
    )


def _city_rules(params: CityPackParams, _calibrated: bool) -> list[RuleConfig]:
    return city_pack(
        no_parking_zone_id=params.no_parking_zone_id,
        parking_dwell_s=params.parking_dwell_s,
        garbage_zone_id=params.garbage_zone_id,
        garbage_dwell_s=params.garbage_dwell_s,
        crowd_zone_id=params.crowd_zone_id,
        crowd_min_count=params.crowd_min_count,
        crowd_category_code=params.crowd_category_code,
        prefix=params.prefix,
    )


def pack_rules(params: MuckTruckPackParams | CityPackParams, calibrated: bool) -> list[RuleConfig]:
    """The rules of the pack ``params`` belongs to (speeding only when ``calibrated``)."""
    if isinstance(params, MuckTruckPackParams):
        return _muck_truck_rules(params, calibrated)
    return _city_rules(params, calibrated)


def attach_pack(
    scene: SceneConfig | None,
    camera_id: str,
    params: MuckTruckPackParams | CityPackParams,
    *,
    calibrated: bool,
) -> SceneConfig:
    """``scene`` (or a new one for ``camera_id``) with the pack of ``params`` attached again.

    Raises ``ValueError`` (pydantic's ``ValidationError`` is one) when the result is not a valid
    scene, e.g. a rule names a zone that neither the scene nor ``params.zones`` has.
    """
    rules = pack_rules(params, calibrated)
    base = scene or SceneConfig(id=f"{camera_id}-scene", camera_id=camera_id, name=camera_id)
    new_zone_ids = {z.id for z in params.zones}
    zones = [z for z in base.zones if z.id not in new_zone_ids] + list(params.zones)
    own = f"{params.prefix}-"
    kept = [r for r in base.rules if not r.id.startswith(own)]
    data = base.model_dump()
    data["zones"] = [z.model_dump() for z in zones]
    data["rules"] = [r.model_dump() for r in (*kept, *rules)]
    return SceneConfig.model_validate(data)
