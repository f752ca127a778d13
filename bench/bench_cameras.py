"""One-fps cameras one 2-core machine sustains with the real model, and frame-to-event latency.

Every camera is the service's own pipeline, built as ``api.cameras_runtime.CameraManager`` builds
it: the demo muck-truck scene (``api.demo.demo_scene``, calibrated), one ``SharedDetector`` (the
shipped ``smartscene-demo-yolo.pt``, Ultralytics on CPU, imgsz 320, 2 threads), per camera a
ByteTrack tracker, a MOG2 motion gate and an evidence store, the load classifier; run by
``CameraSupervisor``, one thread per camera. Cameras are simulated live 1-fps streams (latest
frame wins, like ``StreamSource``), out of step, mixing a quiet street (motion ~20% of the time),
the busy demo street and the real ``intel_car-detection.mp4``. For each configuration:

1. serial cost: one thread processes every camera's frames in turn -> ms per camera-frame,
   split by stage, detector calls per camera-frame, implied cameras = 1 s / cost;
2. real time: N cameras for ``--seconds`` of stream; kept up = under 1% of frames dropped and
   p99 capture -> processed under 1 s (after the first 2 s); N steps up from the serial
   estimate while kept up, down while not;
3. latency, at the largest N kept up (``@40`` configs: 40 cameras, ``--latency-seconds``): frame
   handed to the pipeline -> rule decided (snapshot begins) and -> event published. With evidence
   an event is held until its clip has ``post_s`` = 5 s of stream after the trigger, by design,
   so only events triggered in the first ``seconds - 5`` s of a run count (column n).

``service+decode`` adds what the simulation leaves out: a live reader decodes every frame of
its stream (here intel_car-detection.mp4, 768x432 at 12.5 fps, one decoder thread per camera).
Exports for the OpenVINO rows are made under var/ on first use. Default run ~5 minutes:

    .venv/bin/python bench/bench_cameras.py
    .venv/bin/python bench/bench_cameras.py --seconds 30 --configs service,no-gate,openvino
    .venv/bin/python bench/bench_cameras.py --configs service,service@40 --max-runs 2  # ~1.5 min
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.cameras_runtime import CalibratedGround, SharedDetector
from api.demo import demo_calibration, demo_scene
from api.runtime import gate_factory, tracker_factory
from bench.bench_detectors import export_paths
from bench.bench_motion import REPO, SHARED_VIDEO, WEIGHTS
from bench.camera_sim import (
    BatchingDetector,
    DecodeLoad,
    DetectorPool,
    SimStream,
    Stopwatch,
    TimedDetector,
    TimedEvidenceStore,
    TimedGate,
    TimedTracker,
    decode_ms_per_frame,
    demo_feed,
    quiet_feed,
    timed_attributes,
    video_feed,
)
from core.clock import SystemClock
from detectors.offline import prepare_offline_runtime
from detectors.ports import Detector, Image
from gis.calibration import CameraCalibration
from scenes.config import CameraConfig
from scenes.engine import SceneEngine
from scenes.events import SceneEvent
from scenes.pipeline import AttributeClassifier, CameraPipeline, pipeline_runner
from scenes.rules.base import FrameMeta
from scenes.supervisor import CameraSupervisor

CONF = 0.35  # Settings.detector_conf
LOAD_CLASSIFIER = WEIGHTS.parent / "load-classifier.npz"
Publish = Callable[[SceneEvent], None]
Decided = dict[UUID, tuple[datetime, float]]
SETTLE_S = 2.0  # frame ages are counted from here: 100+ threads starting at once is a transient


@dataclass(frozen=True)
class Config:
    """One way to run the cameras."""

    name: str
    runtime: str = "pt"
    """pt (Ultralytics, as the service) | openvino | onnx (detectors.runtimes, exported)."""
    imgsz: int = 320
    threads: int = 2
    gate: bool = True
    evidence: bool = True
    sharing: str = "lock"
    """lock: the service's SharedDetector; batch: cross-camera batching; pool: 2 instances."""
    decode: bool = False
    """Each camera also decodes intel_car-detection.mp4 at 12.5 fps in real time, as a live
    ``StreamSource`` reader decodes every frame of its stream."""
    fixed_n: int | None = None
    """One real-time run at this many cameras (latency at a given load), no serial pass."""


