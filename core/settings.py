"""The one settings object. Built in the composition root and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.sharding import Shard, parse_shard

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration from ``SMARTSCENE_*`` environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="SMARTSCENE_", env_file=".env", extra="ignore")

    var_dir: Path = Field(
        Path("var"), description="Working directory for the SQLite file and data."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; unset means a SQLite file under var_dir."
    )
    redis_url: str | None = Field(None, description="Redis URL; unset means the in-process bus.")
    api_host: str = Field("127.0.0.1", description="Address the API listens on.")
    api_port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    detector_weights: Path = Field(
        PACKAGE_ROOT / "detectors" / "weights" / "smartscene-demo-yolo.pt",
        description="Path to the detection model file (.pt, .onnx or OpenVINO dir).",
    )
    load_classifier: Path = Field(
        PACKAGE_ROOT / "detectors" / "weights" / "load-classifier.npz",
        description="Truck load (covered/uncovered) classifier weights.",
    )
    detector_imgsz: int = Field(320, ge=32, le=2048, description="Inference image size in pixels.")
    detector_conf: float = Field(0.35, ge=0.0, le=1.0, description="Default confidence threshold.")
    torch_threads: int = Field(2, ge=1, le=64, description="CPU threads for inference.")
    evidence_dir: Path | None = Field(
        None, description="Evidence files; unset means var_dir/evidence."
    )
    jwt_secret: SecretStr | None = Field(
        None, description="HMAC secret for API tokens; unset means one generated per var_dir."
    )
    jwt_ttl_s: int = Field(8 * 3600, ge=60, description="Lifetime of an access token in seconds.")
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
    road_network: Path | None = Field(
        None, description="Road network for ETAs (.graphml, .osm.pbf, GeoJSON lines, .npz)."
    )
    arrive_radius_m: float = Field(
        150.0, gt=0, description="How close (metres) a field worker must be to check in on site."
    )
    offer_timeout_s: float = Field(120.0, gt=0, description="Seconds before an offer moves on.")
    sla_sweep_s: float = Field(15.0, gt=0, description="Seconds between SLA breach sweeps.")
    log_level: str = Field("INFO", description="Root log level.")
    run_cameras: bool = Field(True, description="Run camera pipelines inside the API process.")
    run_intake: bool = Field(
        True, description="Consume scene events into cases in this process (off: workers do)."
    )
    run_sweeps: bool = Field(
        True,
        description="Run offer time-outs and SLA sweeps in this process (run them in one only).",
    )
    camera_shard: str | None = Field(
        None,
        description="Run only cameras of shard I/N (crc32 of the camera id mod N); unset = all.",
    )
    jt808_host: str = Field("0.0.0.0", description="Address of the JT/T 808 terminal server.")
    jt808_port: int | None = Field(
        None, ge=0, le=65535, description="JT/T 808 terminal server port; unset = not started."
    )
    jt808_require_auth: bool = Field(True, description="Refuse locations before terminal auth.")
    mqtt_host: str | None = Field(None, description="MQTT broker for sensors; unset = off.")
    mqtt_port: int = Field(1883, ge=1, le=65535, description="MQTT broker port.")
    mqtt_topic: str = Field("smartscene/sensors/+/reading", description="Sensor topic filter.")
    map_tile_url: str | None = Field(
        None,
        description="Tile URL template (e.g. the city's own tile server); none = vectors only.",
    )
    map_tile_attribution: str = Field("", description="Attribution shown for the tiles.")
    map_datum: str = Field("wgs84", pattern="^(wgs84|gcj02)$", description="Datum of the base map.")
    map_center: tuple[float, float] | None = Field(None, description="Initial map centre lon, lat.")
    map_zoom: int = Field(15, ge=1, le=20, description="Initial map zoom.")
    open311_jurisdiction_id: str | None = Field(
        None, description="Open311 jurisdiction id this server answers for (None = any)."
    )

    @field_validator("camera_shard")
    @classmethod
    def _valid_shard(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_shard(value))

    def resolved_camera_shard(self) -> Shard | None:
        """The parsed camera shard, or None for every camera."""
        return None if self.camera_shard is None else parse_shard(self.camera_shard)

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'smartscene.db').resolve()}"

    def resolved_evidence_dir(self) -> Path:
        """Return where evidence files go."""
        return self.evidence_dir or self.var_dir / "evidence"
