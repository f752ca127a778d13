"""Runs golden muck-truck scenarios through the scene engine and scores the events it raises.

Imported as a top-level module (like ``scenes_fakes``). Frames are the renderer's exact labels,
drawn on a 1x1 canvas (labels come from the camera geometry, not the pixels), optionally
perturbed the way a real detector and tracker would be.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from shapely.geometry import Point, Polygon

from core.clock import ManualClock
from detectors.detections import Detections
from detectors.synth.ground import project_ground
from detectors.synth.objects import CLASS_NAMES
from detectors.synth.scenarios import GoldenScenario, golden_scenario
from detectors.synth.scene import Annotation
from detectors.synth.truth import ExpectedEvent
from gis.calibration import CameraCalibration
from gis.datums import LocalProjection
from scenes.config import SceneConfig, Zone
from scenes.engine import SceneEngine
from scenes.packs import muck_truck_pack
from scenes.rules.base import FrameMeta

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
FPS = 5.0
ORIGIN = (114.0550, 22.5420)  # where the synthetic camera stands (WGS84)
CATEGORY = {
    "restricted": "MT_RESTRICTED",
    "uncovered": "MT_UNSEALED",
    "speeding": "MT_SPEEDING",
    "dumping": "MT_DUMPING",
    "spill": "MT_SPILL",
}
KIND_OF = {code: kind for kind, code in CATEGORY.items()}
NAMES = dict(enumerate(CLASS_NAMES))
SWITCHED_ID_OFFSET = 100_000

Frame = tuple[float, list[Annotation]]


@dataclass(frozen=True)
class Fired:
    """One event, by rule kind, with the ground-truth actor it is about."""

    kind: str
    actor: int
    reported_id: int
    t_s: float
    anchor_px: tuple[float, float] | None


@functools.cache
def golden_frames(seed: int, fps: float = FPS) -> tuple[GoldenScenario, tuple[Frame, ...]]:
    """The scenario of ``seed`` and its exact labels at ``fps`` (cached: shared by tests)."""
    scenario = golden_scenario(seed)
    canvas = np.zeros((1, 1, 3), dtype=np.float32)
    n = int(scenario.duration_s * fps) + 1
    return scenario, tuple((i / fps, scenario.annotations(i / fps, canvas)) for i in range(n))


class CalibratedGround:
    """A ``CameraCalibration`` as the scenes' one-pixel ``GroundMapper`` (as the API wires it)."""

    def __init__(self, calibration: CameraCalibration) -> None:
        self.calibration = calibration

    def to_ground(self, px: tuple[float, float]) -> tuple[float, float]:
        """WGS84 (lon, lat) of one pixel."""
        lonlat = self.calibration.to_ground([px])[0]
        return float(lonlat[0]), float(lonlat[1])


def calibration(scenario: GoldenScenario) -> CameraCalibration:
    """The camera's pixel -> WGS84 mapping, fitted from road points as a surveyor would."""
    road = scenario.regions.road
    points_m = [*road.corners_m, (road.x1_m, 30.0), (road.x2_m, 30.0)]
    proj = LocalProjection.around(*ORIGIN)
    x0, y0 = (float(v) for v in proj.to_metres(*ORIGIN))
    lons, lats = proj.to_lonlat([x0 + x for x, _ in points_m], [y0 + z for _, z in points_m])
    world = list(zip(lons.tolist(), lats.tolist(), strict=True))
    return CameraCalibration.fit(project_ground(scenario.camera, points_m), world)


def golden_scene(scenario: GoldenScenario) -> SceneConfig:
    """The muck-truck pack on the scenario's zones, with its regulation."""
    reg = scenario.regulation
    rules = muck_truck_pack(
        restricted_zone_id="restricted",
        road_zone_id="road",
        no_dump_zone_id="no_dump",
        calibrated=True,
        speed_limit_kmh=reg.speed_limit_kmh,
        dump_dwell_s=reg.dump_dwell_s,
    )
    zones = [Zone(id=name, polygon=poly) for name, poly in scenario.zones_rel().items()]
    return SceneConfig(id="golden", camera_id="golden-cam", zones=zones, rules=rules)


def detections(annotations: Sequence[Annotation]) -> Detections:
    """Labels as tracked detections, with the truck ``load`` attribute."""
    if not annotations:
        return Detections.empty(NAMES)
    return Detections.from_arrays(
        [a.xyxy_px for a in annotations],
        [0.9] * len(annotations),
        [CLASS_NAMES.index(a.class_name) for a in annotations],
        NAMES,
        [a.track_id for a in annotations],
        [{"load": a.load} if a.load else {} for a in annotations],
    )