CONFIGS = {
    c.name: c
    for c in (
        Config("service"),
        Config("service@40", fixed_n=40),
        Config("service-no-evidence@40", evidence=False, fixed_n=40),
        Config("service+decode", decode=True),
        Config("no-gate", gate=False),
        Config("batched", sharing="batch"),
        Config("openvino", runtime="openvino"),
        Config("openvino-pool2", runtime="openvino", threads=1, sharing="pool"),
        Config("onnx", runtime="onnx"),
        Config("pt-imgsz640", imgsz=640),
        Config("pt-1thread", threads=1),
    )
}
DEFAULT_CONFIGS = (
    "service,service@40,service-no-evidence@40,service+decode,no-gate,batched,openvino"
)


@dataclass
class Rig:
    """What every camera is built from."""

    feeds: dict[str, list[Image]]
    kinds: list[str]
    classify: AttributeClassifier
    calibration: CameraCalibration
    export_dir: Path

    def feed(self, k: int) -> list[Image]:
        """Camera k's frames."""
        return self.feeds[self.kinds[k % len(self.kinds)]]

    def detector(self, cfg: Config) -> Detector:
        """The model shared by all cameras, shared the way ``cfg`` says."""
        from detectors.runtimes import load_detector

        path = (
            WEIGHTS
            if cfg.runtime == "pt"
            else export_paths(self.export_dir, cfg.imgsz)[cfg.runtime]
        )

        def make() -> Detector:
            det: Detector = load_detector(path, imgsz=cfg.imgsz, conf=CONF, threads=cfg.threads)
            for frames in self.feeds.values():  # first calls are slow (allocations, JIT)
                det.detect(frames[:2])
            return det

        if cfg.sharing == "batch":
            return BatchingDetector(make())
        if cfg.sharing == "pool":
            return DetectorPool([make(), make()])
        shared = SharedDetector(make)
        shared.detect(self.feeds[self.kinds[0]][:1])  # load now, not inside the timed run
        return shared

    def camera(
        self, k: int, cfg: Config, detector: Detector, publish: Publish, watch: Stopwatch,
        decided: Decided, evidence_root: Path,
    ) -> CameraPipeline:  # fmt: skip
        """Camera k's pipeline, as ``CameraManager._build`` makes it (components timed)."""
        camera_id = f"cam{k:03d}"
        scene = demo_scene().model_copy(update={"id": f"scene-{camera_id}", "camera_id": camera_id})
        clock = SystemClock()
        return CameraPipeline(
            engine=SceneEngine(scene, CalibratedGround(self.calibration), clock),
            detector=TimedDetector(detector, watch),
            tracker=TimedTracker(tracker_factory(), watch),
            publish=publish,
            clock=clock,
            gate=TimedGate(gate_factory(), watch) if cfg.gate else None,
            attributes=timed_attributes(self.classify, watch),
            evidence=TimedEvidenceStore(evidence_root, watch, decided) if cfg.evidence else None,
        )


def settled(per_camera: list[list[tuple[float, float]]], since: float) -> list[float]:
    """Values of frames captured at or after ``since`` (epoch s)."""
    return [v for rows in per_camera for captured, v in rows if captured >= since]


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# 1. Serial cost.


@dataclass
class Serial:
    ms_per_frame: float
    cpu_ms_per_frame: float
    calls_per_frame: float
    stages_ms: dict[str, float]

    @property
    def cameras(self) -> float:
        return 1000.0 / self.ms_per_frame


def run_serial(
    rig: Rig, cfg: Config, detector: Detector, cams: int, frames: int, preroll: int
) -> Serial:
    """One thread, cameras in turn, one stream second after another."""
    watch, decided = Stopwatch(), Decided()
    root = Path(tempfile.mkdtemp(prefix="bench-cams-"))
    try:
        pipes = [
            rig.camera(k, cfg, detector, lambda e: None, watch, decided, root) for k in range(cams)
        ]
        start = datetime.now(UTC) - timedelta(seconds=frames + preroll + 5)
        step(rig, pipes, start, range(preroll))
        watch.totals.clear()
        calls0 = sum(p.stats.detector_calls for p in pipes)
        t0, c0 = time.perf_counter(), time.process_time()
        step(rig, pipes, start, range(preroll, preroll + frames))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = cams * frames
    stages = {k: v * 1e3 / n for k, v in watch.totals.items()}
    stages["engine+rest"] = wall * 1e3 / n - sum(stages.values())
    calls = sum(p.stats.detector_calls for p in pipes) - calls0
    return Serial(wall * 1e3 / n, cpu * 1e3 / n, calls / n, stages)


