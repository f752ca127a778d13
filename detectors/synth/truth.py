"""Ground truth of a scripted street: which muck-truck violations its actors commit, and when.

Derived from the keyframes and ground regions in metres only (never by running scene rules),
with margins: a behaviour close to a threshold (a truck grazing a zone border, a stop about as
long as the dwell, debris near but not on a truck's path) raises ``AmbiguousScriptError``, so a
golden script has no borderline cases. Anchors are the bottom-centre of an object's box, i.e.
its near end on the ground; the lateral error of that anchor is covered by ``MARGIN_X_M``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from detectors.synth.camera import StreetCamera
from detectors.synth.ground import GroundRect
from detectors.synth.video import Actor

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

KINDS: tuple[str, ...] = ("restricted", "uncovered", "speeding", "dumping", "spill")
DT_S = 0.05  # sampling step of the script
VIEW_NEAR_MARGIN_M = 0.5  # anchors nearer than the bottom row (plus this) are clipped
VIEW_FAR_M = 100.0
# A region is entered clearly when the anchor is this far inside it, avoided when it stays this
# far outside; in between is borderline.
MARGIN_X_M, MARGIN_Z_M = 1.0, 2.5
MIN_INSIDE_S = 1.5  # a clear presence lasts this long (rules need 3 frames: 0.6 s at 5 fps)
MIN_FAST_S = 2.5  # a clear speeding lasts this long (the speed rule needs a 0.9 s span)
FAST_FACTOR, SLOW_FACTOR = 1.4, 0.65  # of the limit: clearly speeding / clearly not
DWELL_MARGIN_S = 6.0  # stops this much longer / shorter than the dwell are clear
SPILL_AFTER_S = (0.3, 10.0)  # debris appearing this long after a truck drove over the spot
SPILL_ON_PATH_M = (1.0, 1.5)  # lateral, depth: the truck drove over the spot
NEAR_REL, FAR_REL = 0.04, 0.12  # image distances (relative units): on the path / clearly away
OLD_SPOT_REL, OLD_SPOT_MEMORY_S = 0.08, 960.0  # debris seen here before is not new
DUMP_NEAR_REL = 0.12  # dumped debris lies this close to the stopped truck (rule: 0.2)


class AmbiguousScriptError(ValueError):
    """The script contains a borderline behaviour: it cannot be a golden case."""


@dataclass(frozen=True)
class Regulation:
    """What the script is judged against; the scene pack under test must use the same values."""

    speed_limit_kmh: float = 40.0
    dump_dwell_s: float = 20.0
    dump_within_s: float = 600.0
    spill_within_s: float = 30.0


@dataclass(frozen=True)
class GoldenRegions:
    """Ground regions: the carriageway, a section closed to trucks and a no-dumping strip."""

    road: GroundRect
    restricted: GroundRect
    no_dump: GroundRect


@dataclass(frozen=True)
class ExpectedEvent:
    """One violation the script commits: kind, offender track and when it must be reported."""

    kind: str
    track_id: int
    earliest_s: float
    latest_s: float


@dataclass(frozen=True)
class _Track:
    """An actor sampled every ``DT_S``: times, near-end depth, whether its anchor is seen
    unclipped (``visible``) and whether any of it may be seen (``seen``, anchor clamped to the
    bottom row)."""

    actor: Actor
    t: FloatArray
    z: FloatArray
    visible: BoolArray
    seen: BoolArray
    z_anchor: FloatArray

    @property
    def x(self) -> float:
        return self.actor.obj.x_m

    @property
    def kind(self) -> str:
        return self.actor.obj.kind

    def inside(self, rect: GroundRect) -> BoolArray:
        """Anchor unclipped and inside ``rect``."""
        return np.asarray(self.visible & _within(rect, self.x, self.z))

    def maybe_inside(self, rect: GroundRect) -> BoolArray:
        """Possibly seen with its (clamped) anchor inside ``rect``."""
        return np.asarray(self.seen & _within(rect, self.x, self.z_anchor))


def _within(rect: GroundRect, x_m: float, z_m: FloatArray) -> BoolArray:
    inside_x = rect.x1_m <= x_m <= rect.x2_m
    return np.asarray(inside_x & (rect.z1_m <= z_m) & (z_m <= rect.z2_m))


def _sample(actor: Actor, cam: StreetCamera) -> _Track:
    times = [k[0] for k in actor.keys]
    t = np.arange(times[0], times[-1] + DT_S / 2, DT_S)
    z = np.interp(t, times, [k[1] for k in actor.keys])
    near = cam.near_depth_m
    visible = (z >= near + VIEW_NEAR_MARGIN_M) & (z <= VIEW_FAR_M)
    seen = (z + actor.obj.length_m >= near) & (z <= VIEW_FAR_M)
    return _Track(actor, t, z, visible, seen, np.maximum(z, near))


def _first_run(mask: BoolArray, seconds: float) -> int | None:
    """Index where ``mask`` first stays true for ``seconds``."""
    n = max(1, round(seconds / DT_S))
    sums = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    runs = np.flatnonzero(sums[n:] - sums[:-n] == n)
    return int(runs[0]) if runs.size else None


def _strict(rect: GroundRect) -> GroundRect:
    return rect.grown(-MARGIN_X_M, -MARGIN_Z_M)


def _loose(rect: GroundRect) -> GroundRect:
    return rect.grown(MARGIN_X_M, MARGIN_Z_M)


def _presence(track: _Track, rect: GroundRect, kind: str) -> ExpectedEvent | None:
    """Expected when the anchor stays well inside ``rect``; None when it never comes close."""
    loose = track.maybe_inside(_loose(rect))
    if not loose.any():
        return None
    start = _first_run(track.inside(_strict(rect)), MIN_INSIDE_S)
    if start is None:
        raise AmbiguousScriptError(f"{kind}: track {track.actor.track_id} grazes {rect}")
    earliest = float(track.t[int(np.argmax(loose))])
    return ExpectedEvent(kind, track.actor.track_id, earliest, float(track.t[start]) + MIN_INSIDE_S)


def _speeding(track: _Track, road: GroundRect, limit_kmh: float) -> ExpectedEvent | None:
    """Expected when the truck drives clearly over the limit on the road for ``MIN_FAST_S``;
    None when it never comes close to the limit."""
    if len(track.t) < 2:
        return None
    speed_kmh = np.abs(np.gradient(track.z, track.t)) * 3.6
    if float(speed_kmh.max()) <= SLOW_FACTOR * limit_kmh:
        return None
    fast = track.inside(_strict(road)) & (speed_kmh >= FAST_FACTOR * limit_kmh)
    start = _first_run(fast, MIN_FAST_S)
    if start is None:
        raise AmbiguousScriptError(f"speeding: track {track.actor.track_id} not clearly fast")
    loose = track.maybe_inside(_loose(road))
    earliest = float(track.t[int(np.argmax(loose))])
    return ExpectedEvent(
        "speeding", track.actor.track_id, earliest, float(track.t[start]) + MIN_FAST_S
    )


def _image_rel(cam: StreetCamera, x_m: float, z_m: FloatArray) -> FloatArray:
    """Relative image positions (N, 2) of ground points at lateral ``x_m``."""
    xyz = np.column_stack([np.full(len(z_m), x_m), np.zeros(len(z_m)), z_m])
    return cam.project(xyz) / np.array([cam.width_px, cam.height_px], dtype=np.float64)


def _gap_rel(cam: StreetCamera, track: _Track, mask: BoolArray, spot: tuple[float, float]) -> float:
    """Smallest image distance between ``track``'s anchor (where ``mask``) and a ground spot."""
    if not mask.any():
        return float("inf")
    path = _image_rel(cam, track.x, track.z_anchor[mask])
    point = _image_rel(cam, spot[0], np.array([spot[1]]))[0]
    return float(np.min(np.hypot(*(path - point).T)))


