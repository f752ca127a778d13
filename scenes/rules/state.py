"""Hysteresis building blocks: per-track episodes (with exit grace and id-switch adoption) and a
fire gate (one event per track per cooldown, including across tracker id switches).

An id switch is a guess, made when a new id appears where a lost one vanished, and it is undone
when the frame proves it wrong: the lost id is back beside its heir, or a later newcomer that
fits the lost id's last box better stands beside it. Both happen when a truck drives in front
of a parked one and the tracker loses the parked one behind it: the passing truck is not the
parked one and must be judged on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
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
    donor: int | None = None
    """The id this episode was adopted from (an id-switch guess)."""

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
        best.donor, best.track_id = best.track_id, view.track_id
        self._by_track[view.track_id] = best
        return best

    def disown(self, heirs: Collection[int], present: Collection[int]) -> None:
        """Take adopted episodes from ``heirs``, whose id switch was disproved: each heir starts
        its own episode; a donor that is back gets its episode again."""
        for heir in heirs:
            episode = self._by_track.get(heir)
            if episode is None or episode.donor is None:
                continue
            del self._by_track[heir]
            donor, episode.donor = episode.donor, None
            if donor in present and donor not in self._by_track:
                episode.track_id = donor
                self._by_track[donor] = episode

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
    heritage: _Heritage | None = None


@dataclass(frozen=True)
class _Heritage:
    """An id-switch guess: the id inherited from and how well the heir's first box fitted the
    donor's last one (IoU)."""

    donor: int
    fit: float


class FireGate:
    """Allows one event per track per ``cooldown_s``.

    A track id never seen before that appears within ``switch_window_s`` of a fired track
    vanishing, within ``switch_radius_rel`` of where it was last seen, overlapping its last box
    and with the same class, is an id switch: the new id inherits the fired track's cooldown.
    (The box overlap keeps the test scale-aware: near the horizon, where everything converges,
    another vehicle appearing a few pixels from a vanished one is not taken for it.) The
    inheritance is revoked when the vanished id, or a better-fitting newcomer, shows up beside
    the heir (``seen`` returns those heirs).
    """

    def __init__(self, cooldown_s: float, switch_radius_rel: float, switch_window_s: float) -> None:
        self._cooldown_s = cooldown_s
        self._radius = switch_radius_rel
        self._window_s = switch_window_s
        self._fired: dict[int, _Fired] = {}
        self._last_seen: dict[int, float] = {}

    def seen(self, views: Iterable[ObjectView], t: float) -> set[int]:
        """Note the tracks of this frame: detect id switches, refresh fired tracks' positions;
        return the heirs whose inherited cooldown this frame disproved."""
        views = list(views)
        present = {v.track_id for v in views}
        for view in views:
            if view.track_id not in self._last_seen:
                donor = self._switch_donor(view, t, present)
                if donor is not None:
                    self._fired[view.track_id] = _inherit(view, t, *donor)
            self._last_seen[view.track_id] = t
            record = self._fired.get(view.track_id)
            if record is not None:
                record.seen_t, record.anchor_rel = t, view.anchor_rel
                record.box_px = view.box_xyxy_px
        for track_id in [k for k, ts in self._last_seen.items() if t - ts > self._window_s]:
            del self._last_seen[track_id]
        heirs = {k: r.heritage for k, r in self._fired.items() if r.heritage is not None}
        disproved = _disproved(heirs, {v.track_id: v.box_xyxy_px for v in views})
        for heir in disproved:
            del self._fired[heir]
        return disproved

    def allow(self, view: ObjectView, t: float) -> bool:
        """True when ``view``'s track is not cooling down."""
        record = self._fired.get(view.track_id)
        return record is None or t - record.fired_t >= self._cooldown_s

    def _switch_donor(
        self, view: ObjectView, t: float, present: set[int]
    ) -> tuple[int, _Fired] | None:
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
                return track_id, record
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
_APART_MAX_COVER = 0.5  # a box half inside another may be a part of the same object


def _inherit(view: ObjectView, t: float, donor: int, record: _Fired) -> _Fired:
    heritage = _Heritage(donor, box_iou(record.box_px, view.box_xyxy_px))
    box = view.box_xyxy_px
    return _Fired(record.fired_t, t, view.anchor_rel, view.class_name, box, heritage)


def _disproved(heirs: Mapping[int, _Heritage], boxes: Mapping[int, Box]) -> set[int]:
    """Heirs standing apart from their donor, or from a co-heir that fits the donor better:
    two ids seen side by side are two objects, and only one can be the donor."""
    out = set()
    for heir, h in heirs.items():
        rivals = [h.donor] + [
            k for k, o in heirs.items() if k != heir and o.donor == h.donor and o.fit > h.fit
        ]
        if any(_apart(boxes, heir, rival) for rival in rivals):
            out.add(heir)
    return out


def _apart(boxes: Mapping[int, Box], a: int, b: int) -> bool:
    """Both ids are in this frame, neither box mostly inside the other: two objects, not the
    duplicate or partial boxes a detector sometimes puts on one truck."""
    if a not in boxes or b not in boxes:
        return False
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = boxes[a], boxes[b]
    inter = max(0.0, min(ax2, bx2) - max(ax1, bx1)) * max(0.0, min(ay2, by2) - max(ay1, by1))
    smaller = min((ax2 - ax1) * (ay2 - ay1), (bx2 - bx1) * (by2 - by1))
    return inter < _APART_MAX_COVER * smaller


def _same_object(anchor_rel: Point, box_px: Box, view: ObjectView, radius: float) -> bool:
    if not boxes_overlap(box_px, view.box_xyxy_px):
        return False
    return (
        distance(anchor_rel, view.anchor_rel) <= radius or box_iou(box_px, view.box_xyxy_px) >= 0.3
    )