def step(rig: Rig, pipes: list[CameraPipeline], start: datetime, seconds: range) -> None:
    for s in seconds:
        for k, pipe in enumerate(pipes):
            feed = rig.feed(k)
            image = feed[(7 * k + s) % len(feed)]  # cameras at different points of their loop
            at = start + timedelta(seconds=s + k / len(pipes))
            h, w = image.shape[:2]
            pipe.process(image, FrameMeta(pipe.camera_id, s, at, (w, h)))


# 2. Real time, the service's threads.


@dataclass
class Run:
    config: str
    cameras: int
    frames: int
    expected: int
    drops: int
    errors: int
    calls_per_frame: float
    wait_p99_s: float
    """From here on, frames captured after the first SETTLE_S of the run."""
    age_p50_s: float
    age_p99_s: float
    age_p99_late_s: float
    """Frames captured in the second half of the run: a growing backlog shows here."""
    cpu_pct: float
    load1: float
    events: int
    decide_s: list[float] = field(default_factory=list)
    publish_s: list[float] = field(default_factory=list)
    batch: float = float("nan")
    decoded_pct: float = float("nan")

    @property
    def kept_up(self) -> bool:
        decode_ok = np.isnan(self.decoded_pct) or self.decoded_pct >= 98.0
        return (
            decode_ok
            and self.errors == 0
            and self.drops <= 0.01 * self.expected
            and self.age_p99_s < 1.0
        )


class Latencies:
    """Frame handed -> decided / published, per event, for one run."""

    def __init__(self, decided: Decided, evidence: bool) -> None:
        self.decided, self.evidence = decided, evidence
        self.decide_s: list[float] = []
        self.publish_s: list[float] = []
        self.events = 0
        self._lock = threading.Lock()

    def publisher(self, stream: SimStream) -> Publish:
        """The publish callback of the camera reading ``stream``."""

        def publish(event: SceneEvent) -> None:
            now = time.time()
            with self._lock:
                self.events += 1
                record = self.decided.pop(event.event_id, None)
                if stream.ended:  # flushed at the end of the run: clip cut short
                    return
                if not self.evidence:  # published while its own frame is processed
                    handed, decided_at = stream.current_handed, now
                else:
                    handed_or_none = None if record is None else stream.handed.get(record[0])
                    if record is None or handed_or_none is None:  # triggered before this run
                        return
                    handed, decided_at = handed_or_none, record[1]
                self.decide_s.append(decided_at - handed)
                self.publish_s.append(now - handed)

        return publish


class Route:
    """A pipeline's publish callback, pointed at the current run's recorder."""

    def __init__(self) -> None:
        self.target: Publish = lambda event: None

    def __call__(self, event: SceneEvent) -> None:
        self.target(event)


class Fleet:
    """Warmed-up cameras of one configuration, reused by its real-time runs (a larger run warms
    up only its new cameras; a camera's stream then resumes after a gap, like a reconnect).

    A new camera first processes ``preroll`` + (0..10) frames, untimed: the gate warms up, and
    the pipeline's forced re-check every 11th frame is out of step across cameras (as in a
    service that has run for a while; in step, every quiet camera would detect in one second).
    """

    def __init__(self, rig: Rig, cfg: Config, detector: Detector, preroll: int) -> None:
        self.rig, self.cfg, self.detector, self.preroll = rig, cfg, detector, preroll
        self.root = Path(tempfile.mkdtemp(prefix="bench-cams-"))
        self.decided: Decided = {}
        self.pipes: list[CameraPipeline] = []
        self.routes: list[Route] = []
        self._rng = np.random.default_rng(len(cfg.name))

    def grow(self, n: int) -> None:
        """Have at least ``n`` warmed-up cameras."""
        start = datetime.now(UTC) - timedelta(seconds=self.preroll + 12)
        for k in range(len(self.pipes), n):
            feed, route = self.rig.feed(k), Route()
            pipe = self.rig.camera(
                k, self.cfg, self.detector, route, Stopwatch(), self.decided, self.root
            )
            offset = int(self._rng.integers(len(feed)))
            for s in range(self.preroll + int(self._rng.integers(11))):
                image = feed[(offset + s) % len(feed)]
                at, size = start + timedelta(seconds=s), (image.shape[1], image.shape[0])
                pipe.process(image, FrameMeta(pipe.camera_id, s, at, size))
            self.pipes.append(pipe)
            self.routes.append(route)

    def close(self) -> None:
        """Delete the evidence written."""
        shutil.rmtree(self.root, ignore_errors=True)


