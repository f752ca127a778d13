"""The scene engine: builds a camera's rules from config and turns their hits into scene events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from core.clock import Clock, SystemClock
from detectors.detections import Detections
from scenes.config import SceneConfig, is_active
from scenes.events import GroundPoint, SceneEvent
from scenes.rule_config import CompositionRuleConfig, RuleConfig
from scenes.rules.base import BuildContext, FrameMeta, GroundMapper, HitRule, Rule, RuleHit
from scenes.rules.registry import build_composition, build_rule

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineHit:
    """A published event with the rule hit behind it (the pipeline draws its box as evidence)."""

    event: SceneEvent
    hit: RuleHit


@dataclass
class _Slot:
    config: RuleConfig
    rule: Rule | None = None
    composition: HitRule | None = None
    active: bool = True


class SceneEngine:
    """Evaluates one scene's rules frame by frame.

    Rules run only inside their ``active_windows`` and are reset when a window closes, so an
    episode never spans an inactive period. Compositions see the hits of the frame rules
    (including ``emit: false`` building blocks). A rule that raises is logged and skipped for
    that frame; the others still run.
    """

    def __init__(
        self,
        scene: SceneConfig,
        ground: GroundMapper | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.scene = scene
        self._ground = ground
        self._clock: Clock = clock or SystemClock()
        ctx = BuildContext(scene=scene, ground=ground)
        self._slots = [_build_slot(cfg, ctx) for cfg in scene.rules if cfg.enabled]
        self._emit = {cfg.id: cfg.emit for cfg in scene.rules}
        self._supersedes = {
            cfg.id: tuple(cfg.supersedes)
            for cfg in scene.rules
            if isinstance(cfg, CompositionRuleConfig) and cfg.supersedes
        }
        self.rule_errors = 0

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the enabled rules, in evaluation order."""
        return [s.config.id for s in self._slots]

    def step(self, meta: FrameMeta, detections: Detections) -> list[SceneEvent]:
        """Run every active rule on one frame; return the events to publish."""
        return [h.event for h in self.evaluate(meta, detections)]

    def evaluate(self, meta: FrameMeta, detections: Detections) -> list[EngineHit]:
        """Like ``step`` but keeps each event's rule hit (box, anchor)."""
        hits: list[RuleHit] = []
        for slot in self._slots:
            rule = slot.rule
            if rule is not None and self._is_active(slot, meta.timestamp):
                hits.extend(self._guarded(slot, partial(rule.step, meta, detections)))
        base = list(hits)
        for slot in self._slots:
            comp = slot.composition
            if comp is not None and self._is_active(slot, meta.timestamp):
                hits.extend(self._guarded(slot, partial(comp.consume, meta, base)))
        hits = self._without_superseded(hits)
        detected_at = self._clock.now()
        return [
            EngineHit(self._event(h, meta, detected_at), h)
            for h in hits
            if self._emit.get(h.rule_id, True)
        ]

    def _without_superseded(self, hits: list[RuleHit]) -> list[RuleHit]:
        """Drop hits that a composition hit of this frame replaces (same rule, B's track)."""
        replaced = {
            (ref, h.attributes.get("then_track_id", ""))
            for h in hits
            for ref in self._supersedes.get(h.rule_id, ())
        }
        if not replaced:
            return hits
        return [
            h
            for h in hits
            if (h.rule_id, "" if h.track_id is None else str(h.track_id)) not in replaced
        ]

    def _is_active(self, slot: _Slot, instant: datetime) -> bool:
        active = is_active(slot.config.active_windows, instant)
        if slot.active and not active:
            logger.debug("rule %s leaves its time window", slot.config.id)
            (slot.rule or slot.composition or _NOOP).reset()
        slot.active = active
        return active

    def _guarded(self, slot: _Slot, call: Callable[[], list[RuleHit]]) -> list[RuleHit]:
        try:
            return call()
        except Exception:
            self.rule_errors += 1
            logger.exception("rule %s failed on this frame", slot.config.id)
            return []

    def _event(self, hit: RuleHit, meta: FrameMeta, detected_at: datetime) -> SceneEvent:
        return SceneEvent(
            schema_version=1,
            source="camera",
            occurred_at=min(hit.occurred_at, detected_at),
            detected_at=detected_at,
            camera_id=meta.camera_id,
            scene_id=self.scene.id,
            rule_id=hit.rule_id,
            category_code=hit.category_code,
            track_id=hit.track_id,
            object_class=hit.object_class,
            attributes=dict(hit.attributes),
            confidence=min(max(hit.confidence, 0.0), 1.0),
            anchor_px=hit.anchor_px,
            location=self._locate(hit),
            description=hit.description[:2000],
        )

    def _locate(self, hit: RuleHit) -> GroundPoint | None:
        if self._ground is None or hit.anchor_px is None:
            return None
        try:
            lon, lat = self._ground.to_ground(hit.anchor_px)
            return GroundPoint(lon=lon, lat=lat, crs="EPSG:4326")
        except (ValueError, ArithmeticError):
            logger.warning("rule %s: anchor %s has no ground point", hit.rule_id, hit.anchor_px)
            return None


class _Noop:
    def reset(self) -> None:
        """Nothing to forget."""


_NOOP = _Noop()


def _build_slot(config: RuleConfig, ctx: BuildContext) -> _Slot:
    if isinstance(config, CompositionRuleConfig):
        return _Slot(config, composition=build_composition(config, ctx))
    return _Slot(config, rule=build_rule(config, ctx))
