"""Configuration of the sensor rules (pydantic, ``extra="forbid"``, every field described)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from scenes.sensors.fixes import FixFilterConfig


class _RuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Rule id.")
    category_code: str = Field(min_length=1, description="Category of the events it files.")
    cooldown_s: float = Field(900.0, ge=0, description="Quiet time per device (and zone).")


class RestrictedAreaRuleConfig(_RuleConfig):
    """A muck truck inside a restricted zone while one of the zone's time windows is active."""

    id: str = Field("mt_restricted", description="Rule id.")
    category_code: str = Field("MT_RESTRICTED", min_length=1, description="Category code.")
    min_fixes: int = Field(2, ge=1, description="Consecutive fixes inside before it fires.")
    exit_fixes: int = Field(2, ge=1, description="Consecutive fixes outside that end an entry.")


class SpeedingRuleConfig(_RuleConfig):
    """Device-reported speed over the limit for consecutive fixes."""

    id: str = Field("mt_speeding", description="Rule id.")
    category_code: str = Field("MT_SPEEDING", min_length=1, description="Category code.")
    limit_kmh: float = Field(60.0, gt=0, description="Speed limit in km/h.")
    min_fixes: int = Field(3, ge=1, description="Consecutive fixes over the limit.")


class DumpingRuleConfig(_RuleConfig):
    """A stop longer than ``min_stop_s`` outside every permitted area: possible dumping."""

    id: str = Field("mt_dumping", description="Rule id.")
    category_code: str = Field("MT_DUMPING", min_length=1, description="Category code.")
    stop_speed_kmh: float = Field(5.0, ge=0, description="At or below this a fix is 'stopped'.")
    stop_radius_m: float = Field(50.0, gt=0, description="A stop ends beyond this drift (m).")
    min_stop_s: float = Field(300.0, gt=0, description="Stop duration that fires (s).")
    confidence: float = Field(0.3, ge=0, le=1, description="Low: a stop is not proof.")


class DustRuleConfig(_RuleConfig):
    """A dust measurement (e.g. PM10) above the threshold for a duration."""

    id: str = Field("site_dust", description="Rule id.")
    category_code: str = Field("SITE_DUST", min_length=1, description="Category code.")
    kind: str = Field("pm10", description="Measurement kind the rule reads.")
    threshold: float = Field(150.0, description="Value above which it counts (e.g. ug/m3).")
    clear_below: float | None = Field(
        None, description="Value at or below which an episode ends; default = threshold."
    )
    min_duration_s: float = Field(900.0, ge=0, description="Time above threshold that fires.")
    max_gap_s: float = Field(600.0, gt=0, description="A longer gap restarts the episode (s).")


class SensorRulesConfig(BaseModel):
    """Which sensor rules run, with their thresholds (``None`` disables a rule)."""

    model_config = ConfigDict(extra="forbid")

    restricted: RestrictedAreaRuleConfig | None = Field(
        default_factory=RestrictedAreaRuleConfig, description="Restricted zone/hours rule."
    )
    speeding: SpeedingRuleConfig | None = Field(
        default_factory=SpeedingRuleConfig, description="Speeding rule."
    )
    dumping: DumpingRuleConfig | None = Field(
        default_factory=DumpingRuleConfig, description="Possible dumping rule."
    )
    dust: DustRuleConfig | None = Field(default_factory=DustRuleConfig, description="Dust rule.")
    fixes: FixFilterConfig = Field(default_factory=FixFilterConfig, description="Fix gate.")
