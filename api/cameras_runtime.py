"""Running cameras inside the service: one supervised pipeline per enabled camera with a scene,
health written to the database and the bus, and live add/change/remove from ``camera-changes``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import cv2

from api.container import Container
from core.bus import CAMERA_CHANGES, CAMERA_HEALTH, SCENE_EVENTS, ConsumerLoop, Envelope
from detectors.attributes import TrackAttributeVote
from detectors.detections import Detections
from detectors.ports import Detector, Image, Tracker
from gis.calibration import CameraCalibration
from models import Camera, Scene
from scenes.config import CameraConfig, SceneConfig
from scenes.engine import SceneEngine
from scenes.evidence import EvidenceStore
from scenes.opencv_source import open_source
from scenes.pipeline import AttributeClassifier, CameraPipeline, MotionGate, pipeline_runner
from scenes.sources import CameraHealth, Frame, FrameSource, SourceOptions
from scenes.supervisor import CameraSupervisor

logger = logging.getLogger(__name__)


class CalibratedGround:
    """Adapts a ``CameraCalibration`` to the scenes' one-pixel ``GroundMapper``."""

    def __init__(self, calibration: CameraCalibration) -> None:
        self.calibration = calibration

    def to_ground(self, px: tuple[float, float]) -> tuple[float, float]:
        """WGS84 (lon, lat) of one pixel."""
        lonlat = self.calibration.to_ground([px])[0]
        return float(lonlat[0]), float(lonlat[1])


class GateAdapter:
    """The detectors' motion gate behind the pipeline's one-verb gate; the pipeline itself
    forces a detection after ``max_skip_frames`` skips, which re-checks parked objects."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate

    def should_detect(self, frame: Image) -> bool:
        """Run the detector on this frame?"""
        return bool(self.gate.decide(frame).run_detector)


class LatestFrameSource:
    """Wraps a source and keeps its latest frame for operators (camera view, zone editor)."""

    def __init__(self, source: FrameSource, store: dict[str, Frame], camera_id: str) -> None:
        self._source, self._store, self._camera_id = source, store, camera_id

    def read(self) -> Frame | None:
        """Next frame, remembered as the camera's latest."""
        frame = self._source.read()
        if frame is not None:
            self._store[self._camera_id] = frame
        return frame

    def close(self) -> None:
        """Close the wrapped source."""
        self._source.close()

    @property
    def dropped_frames(self) -> int:
        """Drops of the wrapped source."""
        return self._source.dropped_frames


