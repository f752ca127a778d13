"""Stateful scene rules: ``step(meta, detections) -> list[RuleHit]``, built by config ``kind``."""

from scenes.rules.base import (
    BuildContext,
    CalibrationRequiredError,
    FrameMeta,
    GroundMapper,
    HitRule,
    ObjectView,
    Rule,
    RuleHit,
)
from scenes.rules.registry import build_composition, build_rule, register_rule, rule_kinds

__all__ = [
    "BuildContext",
    "CalibrationRequiredError",
    "FrameMeta",
    "GroundMapper",
    "HitRule",
    "ObjectView",
    "Rule",
    "RuleHit",
    "build_composition",
    "build_rule",
    "register_rule",
    "rule_kinds",
]
