"""Background loops of a running service: scene-event intake, offer time-outs, live feed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from api.cameras_runtime import CameraManager, GateAdapter
from api.container import Container
from api.live import LiveHub
from api.sensors_runtime import SensorRuntime
from core.bus import SCENE_EVENTS, ConsumerLoop
from detectors.ports import Detector, Tracker
from scenes.pipeline import AttributeClassifier

logger = logging.getLogger(__name__)


class PeriodicTask:
    """Calls ``fn`` every ``interval_s`` in a daemon thread; errors are logged, never fatal."""

    def __init__(self, name: str, interval_s: float, fn: Callable[[], object]) -> None:
        self.name, self.interval_s, self.fn = name, interval_s, fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.fn()
            except Exception:
                logger.exception("periodic task %s failed", self.name)

    def stop(self) -> None:
        """Stop and join."""
        self._stop.set()
        self._thread.join(timeout=5)


def detector_factory(container: Container) -> Callable[[], Detector]:
    """Builds the configured detector on first use (weights load lazily, offline)."""
    s = container.settings

    def make() -> Detector:
        from detectors.offline import prepare_offline_runtime

        prepare_offline_runtime()
        from detectors.runtimes import load_detector

        # .pt -> Ultralytics, .onnx -> ONNX Runtime, an OpenVINO export directory -> OpenVINO
        detector: Detector = load_detector(
            s.detector_weights,
            imgsz=s.detector_imgsz,
            conf=s.detector_conf,
            threads=s.torch_threads,
        )
        return detector

    return make


def tracker_factory() -> Tracker:
    """A fresh tracker per camera."""
    from detectors.ultralytics_backend import ByteTrackTracker

    return ByteTrackTracker()


def gate_factory() -> GateAdapter:
    """A fresh motion gate per camera."""
    from detectors.motion import MotionGate

    return GateAdapter(MotionGate())


def load_classifier(container: Container) -> AttributeClassifier | None:
    """The truck-load attribute classifier, when its weights are there."""
    path = container.settings.load_classifier
    if not path.is_file():
        logger.warning("no load classifier at %s: trucks get no load attribute", path)
        return None
    from detectors.attributes import LoadClassifier

    return LoadClassifier(path).classify


def start_cameras(container: Container) -> CameraManager:
    """Run every enabled camera with a scene; follow camera changes."""
    manager = CameraManager(
        container,
        detector_factory=detector_factory(container),
        tracker_factory=tracker_factory,
        gate_factory=gate_factory,
        attributes=load_classifier(container),
    )
    manager.start()
    container.background.append(manager)
    return manager


def start_background(container: Container, hub: LiveHub | None = None) -> None:
    """Start intake, sweeps, the live hub's bus reader, cameras and sensors, each as the settings
    enable it; they stop in ``container.close()``."""
    if container.settings.run_intake:
        intake = ConsumerLoop(
            container.bus, SCENE_EVENTS, "dispatch", container.dispatch.handle_envelope
        )
        intake.start()
        container.background.append(intake)
    if container.settings.run_sweeps:
        offers = PeriodicTask("offer-timeouts", 5.0, container.dispatch.expire_offers)
        offers.start()
        sla = PeriodicTask("sla-sweep", container.settings.sla_sweep_s, container.dispatch.sweep)
        sla.start()
        container.background.extend([offers, sla])
    if hub is not None:
        hub.start()
        container.background.append(hub)
    if container.settings.run_cameras:
        start_cameras(container)
    if container.settings.jt808_port is not None or container.settings.mqtt_host:
        sensors = SensorRuntime(container)
        sensors.start()
        container.background.append(sensors)
