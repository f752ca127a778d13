"""Road spillage: new static debris on a carrier's (truck's) path shortly after it passed."""

from __future__ import annotations

from collections import deque

from scenes.rule_config import SpillageRuleConfig
from scenes.rules.base import BuildContext, ObjectView, Point, view_matcher
from scenes.rules.geometry import distance, polyline_distance
from scenes.rules.presence import FrameContext, TrackRule
from scenes.rules.state import Episode

_MAX_PATH_POINTS = 512
_MEMORY_S = 900.0


class SpillageRule(TrackRule):
    """Fires once per debris track that is new, static and near a recent carrier path.

    A debris track is judged when it first appears: it is eligible only if a carrier's
    bottom-centre path came within ``near_rel`` of it during the ``within_s`` before; debris
    already lying there before any carrier passed is not spillage, nor is debris reappearing
    where debris was seen in the last 15 minutes (a truck occluding an old pile). It must then
    stay within ``max_move_rel`` of where it appeared for ``min_frames``.
    """

    def __init__(self, config: SpillageRuleConfig, ctx: BuildContext) -> None:
        super().__init__(config, ctx, config.zone_id)
        self._spill = config
        self._is_carrier = view_matcher(config.carrier_classes, {}, config.min_confidence)
        self._paths: dict[int, deque[tuple[float, Point]]] = {}
        self._debris_seen: dict[int, tuple[float, Point]] = {}
        self._old_spots: set[int] = set()

    def reset(self) -> None:
        """Forget episodes and carrier paths."""
        super().reset()
        self._paths.clear()
        self._debris_seen.clear()

    def _before(self, views: list[ObjectView], frame: FrameContext) -> None:
        self._remember_debris(views, frame.t)
        for view in views:
            if self._is_carrier(view):
                path = self._paths.setdefault(view.track_id, deque(maxlen=_MAX_PATH_POINTS))
                if path and path[-1][0] > frame.t:
                    path.clear()
                path.append((frame.t, view.anchor_rel))
        horizon_s = self._spill.within_s
        for track_id in [k for k, p in self._paths.items() if frame.t - p[-1][0] > horizon_s]:
            del self._paths[track_id]

    def _remember_debris(self, views: list[ObjectView], t: float) -> None:
        debris = [v for v in views if self._matches(v)]
        self._old_spots = {v.track_id for v in debris if self._seen_before(v.anchor_rel, t)}
        for view in debris:
            self._debris_seen[view.track_id] = (t, view.anchor_rel)
        memory_s = _MEMORY_S
        for track_id in [
            k for k, (ts, _) in self._debris_seen.items() if not 0 <= t - ts <= memory_s
        ]:
            del self._debris_seen[track_id]

    def _seen_before(self, point: Point, t: float) -> bool:
        radius = 2 * self._spill.max_move_rel
        return any(ts < t and distance(p, point) <= radius for ts, p in self._debris_seen.values())

    def _update(self, episode: Episode, view: ObjectView, frame: FrameContext, new: bool) -> None:
        if new:
            old_spot = view.track_id in self._old_spots
            carrier = None if old_spot else self._carrier_near(view.anchor_rel, frame.t)
            episode.eligible = carrier is not None
            if carrier is not None:
                episode.extra["carrier_track_id"] = str(carrier)
        elif distance(episode.origin_rel, view.anchor_rel) > self._spill.max_move_rel:
            episode.eligible = False

    def _carrier_near(self, point: Point, t: float) -> int | None:
        best: tuple[float, int] | None = None
        for track_id, path in self._paths.items():
            recent = [p for ts, p in path if t - self._spill.within_s <= ts <= t]
            gap = polyline_distance(point, recent)
            if gap <= self._spill.near_rel and (best is None or gap < best[0]):
                best = (gap, track_id)
        return None if best is None else best[1]

    def _ready(self, episode: Episode, t: float) -> bool:
        return bool(episode.eligible) and super()._ready(episode, t)