def run_engine(scenario: GoldenScenario, frames: Sequence[Frame]) -> list[Fired]:
    """Every event the engine emits over ``frames``, mapped back to ground-truth actors."""
    ground = CalibratedGround(calibration(scenario))
    engine = SceneEngine(golden_scene(scenario), ground=ground, clock=ManualClock(T0))
    size = (scenario.camera.width_px, scenario.camera.height_px)
    fired = []
    for i, (t_s, anns) in enumerate(frames):
        meta = FrameMeta("golden-cam", i, T0 + timedelta(seconds=t_s), size)
        for hit in engine.evaluate(meta, detections(anns)):
            reported = hit.event.track_id if hit.event.track_id is not None else -1
            actor = reported % SWITCHED_ID_OFFSET
            kind = KIND_OF[hit.event.category_code]
            fired.append(Fired(kind, actor, reported, t_s, hit.event.anchor_px))
    return fired


@dataclass
class Score:
    """Events against expectations, per rule kind."""

    expected: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)
    fired: Counter[str] = field(default_factory=Counter)
    missing: list[ExpectedEvent] = field(default_factory=list)
    extra: list[Fired] = field(default_factory=list)
    repeated: list[Fired] = field(default_factory=list)
    out_of_window: list[tuple[Fired, ExpectedEvent]] = field(default_factory=list)

    def precision(self, kind: str) -> float:
        """Matched / fired (1.0 when nothing fired)."""
        return self.matched[kind] / self.fired[kind] if self.fired[kind] else 1.0

    def recall(self, kind: str) -> float:
        """Matched / expected (1.0 when nothing was expected)."""
        return self.matched[kind] / self.expected[kind] if self.expected[kind] else 1.0

    def problems(self) -> list[str]:
        """Human lines naming every miss, extra, repeat and out-of-window event."""
        lines = [f"missing {_expected(e)}" for e in self.missing]
        lines += [f"extra {_fired(f)}" for f in self.extra]
        lines += [f"repeated {_fired(f)}" for f in self.repeated]
        lines += [f"{_fired(f)} outside {_expected(e)}" for f, e in self.out_of_window]
        return lines


def _expected(e: ExpectedEvent) -> str:
    return f"{e.kind} #{e.track_id} in [{e.earliest_s:.1f}, {e.latest_s:.1f}] s"


def _fired(f: Fired) -> str:
    return f"{f.kind} #{f.actor} (reported id {f.reported_id}) at {f.t_s:.1f} s"


def score(expected: Sequence[ExpectedEvent], fired: Sequence[Fired], slack_s: float = 0.0) -> Score:
    """Match events to expectations by (kind, actor); the first event of a pair must fall in the
    expected window (widened by ``slack_s``), any further one is a repeat."""
    result = Score()
    want = {(e.kind, e.track_id): e for e in expected}
    result.expected.update(e.kind for e in expected)
    seen: set[tuple[str, int]] = set()
    for f in sorted(fired, key=lambda f: f.t_s):
        result.fired[f.kind] += 1
        key = (f.kind, f.actor)
        if key in seen:
            result.repeated.append(f)
            continue
        seen.add(key)
        exp = want.get(key)
        if exp is None:
            result.extra.append(f)
        elif not exp.earliest_s - slack_s <= f.t_s <= exp.latest_s + slack_s:
            result.out_of_window.append((f, exp))
        else:
            result.matched[f.kind] += 1
    result.missing = [e for e in expected if (e.kind, e.track_id) not in seen]
    return result


@dataclass(frozen=True)
class Noise:
    """How a real detector and tracker distort the labels."""

    jitter_px: float = 1.5
    """Standard deviation of each box edge's error (clipped to ``max_jitter_px``)."""
    max_jitter_px: float = 4.0
    drop_p: float = 0.03
    """Chance that a detection is missing from a frame."""
    flicker: bool = True
    """On a truck's 2nd frame inside a zone, its box jumps back to where it was outside."""
    switch: bool = True
    """One truck changes id mid-track, at a moment it moves less than ``max_switch_move_rel``."""
    max_switch_move_rel: float = 0.035


