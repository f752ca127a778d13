"""Composition: rule A, then rule B within T seconds (e.g. truck dwell, then debris = dumping)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

from scenes.rule_config import CompositionRuleConfig
from scenes.rules.base import BuildContext, FrameMeta, ObjectView, RuleHit, SceneTime
from scenes.rules.geometry import distance
from scenes.rules.state import FireGate

_MAX_PENDING = 256
_THEN_MEMORY_S = 3600.0


class CompositionRule:
    """Matches an A hit with a later B hit; fires once per A track per cooldown.

    B matches A when B's violation began after A's began and no later than ``within_s`` after A
    fired (B may begin before A fires: debris dropped while the dwell timer still runs), and,
    when ``max_distance_rel`` is set, B lies that close to A. Hits carry frame timestamps; hits
    from "the future" (before a backwards clock jump) are dropped, so a jump cannot fire.
    """

    def __init__(self, config: CompositionRuleConfig, ctx: BuildContext) -> None:
        self.rule_id = config.id
        self._config = config
        self._within = timedelta(seconds=config.within_s)
        self._time = SceneTime(ctx.scene.max_frame_gap_s)
        self._gate = FireGate(config.cooldown_s, 0.0, 0.0)
        self._firsts: deque[RuleHit] = deque(maxlen=_MAX_PENDING)
        self._thens: deque[RuleHit] = deque(maxlen=_MAX_PENDING)

    def consume(self, meta: FrameMeta, hits: Sequence[RuleHit]) -> list[RuleHit]:
        """Consume the hits of one frame; return composed hits."""
        t = self._time.tick(meta.timestamp)
        self._firsts.extend(h for h in hits if h.rule_id == self._config.first_rule_id)
        self._thens.extend(h for h in hits if h.rule_id == self._config.then_rule_id)
        self._prune(meta.timestamp)
        out: list[RuleHit] = []
        for first in list(self._firsts):
            then = self._match(first)
            if then is None:
                continue
            self._firsts.remove(first)
            view = _as_view(first)
            if self._gate.allow(view, t):
                self._gate.record(view, t)
                out.append(self._compose(first, then, meta.timestamp))
        self._gate.prune(t)
        return out

    def reset(self) -> None:
        """Forget pending hits."""
        self._firsts.clear()
        self._thens.clear()

    def _prune(self, now: datetime) -> None:
        keep_first = [
            h for h in self._firsts if h.detected_at <= now <= h.detected_at + self._within
        ]
        memory = max(self._within, timedelta(seconds=_THEN_MEMORY_S))
        keep_then = [h for h in self._thens if h.detected_at <= now <= h.detected_at + memory]
        self._firsts = deque(keep_first, maxlen=_MAX_PENDING)
        self._thens = deque(keep_then, maxlen=_MAX_PENDING)

    def _match(self, first: RuleHit) -> RuleHit | None:
        for then in self._thens:
            if not first.occurred_at <= then.occurred_at <= first.detected_at + self._within:
                continue
            if self._near(first, then):
                return then
        return None

    def _near(self, first: RuleHit, then: RuleHit) -> bool:
        limit = self._config.max_distance_rel
        if limit is None or first.anchor_rel is None or then.anchor_rel is None:
            return True
        return distance(first.anchor_rel, then.anchor_rel) <= limit

    def _compose(self, first: RuleHit, then: RuleHit, now: datetime) -> RuleHit:
        label = self._config.name or self._config.kind
        return RuleHit(
            rule_id=self.rule_id,
            category_code=self._config.category_code,
            occurred_at=first.occurred_at,
            detected_at=now,
            track_id=first.track_id,
            object_class=first.object_class,
            confidence=min(first.confidence, then.confidence),
            anchor_px=then.anchor_px,
            anchor_rel=then.anchor_rel,
            box_xyxy_px=then.box_xyxy_px,
            attributes={
                **first.attributes,
                "first_rule_id": first.rule_id,
                "then_rule_id": then.rule_id,
                "then_track_id": "" if then.track_id is None else str(then.track_id),
            },
            description=f"{label}: {first.description} then {then.description}",
        )


def _as_view(hit: RuleHit) -> ObjectView:
    """A minimal object view for the fire gate, keyed by the A hit's track (-1 when none)."""
    anchor = hit.anchor_rel or (0.0, 0.0)
    return ObjectView(
        index=-1,
        track_id=-1 if hit.track_id is None else hit.track_id,
        class_name=hit.object_class or "",
        confidence=hit.confidence,
        attributes={},
        anchor_px=hit.anchor_px or (0.0, 0.0),
        anchor_rel=anchor,
        box_xyxy_px=hit.box_xyxy_px or (0.0, 0.0, 0.0, 0.0),
    )
