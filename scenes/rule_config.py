"""Rule configurations: one pydantic model per rule ``kind``, joined in a discriminated union.

Hysteresis is explicit on every rule: ``min_frames`` (frames seen before firing), ``exit_grace_s``
(absence tolerated before an episode ends: border flicker, occlusion), ``cooldown_s`` (minimum time
between two events for the same track) and, where relevant, ``dwell_s``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scenes.time_window import TimeWindow

RuleId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Rule identifier.")
]
ClassList = Annotated[
    list[str], Field(min_length=1, description="Detector class names the rule applies to.")
]


class _RuleBase(BaseModel):
    """Fields shared by every rule."""

    model_config = ConfigDict(extra="forbid")

    id: RuleId
    name: str = Field(default="", max_length=200, description="Human name shown with events.")
    category_code: str = Field(min_length=1, description="Violation category code raised.")
    enabled: bool = Field(default=True, description="Evaluate this rule.")
    emit: bool = Field(
        default=True,
        description="Publish hits as events; false for building blocks of a composition.",
    )
    active_windows: list[TimeWindow] = Field(
        default_factory=list, description="Local time windows when the rule runs; empty = always."
    )
    cooldown_s: float = Field(
        default=600.0, ge=0, description="Minimum time between two events for the same track."
    )


class _ObjectRule(_RuleBase):
    """Rules that look at detected objects."""

    object_classes: ClassList
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Attribute conditions that must all hold, e.g. load."
    )
    min_confidence: float = Field(default=0.25, ge=0, le=1, description="Ignore weaker detections.")
    min_frames: int = Field(
        default=3, ge=1, description="Frames the condition must be seen before firing."
    )
    min_seconds: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="Also fire once the condition has held this long over at least two frames, "
        "even if fewer than min_frames were seen: a camera sampled at 1 fps sees a fast truck "
        "on only two or three frames. Null: frames only.",
    )
    exit_grace_s: float = Field(
        default=3.0,
        ge=0,
        description="Absence tolerated before an episode ends (flicker, occlusion).",
    )
    id_switch_radius_rel: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="A new track appearing this close (relative units) to a just-lost one is "
        "treated as the same object; 0 disables.",
    )


class ZonePresenceRuleConfig(_ObjectRule):
    """Fires when an object's bottom-centre is inside a zone for ``min_frames``."""

    kind: Literal["zone_presence"] = Field(default="zone_presence", description="Rule type.")
    zone_id: str = Field(description="Zone the object must be in.")


class LineCrossingRuleConfig(_ObjectRule):
    """Fires when an object's bottom-centre crosses a line in the configured direction."""

    kind: Literal["line_crossing"] = Field(default="line_crossing", description="Rule type.")
    line_id: str = Field(description="Line to cross.")
    direction: Literal["left_to_right", "right_to_left", "any"] | None = Field(
        default=None, description="Overrides the line's direction when set."
    )
    min_frames: int = Field(
        default=1, ge=1, description="Frames the track must be seen before crossing."
    )


class DwellRuleConfig(_ObjectRule):
    """Fires when an object stays (stationary) in a zone for ``dwell_s``: parking, dumping."""

    kind: Literal["dwell"] = Field(default="dwell", description="Rule type.")
    zone_id: str = Field(description="Zone where staying is not allowed.")
    dwell_s: float = Field(gt=0, description="Seconds the object must stay before firing.")
    max_move_rel: float | None = Field(
        default=0.05,
        gt=0,
        le=1,
        description="Stationary if the anchor stays this close to where the dwell began "
        "(relative units); null = loitering anywhere in the zone.",
    )


