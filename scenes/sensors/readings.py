"""Sensor readings: a vehicle position fix (``SensorReading``) or a scalar measurement.

Both are versioned pydantic models with ``extra="forbid"``, UTC times and WGS84 coordinates, so
they can cross MQTT or the event bus as JSON. ``kind`` tells them apart: ``"position"`` for a fix,
anything else (``"pm10"``, ``"noise_db"`` ...) for a :class:`MeasurementReading`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    field_validator,
    model_validator,
)

from core.clock import ensure_utc
from gis.datums import Datum, to_wgs84
from scenes.sensors.jt808 import Header
from scenes.sensors.jt808_messages import Location

POSITION = "position"


class _Reading(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    schema_version: Literal[1] = Field(1, description="Message version.")
    device_id: str = Field(
        min_length=1, max_length=64, description="Device id (JT/T 808: terminal phone number)."
    )
    at: AwareDatetime = Field(description="When the device measured it (UTC).")
    received_at: AwareDatetime | None = Field(None, description="When we received it (UTC).")

    @field_validator("at", "received_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)


class SensorReading(_Reading):
    """A position fix of a vehicle terminal (WGS84 degrees, UTC)."""

    kind: Literal["position"] = Field("position", description="Reading kind.")
    plate: str | None = Field(None, max_length=32, description="Plate number, when known.")
    lon: float = Field(ge=-180, le=180, description="WGS84 longitude in degrees.")
    lat: float = Field(ge=-90, le=90, description="WGS84 latitude in degrees.")
    speed_kmh: float = Field(0.0, ge=0, le=1000, description="Ground speed in km/h.")
    heading_deg: float = Field(0.0, ge=0, le=360, description="Course over ground, 0 = north.")
    altitude_m: float | None = Field(None, description="Altitude in metres, when known.")
    positioned: bool = Field(True, description="False when the device had no GNSS fix.")
    alarms: list[str] = Field(default_factory=list, description="Alarm names set by the device.")
    alarm_flags: int = Field(0, ge=0, description="Raw alarm bits (JT/T 808 0x0200).")
    at_source: Literal["device", "receiver"] = Field(
        "device", description="'receiver' when the device time was missing and ours was used."
    )
    source: Literal["jt808", "mqtt"] = Field("mqtt", description="How it reached us.")
    msg_id: int | None = Field(None, ge=0, le=0xFFFF, description="JT/T 808 message id.")


class MeasurementReading(_Reading):
    """A scalar measurement, e.g. PM10 dust in ug/m3 at a construction site."""

    kind: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,31}$", description="What is measured, e.g. 'pm10'."
    )
    value: float = Field(description="Measured value, in ``unit``.")
    unit: str = Field("", max_length=16, description="Unit of ``value``, e.g. 'ug/m3'.")
    lon: float | None = Field(None, ge=-180, le=180, description="WGS84 longitude, if known.")
    lat: float | None = Field(None, ge=-90, le=90, description="WGS84 latitude, if known.")

    @model_validator(mode="after")
    def _checks(self) -> MeasurementReading:
        if self.kind == POSITION:
            raise ValueError("kind 'position' is a SensorReading, not a measurement")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        return self


def _kind_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, Mapping) else getattr(value, "kind", None)
    return POSITION if kind == POSITION else "measurement"


Reading = Annotated[
    Annotated[SensorReading, Tag(POSITION)] | Annotated[MeasurementReading, Tag("measurement")],
    Discriminator(_kind_tag),
]
_READING: TypeAdapter[SensorReading | MeasurementReading] = TypeAdapter(Reading)


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_reading(payload: bytes | str | Mapping[str, Any]) -> SensorReading | MeasurementReading:
    """Validate a JSON payload (or mapping) into a reading.

    An optional ``"datum"`` key (``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000``) converts the
    coordinates to WGS84 first. Raises ``ValueError`` (incl. pydantic's) on invalid input.
    """
    data = json.loads(payload) if isinstance(payload, bytes | str) else dict(payload)
    if not isinstance(data, dict):
        raise ValueError(f"payload must be a JSON object, got {type(data).__name__}")
    datum = Datum.parse(str(data.pop("datum", Datum.WGS84)))
    lon, lat = data.get("lon"), data.get("lat")
    if datum.frame is not Datum.WGS84 and _is_number(lon) and _is_number(lat):
        data["lon"], data["lat"] = to_wgs84(float(lon), float(lat), datum)
    return _READING.validate_python(data)


def reading_from_location(
    loc: Location,
    header: Header,
    *,
    received_at: datetime,
    plate: str | None = None,
    msg_id: int | None = None,
) -> SensorReading:
    """A reading from a decoded JT/T 808 location (WGS84/CGCS2000 per the standard).

    Raises ``ValueError`` when the terminal sent impossible values (e.g. latitude > 90).
    """
    at, at_source = (loc.time_utc, "device") if loc.time_utc else (received_at, "receiver")
    return SensorReading(
        device_id=header.terminal_id,
        plate=plate,
        lon=loc.lon_deg,
        lat=loc.lat_deg,
        speed_kmh=loc.speed_kmh,
        heading_deg=loc.direction_deg,
        altitude_m=loc.altitude_m,
        positioned=loc.positioned,
        alarms=loc.alarm_names,
        alarm_flags=loc.alarm_flags,
        at=at,
        at_source=at_source,
        received_at=received_at,
        source="jt808",
        msg_id=header.msg_id if msg_id is None else msg_id,
    )
