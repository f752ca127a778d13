"""Ready-made scene packs: rule lists to attach to a camera given its zone ids.

Category codes follow the seed category table (national 5-digit codes where they exist, local
``MT_*`` codes for muck-truck matters). Detector classes: ``car``, ``truck``, ``debris``,
``person``; trucks carry the attribute ``load`` = ``covered`` / ``uncovered``.
"""

from __future__ import annotations

from collections.abc import Sequence

from scenes.config import SceneConfig, TimeWindow, Zone
from scenes.rule_config import (
    AttributeRuleConfig,
    CompositionRuleConfig,
    CountRuleConfig,
    DwellRuleConfig,
    RuleConfig,
    SpeedRuleConfig,
    SpillageRuleConfig,
    ZonePresenceRuleConfig,
)

CATEGORY_NAMES: dict[str, str] = {
    "MT_UNSEALED": "渣土运输车辆未密闭",
    "MT_SPILL": "道路遗撒",
    "MT_MUDDY": "车轮带泥",
    "MT_DUMPING": "垃圾渣土乱倒乱卸",
    "MT_RESTRICTED": "渣土车闯禁行",
    "06010": "暴露垃圾",
    "06011": "积存垃圾渣土",
    "06012": "道路不洁",
    "PARKING": "违章停车",
    "MT_SPEEDING": "渣土车超速",
}
"""Seed category codes used by the packs (zh names for display)."""

TRUCK, CAR, DEBRIS, PERSON = "truck", "car", "debris", "person"
_CONFIRM_S = 0.8
"""Seconds over two or more frames that confirm a moving truck when fewer than ``min_frames``
were seen (1 fps cameras); at 5 fps three frames (0.4 s) confirm first."""


def full_frame_zone(zone_id: str = "frame", name: str = "whole image") -> Zone:
    """A zone covering the whole image (for rules that apply everywhere in view)."""
    return Zone(id=zone_id, name=name, polygon=[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])


def muck_truck_pack(
    *,
    restricted_zone_id: str,
    road_zone_id: str | None = None,
    no_dump_zone_id: str | None = None,
    restricted_windows: Sequence[TimeWindow] = (),
    calibrated: bool = False,
    speed_limit_kmh: float = 40.0,
    dump_dwell_s: float = 120.0,
    prefix: str = "mt",
) -> list[RuleConfig]:
    """Muck-truck rules: restricted zone/hours, uncovered load, spillage, dumping, speeding.

    ``restricted_windows`` empty means the zone is closed to trucks at all hours. Dumping is a
    truck stopped longer than ``dump_dwell_s`` in ``no_dump_zone_id`` followed by new debris there
    (its two building blocks do not emit events themselves). Speeding is added only when
    ``calibrated`` (a speed rule refuses to build without a ground mapping).
    """
    rules: list[RuleConfig] = [
        ZonePresenceRuleConfig(
            id=f"{prefix}-restricted",
            name="渣土车闯禁行",
            category_code="MT_RESTRICTED",
            object_classes=[TRUCK],
            zone_id=restricted_zone_id,
            active_windows=list(restricted_windows),
            min_frames=3,
            min_seconds=_CONFIRM_S,
        ),
        AttributeRuleConfig(
            id=f"{prefix}-uncovered",
            name="渣土车未密闭",
            category_code="MT_UNSEALED",
            object_classes=[TRUCK],
            attributes={"load": "uncovered"},
            zone_id=road_zone_id,
            min_frames=3,
            min_seconds=_CONFIRM_S,
        ),
        SpillageRuleConfig(
            id=f"{prefix}-spill",
            name="道路遗撒",
            category_code="MT_SPILL",
            zone_id=road_zone_id,
            min_frames=3,
        ),
    ]
    if no_dump_zone_id is not None:
        rules += _dumping_rules(prefix, no_dump_zone_id, dump_dwell_s)
    if calibrated:
        rules.append(
            SpeedRuleConfig(
                id=f"{prefix}-speeding",
                name="渣土车超速",
                category_code="MT_SPEEDING",
                object_classes=[TRUCK],
                zone_id=road_zone_id,
                max_speed_kmh=speed_limit_kmh,
            )
        )
    return rules


def _dumping_rules(prefix: str, zone_id: str, dwell_s: float) -> list[RuleConfig]:
    stop = DwellRuleConfig(
        id=f"{prefix}-dump-stop",
        name="渣土车违规停留",
        category_code="MT_DUMPING",
        emit=False,
        object_classes=[TRUCK],
        zone_id=zone_id,
        dwell_s=dwell_s,
        min_frames=3,
        exit_grace_s=10.0,
    )
    debris = ZonePresenceRuleConfig(
        id=f"{prefix}-dump-debris",
        name="新增渣土",
        category_code="MT_DUMPING",
        emit=False,
        object_classes=[DEBRIS],
        zone_id=zone_id,
        min_frames=3,
    )
    dumping = CompositionRuleConfig(
        id=f"{prefix}-dumping",
        name="疑似偷倒乱卸",
        category_code="MT_DUMPING",
        first_rule_id=stop.id,
        then_rule_id=debris.id,
        within_s=600.0,
        supersedes=[f"{prefix}-spill"],
    )
    return [stop, debris, dumping]


def city_pack(
    *,
    no_parking_zone_id: str | None = None,
    parking_dwell_s: float = 300.0,
    garbage_zone_id: str | None = None,
    garbage_dwell_s: float = 600.0,
    crowd_zone_id: str | None = None,
    crowd_min_count: int = 20,
    crowd_category_code: str | None = None,
    prefix: str = "city",
) -> list[RuleConfig]:
    """General city scenes: illegal parking, exposed garbage/debris pile, crowding.

    Crowding has no code in the seed table, so ``crowd_category_code`` must be given with
    ``crowd_zone_id``.
    """
    rules: list[RuleConfig] = []
    if no_parking_zone_id is not None:
        rules.append(
            DwellRuleConfig(
                id=f"{prefix}-parking",
                name="违章停车",
                category_code="PARKING",
                object_classes=[CAR, TRUCK],
                zone_id=no_parking_zone_id,
                dwell_s=parking_dwell_s,
                exit_grace_s=10.0,
            )
        )
    if garbage_zone_id is not None:
        rules.append(
            DwellRuleConfig(
                id=f"{prefix}-garbage",
                name="暴露垃圾",
                category_code="06010",
                object_classes=[DEBRIS],
                zone_id=garbage_zone_id,
                dwell_s=garbage_dwell_s,
                exit_grace_s=30.0,
                cooldown_s=3600.0,
            )
        )
    if crowd_zone_id is not None:
        if not crowd_category_code:
            raise ValueError("crowding has no seed category code: pass crowd_category_code")
        rules.append(
            CountRuleConfig(
                id=f"{prefix}-crowding",
                name="人员聚集",
                category_code=crowd_category_code,
                object_classes=[PERSON],
                zone_id=crowd_zone_id,
                min_count=crowd_min_count,
                min_frames=5,
                exit_grace_s=10.0,
            )
        )
    return rules


def with_rules(scene: SceneConfig, rules: Sequence[RuleConfig]) -> SceneConfig:
    """Return ``scene`` with ``rules`` appended, re-validated (unknown zones, duplicate ids)."""
    data = scene.model_dump()
    data["rules"] = [*data["rules"], *(r.model_dump() for r in rules)]
    return SceneConfig.model_validate(data)