@dataclass(frozen=True)
class _Debris:
    track: _Track

    @property
    def appears_s(self) -> float:
        return float(self.track.t[0])

    @property
    def spot(self) -> tuple[float, float]:
        return (self.track.x, float(self.track.z[0]))


def _dumping(
    cam: StreetCamera, truck: _Track, debris: Sequence[_Debris], zone: GroundRect, reg: Regulation
) -> tuple[ExpectedEvent, int] | None:
    """Expected (with the dumped debris' track) when the truck stops well inside ``zone`` clearly
    longer than the dwell and new debris then appears in the zone next to it; None for short
    stops and stops elsewhere."""
    found: tuple[ExpectedEvent, int] | None = None
    for t0, z_stop in _long_stops(truck, zone, reg):
        fired_s = t0 + reg.dump_dwell_s
        window = (t0 - 10, fired_s + reg.dump_within_s + 30)
        near = [
            d
            for d in debris
            if window[0] <= d.appears_s <= window[1] and _loose(zone).contains(*d.spot)
        ]
        if not near:
            continue
        first = min(near, key=lambda d: d.appears_s)
        gap = _spot_gap_rel(cam, (truck.x, z_stop), first.spot)
        clear = (
            t0 + 1 <= first.appears_s <= fired_s + reg.dump_within_s - 30
            and _strict(zone).contains(*first.spot)
            and gap <= DUMP_NEAR_REL
        )
        if not clear or found is not None:
            raise AmbiguousScriptError(f"dumping: debris near track {truck.actor.track_id} unclear")
        fire_s = max(fired_s, first.appears_s)
        event = ExpectedEvent("dumping", truck.actor.track_id, fire_s - 1.0, fire_s + 1.5)
        found = (event, first.track.actor.track_id)
    return found