def run_realtime(fleet: Fleet, n: int, seconds: int, seed: int) -> Run:
    """N cameras for ``seconds`` of live stream under ``CameraSupervisor``."""
    fleet.grow(n)
    pipes, cfg, rng = fleet.pipes[:n], fleet.cfg, np.random.default_rng(seed)
    fleet.decided.clear()
    lat, finish = Latencies(fleet.decided, cfg.evidence), threading.Barrier(n)
    streams = []
    for k, route in enumerate(fleet.routes[:n]):
        feed = fleet.rig.feed(k)
        stream = SimStream(
            feed, offset=int(rng.integers(len(feed))), phase_s=float(rng.random()),
            seconds=seconds, finish=finish,
        )  # fmt: skip
        route.target = lat.publisher(stream)
        streams.append(stream)
    frames0 = sum(p.stats.frames for p in pipes)
    calls0 = sum(p.stats.detector_calls for p in pipes)
    batch0 = batch_counts(fleet.detector)
    loads = [DecodeLoad(SHARED_VIDEO) for _ in range(n if cfg.decode else 0)]
    t0 = time.time() + 0.5
    c0 = time.process_time()
    for load in loads:
        load.start()
    supervise(pipes, streams, t0, seconds)
    wall, cpu = time.time() - t0, time.process_time() - c0
    for load in loads:
        load.stop()
    decoded = sum(x.decoded for x in loads) / max(1.0, sum(x.expected for x in loads))
    frames = sum(p.stats.frames for p in pipes) - frames0
    calls = sum(p.stats.detector_calls for p in pipes) - calls0
    batch1 = batch_counts(fleet.detector)
    batch = (batch1[1] - batch0[1]) / (batch1[0] - batch0[0]) if batch1 != batch0 else float("nan")
    ages = [s.ages_s for s in streams]
    return Run(
        cfg.name, n, frames, n * seconds, sum(s.dropped_frames for s in streams),
        sum(p.stats.errors for p in pipes), calls / max(frames, 1),
        pct(settled([s.wait_s for s in streams], t0 + SETTLE_S), 0.99),
        pct(settled(ages, t0 + SETTLE_S), 0.5), pct(settled(ages, t0 + SETTLE_S), 0.99),
        pct(settled(ages, t0 + seconds / 2), 0.99),
        100 * cpu / (wall * (os.cpu_count() or 1)), os.getloadavg()[0], lat.events,
        lat.decide_s, lat.publish_s, batch, 100 * decoded if loads else float("nan"),
    )  # fmt: skip


def supervise(
    pipes: list[CameraPipeline], streams: list[SimStream], t0: float, seconds: int
) -> None:
    """Run every camera in its own supervised thread, as the service does, until streams end."""
    by_id = {p.camera_id: (p, s) for p, s in zip(pipes, streams, strict=True)}
    supervisor = CameraSupervisor(pipeline_runner(lambda camera: by_id[camera.id]))
    for stream in streams:
        stream.start_at(t0)
    for camera_id in by_id:
        supervisor.add(CameraConfig(id=camera_id, name=camera_id, source_url=f"sim/{camera_id}"))
    deadline = t0 + seconds + 60
    while time.time() < deadline and any(supervisor.is_running(c) for c in by_id):
        time.sleep(0.2)
    supervisor.stop()


def batch_counts(detector: Detector) -> tuple[int, int]:
    """(model calls, frames) of a batching detector; (0, 0) otherwise."""
    if isinstance(detector, BatchingDetector):
        return detector.calls, detector.frames
    return 0, 0


