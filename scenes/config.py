"""Scene configuration: cameras, zones, lines, time windows and rules, with YAML import/export.

Every model forbids unknown fields and describes every field, so the UI can render forms from
``SceneConfig.model_json_schema()``. Image geometry is in relative coordinates (0-1, origin top
left, y down) so a zone survives a change of stream resolution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from shapely.geometry import Polygon

from scenes.rule_config import (
    AttributeRuleConfig,
    CompositionRuleConfig,
    CountRuleConfig,
    DwellRuleConfig,
    LineCrossingRuleConfig,
    RuleConfig,
    SpeedRuleConfig,
    SpillageRuleConfig,
    ZonePresenceRuleConfig,
)
from scenes.time_window import TimeWindow

__all__ = [
    "AttributeRuleConfig",
    "CameraConfig",
    "CompositionRuleConfig",
    "CountRuleConfig",
    "DwellRuleConfig",
    "Line",
    "LineCrossingRuleConfig",
    "RelPoint",
    "RuleConfig",
    "SceneConfig",
    "SpeedRuleConfig",
    "SpillageRuleConfig",
    "TimeWindow",
    "Zone",
    "ZonePresenceRuleConfig",
    "dump_scene_yaml",
    "load_scene_yaml",
]

Identifier = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Stable identifier."),
]
RelCoord = Annotated[float, Field(ge=0.0, le=1.0)]
RelPoint = tuple[RelCoord, RelCoord]
"""A point in relative image coordinates: (x, y), each in [0, 1], y pointing down."""

_URL_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
_MIN_ZONE_AREA_REL = 1e-4


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CameraConfig(_Model):
    """One camera (or recorded video) feeding a scene."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200, description="Human name shown to operators.")
    source_url: str = Field(
        min_length=1,
        description="rtsp://, rtsps://, http(s):// (MJPEG or HLS), file:// URL or a file path.",
    )
    sample_fps: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="Frames per second handed to detection; others are dropped.",
    )
    enabled: bool = Field(default=True, description="Run this camera.")
    lon: float | None = Field(
        default=None, ge=-180, le=180, description="Camera longitude (WGS84)."
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="Camera latitude (WGS84).")

    @field_validator("source_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
        if match and match.group(1).lower() not in _URL_SCHEMES:
            raise ValueError(
                f"unsupported URL scheme {match.group(1)!r}; use one of {_URL_SCHEMES}"
            )
        return url

    @model_validator(mode="after")
    def _both_or_neither(self) -> CameraConfig:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        return self


class Zone(_Model):
    """A polygon on the image, e.g. a restricted road section or a no-parking kerb."""

    id: Identifier
    name: str = Field(default="", max_length=200, description="Human name.")
    polygon: list[RelPoint] = Field(
        min_length=3, max_length=256, description="Vertices (x, y) in relative image coordinates."
    )

    @field_validator("polygon")
    @classmethod
    def _valid_polygon(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        shape = Polygon(points)
        if not shape.is_valid:
            raise ValueError("zone polygon is self-intersecting or degenerate")
        if shape.area < _MIN_ZONE_AREA_REL:
            raise ValueError(f"zone polygon area {shape.area:.2e} is too small")
        return points


class Line(_Model):
    """A counting/crossing line from ``a`` to ``b``.

    Sides are seen on the screen while facing from ``a`` towards ``b``: with a=(0, .5) and
    b=(1, .5), ``left_to_right`` means moving downwards across the line.
    """

    id: Identifier
    name: str = Field(default="", max_length=200, description="Human name.")
    a: RelPoint = Field(description="Start point (x, y), relative image coordinates.")
    b: RelPoint = Field(description="End point (x, y), relative image coordinates.")
    direction: Literal["left_to_right", "right_to_left", "any"] = Field(
        default="any", description="Crossing direction that counts, facing from a to b."
    )

    @model_validator(mode="after")
    def _distinct_points(self) -> Line:
        if abs(self.a[0] - self.b[0]) + abs(self.a[1] - self.b[1]) < 1e-3:
            raise ValueError("line end points must be distinct")
        return self


class SceneConfig(_Model):
    """Zones, lines and rules attached to one camera."""

    id: Identifier
    camera_id: Identifier
    name: str = Field(default="", max_length=200, description="Human name.")
    zones: list[Zone] = Field(default_factory=list, description="Polygons referenced by rules.")
    lines: list[Line] = Field(default_factory=list, description="Lines referenced by rules.")
    rules: list[RuleConfig] = Field(default_factory=list, description="Rules evaluated per frame.")
    max_frame_gap_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest time step a rule accepts between frames; larger jumps are clamped.",
    )

    @model_validator(mode="after")
    def _references(self) -> SceneConfig:
        _unique("zone", (z.id for z in self.zones))
        _unique("line", (ln.id for ln in self.lines))
        _unique("rule", (r.id for r in self.rules))
        zones = {z.id for z in self.zones}
        lines = {ln.id for ln in self.lines}
        by_id = {r.id: r for r in self.rules}
        for rule in self.rules:
            _check_rule_refs(rule, zones, lines, by_id)
        return self

    def zone(self, zone_id: str) -> Zone:
        """Return the zone with ``zone_id``."""
        return next(z for z in self.zones if z.id == zone_id)

    def line(self, line_id: str) -> Line:
        """Return the line with ``line_id``."""
        return next(ln for ln in self.lines if ln.id == line_id)


def _unique(what: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ValueError(f"duplicate {what} id {ident!r}")
        seen.add(ident)


def _check_rule_refs(
    rule: RuleConfig, zones: set[str], lines: set[str], by_id: dict[str, RuleConfig]
) -> None:
    zone_id = getattr(rule, "zone_id", None)
    if zone_id is not None and zone_id not in zones:
        raise ValueError(f"rule {rule.id!r} references unknown zone {zone_id!r}")
    line_id = getattr(rule, "line_id", None)
    if line_id is not None and line_id not in lines:
        raise ValueError(f"rule {rule.id!r} references unknown line {line_id!r}")
    if isinstance(rule, CompositionRuleConfig):
        for ref in (rule.first_rule_id, rule.then_rule_id):
            target = by_id.get(ref)
            if target is None:
                raise ValueError(f"rule {rule.id!r} references unknown rule {ref!r}")
            if isinstance(target, CompositionRuleConfig):
                raise ValueError(f"rule {rule.id!r}: a composition cannot use composition {ref!r}")
        for ref in rule.supersedes:
            if ref not in by_id or ref == rule.id:
                raise ValueError(f"rule {rule.id!r} supersedes unknown rule {ref!r}")


class _SceneLoader(yaml.SafeLoader):
    """Safe YAML loader without YAML 1.1 base-60 integers (so ``22:00`` stays a string)."""


_SceneLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SceneLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)


def load_scene_yaml(source: str | Path) -> SceneConfig:
    """Parse and validate a scene from YAML text or a ``.yaml``/``.yml`` file path."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    data: Any = yaml.load(text, Loader=_SceneLoader)
    if not isinstance(data, dict):
        raise ValueError("scene YAML must be a mapping at the top level")
    return SceneConfig.model_validate(data)


def dump_scene_yaml(scene: SceneConfig, path: Path | None = None) -> str:
    """Serialise a scene to YAML (and write it to ``path`` when given); round-trips exactly."""
    data = scene.model_dump(mode="json", exclude_defaults=False)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return text


def is_active(windows: list[TimeWindow], instant: datetime) -> bool:
    """True when ``windows`` is empty (always active) or one of them contains ``instant``."""
    return not windows or any(w.contains(instant) for w in windows)
