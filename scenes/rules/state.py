"""Hysteresis building blocks: per-track episodes (with exit grace and id-switch adoption) and a
fire gate (one event per track per cooldown, including across tracker id switches)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from scenes.rules.base import Box, ObjectView, Point
from scenes.rules.geometry import box_iou, boxes_overlap, distance


@dataclass
class Episode:
    """A run of frames in which one track satisfied a rule's condition."""

    track_id: int
    class_name: str
    start_t: float
    started_at: datetime
    last_t: float
    origin_rel: Point
    last: ObjectView
    frames: int = 1
    fired: bool = False
    eligible: bool | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def restart(self, view: ObjectView, t: float, at: datetime) -> None:
        """Start over from this frame (e.g. a parked car moved)."""
        self.start_t, self.started_at, self.last_t = t, at, t
        self.origin_rel, self.last, self.frames = view.anchor_rel, view, 1


class Episodes:
    """Episodes keyed by track id; an episode survives ``exit_grace_s`` of absence."""

    def __init__(self, exit_grace_s: float, switch_radius_rel: float) -> None:
        self._grace_s = exit_grace_s
        self._radius = switch_radius_rel
        self._by_track: dict[int, Episode] = {}

    def __len__(self) -> int:
        return len(self._by_track)

    def observe(
        self, view: ObjectView, t: float, at: datetime, present: set[int]
    ) -> tuple[Episode, bool]:
        """Continue, adopt or open the episode of ``view``; return it and whether it is new."""
        episode = self._by_track.get(view.track_id)
        if episode is None:
            episode = self._adopt(view, present)
        if episode is None:
            episode = Episode(view.track_id, view.class_name, t, at, t, view.anchor_rel, view)
            self._by_track[view.track_id] = episode
            return episode, True
        if episode.last_t < t:
            episode.frames += 1
        episode.last_t, episode.last = t, view
        return episode, False

    def _adopt(self, view: ObjectView, present: set[int]) -> Episode | None:
        """Hand a just-lost track's episode to a new id appearing where it vanished."""
        if self._radius <= 0:
            return None
        candidates = [
            ep
            for ep in self._by_track.values()
            if ep.track_id not in present
            and ep.class_name == view.class_name
            and _same_object(ep.last.anchor_rel, ep.last.box_xyxy_px, view, self._radius)
        ]
        if not candidates:
            return None
        best = min(candidates, key=lambda ep: distance(ep.last.anchor_rel, view.anchor_rel))
        del self._by_track[best.track_id]
        best.track_id = view.track_id
        self._by_track[view.track_id] = best
        return best

    def expire(self, t: float) -> list[Episode]:
        """Close episodes unseen for longer than the grace; return them."""
        gone = [ep for ep in self._by_track.values() if t - ep.last_t > self._grace_s]
        for ep in gone:
            del self._by_track[ep.track_id]
        return gone

    def clear(self) -> None:
        """Forget every episode."""
        self._by_track.clear()


@dataclass
class _Fired:
    fired_t: float
    seen_t: float
    anchor_rel: Point
    class_name: str
    box_px: Box


class FireGate:
    """Allows one event per track per ``cooldown_s``.

    A track id never seen before that appears within ``switch_window_s`` of a fired track
    vanishing, within ``switch_radius_rel`` of where it was last seen, overlapping its last box
    and with the same class, is an id switch: the new id inherits the fired track's cooldown.
    (The box overlap keeps the test scale-aware: near the horizon, where everything converges,
    another vehicle appearing a few pixels from a vanished one is not taken for it.)
    """

    def __init__(self, cooldown_s: float, switch_radius_rel: float, switch_window_s: float) -> None:
        self._cooldown_s = cooldown_s
        self._radius = switch_radius_rel
        self._window_s = switch_window_s
        self._fired: dict[int, _Fired] = {}
        self._last_seen: dict[int, float] = {}

    def seen(self, views: Iterable[ObjectView], t: float) -> None:
        """Note the tracks of this frame: detect id switches, refresh fired tracks' positions."""
        views = list(views)
        present = {v.track_id for v in views}
        for view in views:
            if view.track_id not in self._last_seen:
                donor = self._switch_donor(view, t, present)
                if donor is not None:
                    inherited = _Fired(
                        donor.fired_t, t, view.anchor_rel, view.class_name, view.box_xyxy_px
                    )
                    self._fired[view.track_id] = inherited
            self._last_seen[view.track_id] = t
            record = self._fired.get(view.track_id)
            if record is not None:
                record.seen_t, record.anchor_rel = t, view.anchor_rel
                record.box_px = view.box_xyxy_px
        for track_id in [k for k, ts in self._last_seen.items() if t - ts > self._window_s]:
            del self._last_seen[track_id]

    def allow(self, view: ObjectView, t: float) -> bool:
        """True when ``view``'s track is not cooling down."""
        record = self._fired.get(view.track_id)
        return record is None or t - record.fired_t >= self._cooldown_s

    def _switch_donor(self, view: ObjectView, t: float, present: set[int]) -> _Fired | None:
        if self._radius <= 0:
            return None
        for track_id, record in self._fired.items():
            if (
                track_id not in present
                and record.class_name == view.class_name
                and t - record.seen_t <= self._window_s
                and t - record.fired_t < self._cooldown_s
                and _same_object(record.anchor_rel, record.box_px, view, self._radius)
            ):
                return record
        return None

    def record(self, view: ObjectView, t: float) -> None:
        """Remember that ``view``'s track fired at ``t``."""
        self._fired[view.track_id] = _Fired(
            t, t, view.anchor_rel, view.class_name, view.box_xyxy_px
        )
        self._last_seen[view.track_id] = t

    def prune(self, t: float) -> None:
        """Drop records that can no longer block anything."""
        stale = [k for k, r in self._fired.items() if t - r.fired_t >= self._cooldown_s]
        for k in stale:
            del self._fired[k]


_SWITCH_MIN_IOU = 0.3  # a fast mover's lost and new boxes still overlap this much


def _same_object(anchor_rel: Point, box_px: Box, view: ObjectView, radius: float) -> bool:
    if not boxes_overlap(box_px, view.box_xyxy_px):
        return False
    return (
        distance(anchor_rel, view.anchor_rel) <= radius or box_iou(box_px, view.box_xyxy_px) >= 0.3
    )
