"""Versioned scene-event message: the only thing that leaves a camera pipeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class GroundPoint(BaseModel):
    """A point on the ground with its CRS stated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lon: float = Field(ge=-180, le=180, description="Longitude in degrees.")
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees.")
    crs: Literal["EPSG:4326"] = Field("EPSG:4326", description="Datum; WGS84 inside the service.")


class EvidenceRef(BaseModel):
    """A stored evidence file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["snapshot", "clip", "photo"] = Field(description="What the file holds.")
    path: str = Field(description="Path relative to the evidence directory.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Content hash for custody.")
    media_type: str = Field(description="MIME type, e.g. image/jpeg.")


class SceneEvent(BaseModel):
    """A rule fired on a camera (or sensor): the start of a case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(1, description="Message version.")
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Idempotency key.")
    source: Literal["camera", "sensor", "inspector", "citizen"] = Field(
        "camera", description="Kind of reporter."
    )
    occurred_at: AwareDatetime = Field(description="When the violation was first seen (UTC).")
    detected_at: AwareDatetime = Field(description="When the rule fired (UTC).")
    camera_id: str | None = Field(None, description="Camera id for camera events.")
    scene_id: str | None = Field(None, description="Scene id.")
    rule_id: str = Field(description="Rule that fired.")
    category_code: str = Field(min_length=1, description="Violation category code.")
    track_id: int | None = Field(None, description="Tracker id of the object.")
    object_class: str | None = Field(None, description="Detected class name.")
    attributes: dict[str, str] = Field(default_factory=dict, description="Object attributes.")
    confidence: float = Field(1.0, ge=0, le=1, description="Detector confidence.")
    anchor_px: tuple[float, float] | None = Field(None, description="Bottom-centre in pixels.")
    location: GroundPoint | None = Field(None, description="Ground point when known.")
    evidence: list[EvidenceRef] = Field(default_factory=list, description="Evidence files.")
    description: str = Field("", max_length=2000, description="Human summary.")

    def first_seen(self) -> datetime:
        """When the discover clock starts."""
        return self.occurred_at