def search(fleet: Fleet, estimate: float, args: argparse.Namespace) -> dict[int, Run]:
    """Step N from the serial estimate: up while kept up, down while not, until the edge."""
    steps = sorted(int(s) for s in args.steps.split(","))
    i = max(0, bisect.bisect_right(steps, 0.9 * estimate) - 1)
    runs: dict[int, Run] = {}
    while len(runs) < args.max_runs and 0 <= i < len(steps) and steps[i] not in runs:
        run = run_realtime(fleet, steps[i], args.seconds, len(runs))
        runs[steps[i]] = run
        print_run(run)
        i += 1 if run.kept_up else -1
    return runs


# Output.


def print_run(r: Run) -> None:
    batch = "" if np.isnan(r.batch) else f" batch={r.batch:.1f}"
    batch += "" if np.isnan(r.decoded_pct) else f" decoded={r.decoded_pct:.0f}%"
    print(
        f"  {r.config:22} N={r.cameras:3d} {'kept up' if r.kept_up else 'FELL BEHIND':11} "
        f"frames={r.frames}/{r.expected} drops={100 * r.drops / r.expected:5.1f}% "
        f"wait p99={r.wait_p99_s:5.2f}s done p50/p99={r.age_p50_s:5.2f}/{r.age_p99_s:5.2f}s "
        f"(late p99 {r.age_p99_late_s:5.2f}s) "
        f"calls/frame={r.calls_per_frame:.2f} cpu={r.cpu_pct:3.0f}% load1={r.load1:.2f} "
        f"events={r.events} errors={r.errors}{batch}",
        flush=True,
    )


def ms(values: Sequence[float]) -> str:
    if not values:
        return "        -"
    return f"{pct(values, 0.5) * 1e3:5.0f}/{pct(values, 0.99) * 1e3:<5.0f}"


def print_table(rows: list[Row]) -> None:
    print(
        f"\n{'config':22} {'rt':8} {'imgsz':>5} {'thr':>3} {'gate':4} {'evid':4} {'share':5} "
        f"{'serial ms':>9} {'->cams':>6} {'calls/fr':>8} {'sustained':>9} {'runs (x=behind)':15} "
        f"{'decide p50/p99 ms':>17} {'publish p50/p99 ms':>18} {'n':>4}"
    )
    for cfg, serial, runs in rows:
        ok = [n for n, r in runs.items() if r.kept_up]
        shown = runs[max(ok)] if ok else runs[min(runs)]
        tried = ",".join(f"{n}{'' if r.kept_up else 'x'}" for n, r in sorted(runs.items()))
        sustained = f"<{min(runs)}"
        if ok:  # ">=": no run above it fell behind (not tried)
            sustained = f"{'>=' if max(ok) == max(runs) else ''}{max(ok)}"
        sustained = "-" if cfg.fixed_n else sustained
        cost = (
            f"{serial.ms_per_frame:9.1f} {serial.cameras:6.0f}" if serial else f"{'-':>9} {'-':>6}"
        )
        print(
            f"{cfg.name:22} {cfg.runtime:8} {cfg.imgsz:5d} {cfg.threads:3d} "
            f"{'on' if cfg.gate else 'off':4} {'on' if cfg.evidence else 'off':4} {cfg.sharing:5} "
            f"{cost} {shown.calls_per_frame:8.2f} {sustained:>9} {tried:15} "
            f"{ms(shown.decide_s):>17} {ms(shown.publish_s):>18} {len(shown.publish_s):4d}"
        )


def print_stages(rows: list[Row]) -> None:
    names = ["gate", "detect", "track", "attributes", "evidence", "engine+rest", "decode"]
    print(
        "\nserial cost per camera-frame by stage, ms (detect = mean over all frames; decode ="
        " measured alone, added)"
    )
    print(f"{'config':22} " + " ".join(f"{n:>11}" for n in names) + f" {'total':>7} {'cpu':>7}")
    for cfg, s, _ in rows:
        if s is not None:
            cells = " ".join(f"{s.stages_ms.get(n, 0.0):11.2f}" for n in names)
            print(f"{cfg.name:22} {cells} {s.ms_per_frame:7.2f} {s.cpu_ms_per_frame:7.2f}")


# Main.


def build_rig(args: argparse.Namespace) -> Rig:
    from detectors.attributes import LoadClassifier

    feeds = {"quiet": quiet_feed(), "demo": demo_feed()}
    if SHARED_VIDEO.is_file():
        feeds["intel"] = video_feed(SHARED_VIDEO)
    else:
        print(f"intel video skipped: {SHARED_VIDEO} absent (../shared/data not present)")
    kinds: list[str] = []
    for part in args.mix.split(","):
        name, weight = part.split("=")
        kinds += [name] * int(weight) if name in feeds else []
    return Rig(
        feeds, kinds, LoadClassifier(LOAD_CLASSIFIER).classify, demo_calibration(), args.export_dir
    )