class SharedDetector:
    """One model for every camera (weights loaded once, lazily); calls are serialised."""

    def __init__(self, factory: Callable[[], Detector]) -> None:
        self._factory = factory
        self._detector: Detector | None = None
        self._lock = threading.Lock()

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Detect with the shared model."""
        with self._lock:
            if self._detector is None:
                self._detector = self._factory()
            return self._detector.detect(frames)


class CameraManager:
    """Keeps the supervisor in step with the cameras table."""

    def __init__(
        self,
        container: Container,
        *,
        detector_factory: Callable[[], Detector],
        tracker_factory: Callable[[], Tracker],
        source_options: Callable[[], SourceOptions] | None = None,
        gate_factory: Callable[[], MotionGate] | None = None,
        attributes: AttributeClassifier | None = None,
    ) -> None:
        self.container = container
        self.gate_factory = gate_factory
        self.attributes = attributes
        self.latest: dict[str, Frame] = {}
        self.detector = SharedDetector(detector_factory)
        self.tracker_factory = tracker_factory
        self.source_options = source_options or SourceOptions
        self.supervisor = CameraSupervisor(pipeline_runner(self._build))
        self.shard = container.settings.resolved_camera_shard()
        # Every shard must see every change, so each shard reads with its own consumer group.
        group = "camera-manager" if self.shard is None else f"camera-manager-{self.shard}"
        self._changes = ConsumerLoop(container.bus, CAMERA_CHANGES, group, self._on_change)

    def start(self) -> None:
        """Start every enabled camera that has a scene, then follow changes."""
        for camera in self._load_all():
            self.supervisor.update(camera)
        self._changes.start()

    def stop(self) -> None:
        """Stop following changes and every camera."""
        self._changes.stop()
        self.supervisor.stop()

    def latest_jpeg(self, camera_id: str) -> tuple[bytes, Frame] | None:
        """The camera's latest frame as JPEG, or None when it has not sent one."""
        frame = self.latest.get(camera_id)
        if frame is None:
            return None
        ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        return (buf.tobytes(), frame) if ok else None

    def owns(self, camera_id: str) -> bool:
        """True when this manager's shard (``settings.camera_shard``) runs the camera."""
        return self.shard is None or self.shard.owns(camera_id)

    def sync(self, camera_id: str) -> None:
        """Apply the stored state of one camera (start, restart or stop it); cameras of other
        shards are ignored."""
        if not self.owns(camera_id):
            return
        camera = self._load(camera_id)
        if camera is None or not camera.enabled:
            if self.supervisor.is_running(camera_id):
                self.supervisor.remove(camera_id)
            return
        self.supervisor.update(camera)

    def _on_change(self, env: Envelope) -> None:
        self.sync(str(env.payload["camera_id"]))

    def _load_all(self) -> list[CameraConfig]:
        with self.container.sessions() as session:
            enabled = session.query(Camera).filter(Camera.enabled.is_(True))
            ids = [c.id for c in enabled if self.owns(c.id)]
        return [c for c in (self._load(i) for i in ids) if c is not None]

    def _load(self, camera_id: str) -> CameraConfig | None:
        with self.container.sessions() as session:
            row = session.get(Camera, camera_id)
            has_scene = (
                session.query(Scene).filter(Scene.camera_id == camera_id).first() is not None
            )
            if row is None or not has_scene:
                return None
            return CameraConfig(
                id=row.id,
                name=row.name,
                source_url=row.source_url,
                sample_fps=row.sample_fps,
                enabled=row.enabled,
                lon=row.lon,
                lat=row.lat,
            )

    def _build(self, camera: CameraConfig) -> tuple[CameraPipeline, FrameSource]:
        with self.container.sessions() as session:
            scene_row = session.query(Scene).filter(Scene.camera_id == camera.id).one()
            calibration = session.get(Camera, camera.id).calibration  # type: ignore[union-attr]
            scene = SceneConfig.model_validate(scene_row.config)
        ground = CalibratedGround(CameraCalibration.from_dict(calibration)) if calibration else None
        c = self.container
        pipeline = CameraPipeline(
            engine=SceneEngine(scene, ground, c.clock),
            detector=self.detector,
            tracker=self.tracker_factory(),
            publish=self._publish,
            clock=c.clock,
            gate=self.gate_factory() if self.gate_factory else None,
            attributes=None if self.attributes is None else TrackAttributeVote(self.attributes),
            evidence=EvidenceStore(c.settings.resolved_evidence_dir()),
        )
        # Offline until the first frame arrives: a stream that never opens shows as such.
        self._on_health(CameraHealth(camera.id, "offline", None, 0, 0, "connecting"))
        options = self.source_options()
        options.on_health = self._on_health
        return pipeline, LatestFrameSource(open_source(camera, options), self.latest, camera.id)

    def _publish(self, event: Any) -> None:
        self.container.bus.publish(SCENE_EVENTS, event.model_dump(mode="json"))

    def _on_health(self, health: CameraHealth) -> None:
        with self.container.sessions() as session:
            row = session.get(Camera, health.camera_id)
            if row is not None:
                row.health, row.health_detail = health.state, health.message or None
                row.last_frame_at = health.last_frame_at or row.last_frame_at
                session.commit()
        self.container.bus.publish(
            CAMERA_HEALTH,
            {
                "camera_id": health.camera_id,
                "state": health.state,
                "message": health.message,
                "last_frame_at": health.last_frame_at.isoformat() if health.last_frame_at else None,
                "reconnects": health.reconnects,
                "dropped_frames": health.dropped_frames,
            },
        )