class SpeedRuleConfig(_ObjectRule):
    """Fires when ground speed exceeds a limit; needs a calibrated camera."""

    kind: Literal["speed"] = Field(default="speed", description="Rule type.")
    zone_id: str | None = Field(
        default=None, description="Measure only inside this zone; null = anywhere."
    )
    max_speed_kmh: float = Field(gt=0, le=300, description="Speed limit in km/h.")
    window_s: float = Field(
        default=3.0, gt=0, description="Time span over which speed is measured."
    )
    min_span_s: float = Field(default=0.9, gt=0, description="Shortest span giving a valid speed.")
    min_frames: int = Field(default=2, ge=1, description="Frames over the limit before firing.")
    anchor_uncertainty_px: float = Field(
        default=2.0,
        ge=0,
        le=50,
        description="Box jitter allowed at each end of the measured span, in pixels; its ground "
        "length (large far from the camera) is taken off the distance, so jitter cannot make a "
        "vehicle speed.",
    )

    @model_validator(mode="after")
    def _span_within_window(self) -> SpeedRuleConfig:
        if self.min_span_s > self.window_s:
            raise ValueError("min_span_s must not exceed window_s")
        return self


class CountRuleConfig(_ObjectRule):
    """Fires when at least ``min_count`` objects are in a zone for ``min_frames`` (crowding)."""

    kind: Literal["count"] = Field(default="count", description="Rule type.")
    zone_id: str = Field(description="Zone where objects are counted.")
    min_count: int = Field(ge=1, description="Objects needed to fire.")


class AttributeRuleConfig(_ObjectRule):
    """Fires when an object shows the required attributes for ``min_frames`` (uncovered load)."""

    kind: Literal["attribute"] = Field(default="attribute", description="Rule type.")
    attributes: dict[str, str] = Field(
        min_length=1, description="Attribute conditions that must all hold, e.g. load: uncovered."
    )
    zone_id: str | None = Field(default=None, description="Only inside this zone; null = anywhere.")


class SpillageRuleConfig(_ObjectRule):
    """Fires when new static debris appears where a carrier (truck) passed shortly before."""

    kind: Literal["spillage"] = Field(default="spillage", description="Rule type.")
    object_classes: ClassList = Field(
        default_factory=lambda: ["debris"], description="Classes counted as spilled material."
    )
    carrier_classes: ClassList = Field(
        default_factory=lambda: ["truck"], description="Classes that may spill (carriers)."
    )
    zone_id: str | None = Field(default=None, description="Road area to watch; null = whole image.")
    within_s: float = Field(
        default=30.0,
        gt=0,
        description="Debris must appear within this time after a carrier passed.",
    )
    near_rel: float = Field(
        default=0.08,
        gt=0,
        le=1,
        description="Debris must lie this close to the carrier path (relative).",
    )
    max_move_rel: float = Field(
        default=0.02,
        gt=0,
        le=1,
        description="Debris moving further than this is not static: ignored.",
    )


class CompositionRuleConfig(_RuleBase):
    """Fires when rule A hits and then rule B hits within ``within_s`` (dwell then debris)."""

    kind: Literal["composition"] = Field(default="composition", description="Rule type.")
    first_rule_id: str = Field(description="Rule A (its track becomes the event's track).")
    then_rule_id: str = Field(description="Rule B, whose violation must begin after A's.")
    within_s: float = Field(
        gt=0, description="B must begin after A began and at most this long after A fired."
    )
    max_distance_rel: float | None = Field(
        default=0.2,
        gt=0,
        description="B must be this close to A (relative units); null = anywhere.",
    )
    supersedes: list[str] = Field(
        default_factory=list,
        max_length=16,
        description="Rules whose hit on B's object in the same frame this event replaces: "
        "debris dumped by a stopped truck is reported as dumping, not also as spillage.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> CompositionRuleConfig:
        if self.first_rule_id == self.then_rule_id:
            raise ValueError("a composition needs two different rules")
        if self.id in (self.first_rule_id, self.then_rule_id):
            raise ValueError("a composition cannot reference itself")
        return self


RuleConfig = Annotated[
    ZonePresenceRuleConfig
    | LineCrossingRuleConfig
    | DwellRuleConfig
    | SpeedRuleConfig
    | CountRuleConfig
    | AttributeRuleConfig
    | SpillageRuleConfig
    | CompositionRuleConfig,
    Field(discriminator="kind"),
]
"""Any rule configuration, told apart by ``kind``."""

ObjectRuleConfig = (
    ZonePresenceRuleConfig
    | LineCrossingRuleConfig
    | DwellRuleConfig
    | SpeedRuleConfig
    | CountRuleConfig
    | AttributeRuleConfig
    | SpillageRuleConfig
)