@dataclass(frozen=True)
class Perturbed:
    """Distorted frames and what was done to them."""

    frames: tuple[Frame, ...]
    switched_actor: int | None = None
    switch_t_s: float | None = None
    flickers: int = 0


def perturb(
    scenario: GoldenScenario, frames: Sequence[Frame], seed: int, noise: Noise
) -> Perturbed:
    """``frames`` as a real tracker might report them (deterministic in ``seed``)."""
    rng = np.random.default_rng([seed, 2024])
    switch = (
        _switch_point(scenario, frames, rng, noise.max_switch_move_rel) if noise.switch else None
    )
    flicker = _Flicker(scenario) if noise.flicker else None
    out: list[Frame] = []
    for i, (t_s, anns) in enumerate(frames):
        kept = []
        for a in anns:
            guarded = switch is not None and a.track_id == switch[0] and abs(i - switch[1]) <= 1
            if not guarded and rng.random() < noise.drop_p:
                continue
            box = flicker.box(a) if flicker is not None else a.xyxy_px
            jitter = np.clip(
                rng.normal(0.0, noise.jitter_px, 4), -noise.max_jitter_px, noise.max_jitter_px
            )
            new_id = (
                a.track_id + SWITCHED_ID_OFFSET
                if switch and a.track_id == switch[0] and i >= switch[1]
                else a.track_id
            )
            kept.append(replace(a, xyxy_px=_clip(np.add(box, jitter), scenario), track_id=new_id))
        out.append((t_s, kept))
    if switch is None:
        return Perturbed(tuple(out), flickers=flicker.count if flicker else 0)
    return Perturbed(tuple(out), switch[0], frames[switch[1]][0], flicker.count if flicker else 0)


def _anchor_rel(box: Sequence[float], scenario: GoldenScenario) -> tuple[float, float]:
    cam = scenario.camera
    return ((box[0] + box[2]) / 2 / cam.width_px, box[3] / cam.height_px)


def _clip(box: np.ndarray, scenario: GoldenScenario) -> tuple[float, float, float, float]:
    w, h = scenario.camera.width_px, scenario.camera.height_px
    x1, x2 = sorted(np.clip(box[[0, 2]], 0.0, w).tolist())
    y1, y2 = sorted(np.clip(box[[1, 3]], 0.0, h).tolist())
    return (x1, y1, x2, y2)


def _switch_point(
    scenario: GoldenScenario, frames: Sequence[Frame], rng: np.random.Generator, max_move_rel: float
) -> tuple[int, int] | None:
    """A truck with expected events and the middle frame among those where it moved little."""
    trucks = sorted({e.track_id for e in scenario.expected if e.kind != "spill"})
    if not trucks:
        return None
    actor = trucks[int(rng.integers(len(trucks)))]
    boxes = [{a.track_id: a.xyxy_px for a in anns}.get(actor) for _, anns in frames]
    calm = [
        i
        for i in range(1, len(frames))
        if (prev := boxes[i - 1]) is not None
        and (cur := boxes[i]) is not None
        and _distance(_anchor_rel(prev, scenario), _anchor_rel(cur, scenario)) <= max_move_rel
    ]
    return (actor, calm[len(calm) // 2]) if calm else None


def _distance(p: tuple[float, float], q: tuple[float, float]) -> float:
    return float(np.hypot(p[0] - q[0], p[1] - q[1]))


class _Flicker:
    """On a truck's 2nd frame inside the road or restricted zone, report it where it last was
    outside: a detection jumping back across the border for one frame."""

    def __init__(self, scenario: GoldenScenario) -> None:
        polygons = scenario.zones_rel()
        self._scenario = scenario
        self._zones = [Polygon(polygons[name]) for name in ("restricted", "road")]
        self._inside: Counter[tuple[int, int]] = Counter()
        self._outside: dict[tuple[int, int], tuple[float, float, float, float]] = {}
        self.count = 0

    def box(self, ann: Annotation) -> tuple[float, float, float, float]:
        """The box to report for ``ann`` this frame."""
        if ann.class_name != "truck":
            return ann.xyxy_px
        anchor = Point(_anchor_rel(ann.xyxy_px, self._scenario))
        for k, zone in enumerate(self._zones):
            key = (ann.track_id, k)
            if not zone.covers(anchor):
                self._outside[key] = ann.xyxy_px
                continue
            self._inside[key] += 1
            if self._inside[key] == 2 and key in self._outside:
                self.count += 1
                return self._outside[key]
        return ann.xyxy_px
