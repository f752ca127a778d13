"""Golden muck-truck scenarios on the demo street: a seeded cast whose violations are known.

Lanes 0-1 bring traffic towards the camera; lanes 2-3 take it away, past a no-dumping strip by
the kerb (lane 3, near) into a section closed to muck trucks (lanes 2-3, 30-70 m). The receding
side plays one "beat" at a time (a truck passing, spilling, stopping to dump, a car...), so beats
never interact; the approaching side carries independent traffic. Debris spots are fixed slots
far apart in the image, and debris that must not count as spillage is placed before any truck
has driven by. What each scenario must raise is derived from the script by ``truth``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from detectors.synth.camera import StreetCamera
from detectors.synth.ground import GroundPoint, GroundRect, image_polygon_rel, road_rect
from detectors.synth.objects import LOADS, RUBBLE, SceneObject, draw_object
from detectors.synth.scene import PAINT, Annotation, draw_objects
from detectors.synth.truth import (
    AmbiguousScriptError,
    ExpectedEvent,
    GoldenRegions,
    Regulation,
    expected_events,
)
from detectors.synth.video import DEMO_LAYOUT, Actor, Keys, demo_camera

ROAD_FAR_M = 80.0
Z_ENTER_M, Z_LEAVE_M = 5.0, 4.0  # just below the image: receding traffic enters, approaching leaves
Z_FAR_M = 95.0  # approaching traffic appears here
SLOW_FACTORS, FAST_FACTORS = (0.3, 0.6), (1.5, 1.8)  # of the speed limit
MAX_ATTEMPTS = 20
MIN_DEBRIS_SIDE_PX = 7.0  # labels need 5 px; keep debris clearly above that
_NO_CANVAS = np.zeros((1, 1, 3), dtype=np.float32)  # boxes only: nothing needs painting


def golden_regions(cam: StreetCamera) -> GoldenRegions:
    """The demo road, its closed section (lanes 2-3, 30-70 m) and no-dumping strip (lane 3)."""
    lane3 = DEMO_LAYOUT.lane_center_m(3)
    return GoldenRegions(
        road=road_rect(cam, DEMO_LAYOUT, ROAD_FAR_M),
        restricted=GroundRect(DEMO_LAYOUT.center_x_m, lane3 + 1.75, 30.0, 70.0),
        no_dump=GroundRect(lane3 - 1.75, lane3 + 3.25, 13.0, 22.0),
    )


def debris_slots() -> tuple[GroundPoint, ...]:
    """Where spilled or old debris may lie: >= 0.1 apart in the image, off the no-dump strip."""
    lane2, lane3 = DEMO_LAYOUT.lane_center_m(2), DEMO_LAYOUT.lane_center_m(3)
    return ((lane2, 15.0), (lane2, 17.5), (lane3, 26.0), (lane3, 33.0))


@dataclass(frozen=True)
class GoldenScenario:
    """A scripted street with the events it must raise."""

    seed: int
    camera: StreetCamera
    regions: GoldenRegions
    regulation: Regulation
    actors: tuple[Actor, ...]
    expected: tuple[ExpectedEvent, ...]

    @property
    def duration_s(self) -> float:
        """Until the last actor leaves."""
        return max(a.keys[-1][0] for a in self.actors)

    def zones_rel(self) -> dict[str, list[tuple[float, float]]]:
        """Zone polygons in relative image coordinates: ``road``, ``restricted``, ``no_dump``."""
        r = self.regions
        return {
            name: image_polygon_rel(self.camera, rect)
            for name, rect in (
                ("road", r.road),
                ("restricted", r.restricted),
                ("no_dump", r.no_dump),
            )
        }

    def annotations(
        self, t_s: float, canvas: npt.NDArray[np.float32] | None = None
    ) -> list[Annotation]:
        """Visible objects at ``t_s`` (drawn on ``canvas``, a blank one by default)."""
        cam = self.camera
        if canvas is None:
            canvas = np.zeros((cam.height_px, cam.width_px, 3), dtype=np.float32)
        present = [(a.track_id, o) for a in self.actors if (o := a.at(t_s)) is not None]
        return draw_objects(canvas, cam, [o for _, o in present], [k for k, _ in present])


def golden_scenario(seed: int, regulation: Regulation | None = None) -> GoldenScenario:
    """The golden scenario of ``seed`` on the 640x360 demo camera (deterministic); a script with
    a borderline case is redrawn, up to ``MAX_ATTEMPTS`` times. ``regulation.dump_dwell_s``
    must exceed 12 s (short stops last 3 s to the dwell minus 9 s)."""
    reg = regulation or Regulation()
    if reg.dump_dwell_s <= 12.0:
        raise ValueError("dump_dwell_s must exceed 12 s")
    cam = demo_camera(640, 360)
    regions = golden_regions(cam)
    for attempt in range(MAX_ATTEMPTS):
        actors = _Cast(np.random.default_rng([seed, attempt]), reg, cam).script()
        try:
            expected = expected_events(cam, actors, regions, reg)
        except AmbiguousScriptError:
            continue
        return GoldenScenario(seed, cam, regions, reg, tuple(actors), tuple(expected))
    raise AmbiguousScriptError(f"seed {seed}: no unambiguous script in {MAX_ATTEMPTS} attempts")


@dataclass
class _Cast:
    """Builds the actors of one script."""

    rng: np.random.Generator
    reg: Regulation
    cam: StreetCamera
    actors: list[Actor] = field(default_factory=list)
    spots: list[GroundPoint] = field(default_factory=list)
    far_exits: list[tuple[float, str | None]] = field(default_factory=list)

    def script(self) -> list[Actor]:
        """The receding side's beats one after another, then approaching traffic alongside."""
        self.spots = [debris_slots()[i] for i in self.rng.permutation(len(debris_slots()))]
        t = self._opening(0.0)
        for beat in self._beats():
            t = beat(t + float(self.rng.uniform(1.0, 3.0)))
        self._oncoming(t)
        return self.actors

    # Building blocks.
    def _add(
        self, kind: str, x_m: float, heading: int, keys: Keys, load: str | None = None
    ) -> Actor:
        length = self._uniform(7.5, 9.0) if kind == "truck" else self._uniform(4.0, 4.8)
        color = PAINT[self._pick(len(PAINT))]
        obj = SceneObject(kind, x_m, 0.0, heading, color, load, length, self._detail_seed())
        return self._append(obj, keys)

    def _append(self, obj: SceneObject, keys: Keys) -> Actor:
        actor = Actor(len(self.actors) + 1, obj, keys)
        self.actors.append(actor)
        return actor

    def _detail_seed(self) -> int:
        return int(self.rng.integers(2**31))

    def _uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def _pick(self, n: int) -> int:
        return int(self.rng.integers(n))

    def _truck_mps(self, fast: bool) -> float:
        low, high = FAST_FACTORS if fast else SLOW_FACTORS
        return self._uniform(low, high) * self.reg.speed_limit_kmh / 3.6

    def _load(self) -> str:
        return LOADS[self._pick(len(LOADS))]

    def _receding(self, kind: str, lane: int, t0: float, mps: float, z_end: float) -> Actor:
        keys = ((t0, Z_ENTER_M), (t0 + (z_end - Z_ENTER_M) / mps, z_end))
        load = self._load() if kind == "truck" else None
        return self._add(kind, DEMO_LAYOUT.lane_center_m(lane), 1, keys, load)

    def _debris(self, spot: GroundPoint, t0: float, t1: float) -> Actor:
        """A pile lying at ``spot`` from ``t0`` to ``t1``, drawn large enough to be labelled."""
        color = RUBBLE[self._pick(len(RUBBLE))]
        x = spot[0] + self._uniform(-0.3, 0.3)
        for _ in range(MAX_ATTEMPTS):
            size = self._uniform(1.5, 2.5)
            obj = SceneObject("debris", x, spot[1], 0, color, None, size, self._detail_seed())
            x1, y1, x2, y2 = draw_object(_NO_CANVAS.copy(), self.cam, obj)
            if min(x2 - x1, y2 - y1) >= MIN_DEBRIS_SIDE_PX:
                break
        return self._append(obj, ((t0, spot[1]), (t1, spot[1])))

    def _through_truck(self, lane: int, t0: float) -> Actor:
        fast = bool(self.rng.random() < 0.4)
        truck = self._receding("truck", lane, t0, self._truck_mps(fast), 85.0 if fast else 60.0)
        if fast:
            self.far_exits.append((truck.keys[-1][0], truck.obj.load))
        return truck

    # Beats of the receding side: each starts at ``t0`` and returns when the side is free again.
    def _opening(self, t0: float) -> float:
        """Debris lying from the start and, often, debris dropped behind a car; then a truck
        drives over the old pile. No truck came by before either appeared: neither is spillage."""
        old_spot = self.spots.pop()
        t_truck, end = t0 + self._uniform(2.0, 5.0), t0
        if self.rng.random() < 0.7:
            spot = self.spots.pop()
            car = self._receding("car", _lane_of(spot), t0, self._uniform(25, 45) / 3.6, 85.0)
            t_drop = _time_at(car, spot[1] + 3.0) + self._uniform(1.0, 3.0)
            end = self._debris(spot, t_drop, t_drop + self._uniform(8.0, 12.0)).keys[-1][0]
            t_truck = max(t_drop + 1.0, _time_at(car, 75.0))
        truck = self._through_truck(_lane_of(old_spot), t_truck)
        t_clean = _time_at(truck, old_spot[1] + 10.0) + self._uniform(2.0, 5.0)
        self._debris(old_spot, t0, t_clean)
        return max(end, t_clean, truck.keys[-1][0])

    def _beats(self) -> list[Callable[[float], float]]:
        """Spills, passing trucks and cars in random order, with the dumping beats among them in
        order (the second never leaves debris, so no debris can be blamed on an earlier long
        stop that left none)."""
        n_spill = min(len(self.spots), 1 + self._pick(2))
        others: list[Callable[[float], float]] = [self._spill] * n_spill
        others += [self._passing] * (2 + self._pick(2)) + [self._car] * self._pick(2)
        dumps = self._dump_plan()
        total = len(others) + len(dumps)
        at = set(self.rng.choice(total, len(dumps), replace=False).tolist())
        shuffled = [others[i] for i in self.rng.permutation(len(others))]
        return [dumps.pop(0) if i in at else shuffled.pop() for i in range(total)]

    def _dump_plan(self) -> list[Callable[[float], float]]:
        first = self._pick(5)  # 0-2: long stop + debris, 3: short stop + debris, 4: long alone
        plan = [self._dumping(long=first != 3, debris=first != 4)]
        if self.rng.random() < 0.6:
            plan.append(self._dumping(long=bool(self.rng.random() < 0.5), debris=False))
        return plan

    def _spill(self, t0: float) -> float:
        """A truck drives over a spot and debris appears there right after."""
        spot = self.spots.pop()
        truck = self._through_truck(_lane_of(spot), t0)
        t_drop = _time_at(truck, spot[1] + 3.0) + self._uniform(0.5, 4.0)
        pile = self._debris(spot, t_drop, t_drop + self._uniform(8.0, 12.0))
        return max(truck.keys[-1][0], pile.keys[-1][0])

    def _passing(self, t0: float) -> float:
        """A truck through the closed section, or a slow one turning off well before it."""
        lane = 2 + self._pick(2)
        if self.rng.random() < 0.3:
            mps = self._uniform(0.3, 0.4) * self.reg.speed_limit_kmh / 3.6
            return self._receding("truck", lane, t0, mps, 24.0).keys[-1][0]
        return self._through_truck(lane, t0).keys[-1][0]

    def _car(self, t0: float) -> float:
        """A car through the closed section (cars may use it)."""
        car = self._receding("car", 2 + self._pick(2), t0, self._uniform(25, 50) / 3.6, 85.0)
        return car.keys[-1][0]

    def _dumping(self, *, long: bool, debris: bool) -> Callable[[float], float]:
        def beat(t0: float) -> float:
            lane3, mps = DEMO_LAYOUT.lane_center_m(3), self._truck_mps(False)
            z_stop, dwell = self._uniform(15.5, 17.5), self.reg.dump_dwell_s
            stop = dwell + self._uniform(8.0, 14.0) if long else self._uniform(3.0, dwell - 9.0)
            t_a = t0 + (z_stop - Z_ENTER_M) / mps
            t_b = t_a + stop
            keys = (
                (t0, Z_ENTER_M),
                (t_a, z_stop),
                (t_b, z_stop),
                (t_b + (60 - z_stop) / mps, 60.0),
            )
            end = self._add("truck", lane3, 1, keys, self._load()).keys[-1][0]
            if debris:
                t_drop = t_b + self._uniform(2.0, 3.5)
                spot = (lane3, z_stop + self._uniform(0.3, 1.0))
                end = max(
                    end, self._debris(spot, t_drop, t_drop + self._uniform(10, 14)).keys[-1][0]
                )
            return end

        return beat

    def _oncoming(self, until_s: float) -> None:
        """Approaching traffic in lanes 0-1, one vehicle per lane at a time. In lane 1 a truck
        with the same load often appears far off just as a fast receding truck vanishes there:
        near the horizon the two are a few pixels apart, yet each must be judged on its own."""
        meets = [
            (t + self._uniform(0.2, 1.5), load)
            for t, load in self.far_exits
            if self.rng.random() < 0.6
        ]
        for lane, fixed in ((0, []), (1, meets)):
            t = self._uniform(0.0, 4.0)
            while t < until_s - 5.0:
                fixed = [m for m in fixed if m[0] >= t]
                kind, mps = self._oncoming_kind()
                load = self._load() if kind == "truck" else None
                if fixed and t + (Z_FAR_M - Z_LEAVE_M) / mps + 1.0 > fixed[0][0]:
                    (t, load), kind = fixed.pop(0), "truck"
                    mps = self._truck_mps(bool(self.rng.random() < 0.5))
                keys = ((t, Z_FAR_M), (t + (Z_FAR_M - Z_LEAVE_M) / mps, Z_LEAVE_M))
                actor = self._add(kind, DEMO_LAYOUT.lane_center_m(lane), -1, keys, load)
                t = actor.keys[-1][0] + self._uniform(1.0, 6.0)

    def _oncoming_kind(self) -> tuple[str, float]:
        if self.rng.random() < 0.6:
            return "truck", self._truck_mps(bool(self.rng.random() < 0.4))
        return "car", self._uniform(30, 55) / 3.6


def _lane_of(spot: GroundPoint) -> int:
    centres = [DEMO_LAYOUT.lane_center_m(k) for k in range(DEMO_LAYOUT.lanes)]
    return int(np.argmin([abs(spot[0] - c) for c in centres]))


def _time_at(actor: Actor, z_m: float) -> float:
    """When a monotonically moving actor's near end reaches ``z_m``."""
    times, depths = [k[0] for k in actor.keys], [k[1] for k in actor.keys]
    if depths[0] > depths[-1]:
        times, depths = times[::-1], depths[::-1]
    return float(np.interp(z_m, depths, times))