def main() -> None:
    args = parse_args()
    prepare_offline_runtime()
    began = time.time()
    print(f"load averages at start: {os.getloadavg()}  cores: {os.cpu_count()}")
    rig = build_rig(args)
    feeds = (f"{k}={len(v)} @ {v[0].shape[1]}x{v[0].shape[0]}" for k, v in rig.feeds.items())
    print(f"feeds (1-fps loops, frames): {', '.join(feeds)}; camera mix (repeats): {rig.kinds}")
    decode_ms = decode_cost_ms()
    rows: list[Row] = []
    for name in args.configs.split(","):
        cfg = CONFIGS[name]
        if cfg.decode and decode_ms is None:
            print(f"{name} skipped: {SHARED_VIDEO} absent")
            continue
        serial, runs = run_config(rig, cfg, args, decode_ms or 0.0)
        rows.append((cfg, serial, runs))
    print_table(rows)
    print_stages(rows)
    reached = [
        cfg.name for cfg, _, runs in rows if any(n >= 40 and r.kept_up for n, r in runs.items())
    ]
    print(f"\ntarget >= 40 one-fps cameras kept up in real time: {', '.join(reached) or 'none'}")
    print(f"load averages at end: {os.getloadavg()}  total {time.time() - began:.0f} s")


Row = tuple[Config, Serial | None, dict[int, Run]]


def run_config(
    rig: Rig, cfg: Config, args: argparse.Namespace, decode_ms: float
) -> tuple[Serial | None, dict[int, Run]]:
    """Serial cost and a search in real time, or one real-time run at ``cfg.fixed_n``."""
    detector = rig.detector(cfg)
    serial = None
    fleet = Fleet(rig, cfg, detector, args.preroll)
    try:
        if cfg.fixed_n is not None:
            run = run_realtime(fleet, cfg.fixed_n, args.latency_seconds, 0)
            print_run(run)
            runs = {cfg.fixed_n: run}
        else:
            serial = run_serial(
                rig, cfg, detector, args.serial_cams, args.serial_frames, args.preroll
            )
            if cfg.decode:  # not in the pipeline: add its measured cost per camera-second
                serial.stages_ms["decode"] = decode_ms
                serial.ms_per_frame += decode_ms
            print(f"{cfg.name}: serial {serial.ms_per_frame:.1f} ms/camera-s")
            runs = search(fleet, serial.cameras, args)
    finally:
        fleet.close()
        if isinstance(detector, BatchingDetector):
            detector.close()
    return serial, runs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"of: {','.join(CONFIGS)}")
    parser.add_argument("--seconds", type=int, default=10, help="stream seconds per real-time run")
    parser.add_argument(
        "--latency-seconds", type=int, default=25, help="stream seconds of the @40 runs"
    )
    parser.add_argument("--steps", default="10,20,30,40,50,60,80,100,120,140,160,200,240")
    parser.add_argument("--max-runs", type=int, default=3, help="real-time runs per config")
    parser.add_argument("--serial-cams", type=int, default=10)
    parser.add_argument("--serial-frames", type=int, default=22, help="stream seconds (serial)")
    parser.add_argument("--preroll", type=int, default=5, help="untimed frames per camera first")
    parser.add_argument("--mix", default="quiet=3,demo=1,intel=1", help="camera kinds by weight")
    parser.add_argument("--export-dir", type=Path, default=REPO / "var" / "bench-export")
    return parser.parse_args()


def decode_cost_ms() -> float | None:
    """CPU ms to decode one second of intel_car-detection.mp4 (what a live reader spends)."""
    if not SHARED_VIDEO.is_file():
        return None
    per_frame, fps = decode_ms_per_frame(SHARED_VIDEO)
    print(
        f"decoding intel_car-detection.mp4 (768x432 @ {fps:.1f} fps): {per_frame:.2f} ms/frame "
        f"= {per_frame * fps:.1f} ms per camera-second (a live StreamSource decodes every frame)"
    )
    return per_frame * fps


if __name__ == "__main__":
    main()
