"""Crowding: at least N objects in a zone for ``min_frames`` (tracked or not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from detectors.detections import Detections
from scenes.rule_config import CountRuleConfig
from scenes.rules.base import (
    BuildContext,
    FrameMeta,
    ObjectView,
    RuleHit,
    SceneTime,
    anchors_rel,
    object_views,
    view_matcher,
)
from scenes.rules.geometry import ZoneShape


@dataclass
class _Crowd:
    start_t: float
    started_at: datetime
    last_t: float
    frames: int = 1
    fired: bool = False


class CountRule:
    """One event per crowding episode, at most one per ``cooldown_s``; the event has no track."""

    def __init__(self, config: CountRuleConfig, ctx: BuildContext) -> None:
        self.rule_id = config.id
        self._config = config
        self._zone = ZoneShape(ctx.scene.zone(config.zone_id).polygon)
        self._matches = view_matcher(
            config.object_classes, config.attributes, config.min_confidence
        )
        self._time = SceneTime(ctx.scene.max_frame_gap_s)
        self._crowd: _Crowd | None = None
        self._last_fire_t: float | None = None

    def step(self, meta: FrameMeta, detections: Detections) -> list[RuleHit]:
        """Consume one frame; return a hit when crowding is confirmed."""
        t = self._time.tick(meta.timestamp)
        views = [v for v in object_views(meta, detections) if self._matches(v)]
        inside = [
            v for v, ok in zip(views, self._zone.contains(anchors_rel(views)), strict=True) if ok
        ]
        crowd = self._crowd
        if crowd is not None and t - crowd.last_t > self._config.exit_grace_s:
            crowd = self._crowd = None
        if len(inside) < self._config.min_count:
            return []
        if crowd is None:
            crowd = self._crowd = _Crowd(t, meta.timestamp, t)
        elif crowd.last_t < t:
            crowd.frames, crowd.last_t = crowd.frames + 1, t
        if crowd.fired or crowd.frames < self._config.min_frames:
            return []
        crowd.fired = True
        if self._last_fire_t is not None and t - self._last_fire_t < self._config.cooldown_s:
            return []
        self._last_fire_t = t
        return [self._hit(crowd, inside, meta)]

    def reset(self) -> None:
        """Forget the ongoing episode; the cooldown stays."""
        self._crowd = None

    def _hit(self, crowd: _Crowd, inside: list[ObjectView], meta: FrameMeta) -> RuleHit:
        n = len(inside)
        anchor_px = (
            sum(v.anchor_px[0] for v in inside) / n,
            sum(v.anchor_px[1] for v in inside) / n,
        )
        anchor_rel = (
            sum(v.anchor_rel[0] for v in inside) / n,
            sum(v.anchor_rel[1] for v in inside) / n,
        )
        box = (
            min(v.box_xyxy_px[0] for v in inside),
            min(v.box_xyxy_px[1] for v in inside),
            max(v.box_xyxy_px[2] for v in inside),
            max(v.box_xyxy_px[3] for v in inside),
        )
        label = self._config.name or self._config.kind
        return RuleHit(
            rule_id=self.rule_id,
            category_code=self._config.category_code,
            occurred_at=crowd.started_at,
            detected_at=meta.timestamp,
            object_class=inside[0].class_name,
            confidence=min(v.confidence for v in inside),
            anchor_px=anchor_px,
            anchor_rel=anchor_rel,
            box_xyxy_px=box,
            attributes={"count": str(n)},
            description=f"{label}: {n} objects in zone {self._config.zone_id}",
        )
