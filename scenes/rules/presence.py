"""Per-track rules built on one template: zone presence, attribute condition and dwell."""

from __future__ import annotations

from dataclasses import dataclass

from detectors.detections import Detections
from scenes.rule_config import (
    AttributeRuleConfig,
    DwellRuleConfig,
    ObjectRuleConfig,
    ZonePresenceRuleConfig,
)
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
from scenes.rules.geometry import ZoneShape, distance
from scenes.rules.state import Episode, Episodes, FireGate

_MIN_SWITCH_WINDOW_S = 2.0


@dataclass(frozen=True)
class FrameContext:
    """The frame being judged: metadata, rule time and the track ids present."""

    meta: FrameMeta
    t: float
    present: set[int]


class TrackRule:
    """Template for rules that judge tracked objects one by one.

    Per frame: keep tracked objects of the wanted classes/attributes/confidence, keep those inside
    the zone and meeting ``_condition``, extend their episodes, and fire once per episode when
    ``_ready``, subject to the fire gate (cooldown per track, id-switch suppression).
    Untracked objects (``tracker_id`` -1) are ignored.
    """

    def __init__(self, config: ObjectRuleConfig, ctx: BuildContext, zone_id: str | None) -> None:
        self.rule_id = config.id
        self._config = config
        self._matches = view_matcher(
            config.object_classes, config.attributes, config.min_confidence
        )
        self._zone = ZoneShape(ctx.scene.zone(zone_id).polygon) if zone_id else None
        self._time = SceneTime(ctx.scene.max_frame_gap_s)
        self._episodes = Episodes(config.exit_grace_s, config.id_switch_radius_rel)
        self._gate = FireGate(
            config.cooldown_s,
            config.id_switch_radius_rel,
            max(config.exit_grace_s, _MIN_SWITCH_WINDOW_S),
        )

    def step(self, meta: FrameMeta, detections: Detections) -> list[RuleHit]:
        """Consume one frame; return the hits that fired on it."""
        t = self._time.tick(meta.timestamp)
        views = [v for v in object_views(meta, detections) if v.track_id >= 0]
        frame = FrameContext(meta, t, {v.track_id for v in views})
        self._episodes.expire(t)
        self._gate.prune(t)
        disproved = self._gate.seen(views, t)
        self._episodes.disown(disproved, frame.present)
        self._before(views, frame)
        return [hit for v in self._candidates(views, t) if (hit := self._observe(v, frame))]

    def reset(self) -> None:
        """Forget ongoing episodes; cooldowns stay."""
        self._episodes.clear()

    def _candidates(self, views: list[ObjectView], t: float) -> list[ObjectView]:
        wanted = [v for v in views if self._matches(v)]
        if self._zone is not None and wanted:
            inside = self._zone.contains(anchors_rel(wanted))
            wanted = [v for v, ok in zip(wanted, inside, strict=True) if ok]
        return [v for v in wanted if self._condition(v, t)]

    def _observe(self, view: ObjectView, frame: FrameContext) -> RuleHit | None:
        episode, new = self._episodes.observe(view, frame.t, frame.meta.timestamp, frame.present)
        self._update(episode, view, frame, new)
        if episode.fired or not self._ready(episode, frame.t):
            return None
        episode.fired = True
        if not self._gate.allow(view, frame.t):
            return None
        self._gate.record(view, frame.t)
        return self._hit(episode, view, frame)

    def _hit(self, episode: Episode, view: ObjectView, frame: FrameContext) -> RuleHit:
        attributes = {**view.attributes, **episode.extra, **self._hit_attributes(episode, frame)}
        label = self._config.name or self._config.kind
        return RuleHit(
            rule_id=self.rule_id,
            category_code=self._config.category_code,
            occurred_at=episode.started_at,
            detected_at=frame.meta.timestamp,
            track_id=view.track_id,
            object_class=view.class_name,
            confidence=view.confidence,
            anchor_px=view.anchor_px,
            anchor_rel=view.anchor_rel,
            box_xyxy_px=view.box_xyxy_px,
            attributes=attributes,
            description=f"{label}: {view.class_name} #{view.track_id}",
        )

    # Hooks for subclasses.
    def _before(self, views: list[ObjectView], frame: FrameContext) -> None:
        """Look at every tracked object before candidates are judged."""

    def _condition(self, view: ObjectView, t: float) -> bool:
        """Extra per-object condition beyond class, attributes and zone."""
        return True

    def _update(self, episode: Episode, view: ObjectView, frame: FrameContext, new: bool) -> None:
        """Adjust an episode after it was extended or opened."""

    def _ready(self, episode: Episode, t: float) -> bool:
        if episode.frames >= self._config.min_frames:
            return True
        held_s = self._config.min_seconds
        return held_s is not None and episode.frames >= 2 and t - episode.start_t >= held_s

    def _hit_attributes(self, episode: Episode, frame: FrameContext) -> dict[str, str]:
        return {}


class PresenceRule(TrackRule):
    """Object of a class (with attributes) inside a zone, or anywhere, for ``min_frames``."""

    def __init__(
        self, config: ZonePresenceRuleConfig | AttributeRuleConfig, ctx: BuildContext
    ) -> None:
        super().__init__(config, ctx, config.zone_id)


class DwellRule(TrackRule):
    """Object staying (stationary unless ``max_move_rel`` is null) in a zone for ``dwell_s``."""

    def __init__(self, config: DwellRuleConfig, ctx: BuildContext) -> None:
        super().__init__(config, ctx, config.zone_id)
        self._dwell_s = config.dwell_s
        self._max_move_rel = config.max_move_rel

    def _update(self, episode: Episode, view: ObjectView, frame: FrameContext, new: bool) -> None:
        if new or self._max_move_rel is None:
            return
        if distance(episode.origin_rel, view.anchor_rel) > self._max_move_rel:
            episode.restart(view, frame.t, frame.meta.timestamp)
            episode.fired = False

    def _ready(self, episode: Episode, t: float) -> bool:
        return super()._ready(episode, t) and t - episode.start_t >= self._dwell_s

    def _hit_attributes(self, episode: Episode, frame: FrameContext) -> dict[str, str]:
        return {"dwell_s": f"{frame.t - episode.start_t:.0f}"}