def _long_stops(truck: _Track, zone: GroundRect, reg: Regulation) -> list[tuple[float, float]]:
    """Stops ``(start_s, z_m)`` well inside ``zone`` and clearly longer than the dwell; short stops
    and stops elsewhere are left out, borderline ones raise."""
    out = []
    pairs = itertools.pairwise(truck.actor.keys)
    for (t0, z_stop), (t1, _) in [(a, b) for a, b in pairs if a[1] == b[1]]:
        short = t1 - t0 <= reg.dump_dwell_s - DWELL_MARGIN_S
        if short or not _loose(zone).contains(truck.x, z_stop):
            continue
        if t1 - t0 < reg.dump_dwell_s + DWELL_MARGIN_S or not _strict(zone).contains(
            truck.x, z_stop
        ):
            raise AmbiguousScriptError(f"dumping: track {truck.actor.track_id} stop is borderline")
        out.append((t0, z_stop))
    return out


def _spill(
    cam: StreetCamera,
    item: _Debris,
    trucks: Sequence[_Track],
    others: Sequence[_Debris],
    road: GroundRect,
    reg: Regulation,
) -> ExpectedEvent | None:
    """Expected when debris appears shortly after a truck drove over its spot and no debris lay
    there before; None when no truck came near it within the rule's memory, or it lies off the
    road."""
    t_d, spot = item.appears_s, item.spot
    if not _loose(road).contains(*spot):
        return None
    if not _strict(road).contains(*spot):
        raise AmbiguousScriptError(f"spill: debris {item.track.actor.track_id} on the road edge")
    recent = [(tr, _window(tr, t_d - SPILL_AFTER_S[1], t_d - SPILL_AFTER_S[0])) for tr in trucks]
    drove_over = any(
        abs(tr.x - spot[0]) <= SPILL_ON_PATH_M[0]
        and (when & (np.abs(tr.z - spot[1]) <= SPILL_ON_PATH_M[1])).any()
        and _gap_rel(cam, tr, when, spot) <= NEAR_REL
        for tr, when in recent
    )
    gap = min(
        (
            _gap_rel(cam, tr, _window(tr, t_d - reg.spill_within_s - 15, t_d, maybe=True), spot)
            for tr in trucks
        ),
        default=float("inf"),
    )
    old = any(
        o is not item
        and o.appears_s < t_d
        and float(o.track.t[-1]) >= t_d - OLD_SPOT_MEMORY_S
        and _spot_gap_rel(cam, o.spot, spot) <= OLD_SPOT_REL
        for o in others
    )
    if drove_over and not old:
        return ExpectedEvent("spill", item.track.actor.track_id, t_d, t_d + 1.5)
    if gap >= FAR_REL or (old and not drove_over):
        return None
    raise AmbiguousScriptError(f"spill: debris {item.track.actor.track_id} near a truck path")


def _window(track: _Track, t0: float, t1: float, *, maybe: bool = False) -> BoolArray:
    """Samples between ``t0`` and ``t1`` where ``track`` is visible (``maybe``: possibly seen)."""
    shown = track.seen if maybe else track.visible
    return np.asarray(shown & (track.t >= t0) & (track.t <= t1))


def _spot_gap_rel(cam: StreetCamera, a: tuple[float, float], b: tuple[float, float]) -> float:
    pa = _image_rel(cam, a[0], np.array([a[1]]))[0]
    pb = _image_rel(cam, b[0], np.array([b[1]]))[0]
    return float(np.hypot(*(pa - pb)))


def expected_events(
    cam: StreetCamera, actors: Sequence[Actor], regions: GoldenRegions, reg: Regulation
) -> list[ExpectedEvent]:
    """Every violation ``actors`` commit; raises ``AmbiguousScriptError`` on borderline cases."""
    tracks = [_sample(a, cam) for a in actors]
    trucks = [tr for tr in tracks if tr.kind == "truck"]
    debris = [_Debris(tr) for tr in tracks if tr.kind == "debris"]
    out: list[ExpectedEvent | None] = []
    dumped_debris: set[int] = set()
    for tr in trucks:
        out.append(_presence(tr, regions.restricted, "restricted"))
        if tr.actor.obj.load == "uncovered":
            out.append(_presence(tr, regions.road, "uncovered"))
        out.append(_speeding(tr, regions.road, reg.speed_limit_kmh))
        dumped = _dumping(cam, tr, debris, regions.no_dump, reg)
        if dumped is not None:
            out.append(dumped[0])
            dumped_debris.add(dumped[1])
    for item in debris:
        if item.track.actor.track_id not in dumped_debris:  # reported as dumping, not spillage
            out.append(_spill(cam, item, trucks, debris, regions.road, reg))
    return sorted((e for e in out if e is not None), key=lambda e: (e.earliest_s, e.kind))
