"""Rule registry: config ``kind`` -> builder. Explicit table, no import-time registration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenes.rule_config import CompositionRuleConfig, RuleConfig
from scenes.rules.base import BuildContext, HitRule, Rule
from scenes.rules.composition import CompositionRule
from scenes.rules.count import CountRule
from scenes.rules.motion import LineCrossingRule, SpeedRule
from scenes.rules.presence import DwellRule, PresenceRule
from scenes.rules.spillage import SpillageRule

RuleBuilder = Callable[[Any, BuildContext], Rule]

_BUILDERS: dict[str, RuleBuilder] = {
    "zone_presence": PresenceRule,
    "attribute": PresenceRule,
    "line_crossing": LineCrossingRule,
    "dwell": DwellRule,
    "speed": SpeedRule,
    "count": CountRule,
    "spillage": SpillageRule,
}


def register_rule(kind: str, builder: RuleBuilder) -> None:
    """Add or replace the builder for ``kind`` (plug-in rules)."""
    _BUILDERS[kind] = builder


def rule_kinds() -> list[str]:
    """Known rule kinds, including ``composition``."""
    return sorted([*_BUILDERS, "composition"])


def build_rule(config: RuleConfig, ctx: BuildContext) -> Rule:
    """Build a frame rule; raises ``KeyError`` for an unknown kind and ``ValueError`` (e.g.
    ``CalibrationRequiredError``) when the rule cannot run with this context."""
    if isinstance(config, CompositionRuleConfig):
        raise TypeError(f"rule {config.id!r} is a composition; use build_composition")
    try:
        builder = _BUILDERS[config.kind]
    except KeyError as exc:
        raise KeyError(f"no rule registered for kind {config.kind!r}") from exc
    return builder(config, ctx)


def build_composition(config: CompositionRuleConfig, ctx: BuildContext) -> HitRule:
    """Build a rule over other rules' hits."""
    return CompositionRule(config, ctx)
