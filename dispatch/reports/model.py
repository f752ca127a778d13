"""Report values: per-group counts, clock summaries, indicators and composite score (JSON-ready)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dispatch.metrics import rate
from dispatch.reports.config import CLOCKS, Clock, Measure, ReportConfig

DURATION_DECIMALS = 3  # durations are reported to the millisecond on every path


class Dimension(StrEnum):
    """What a breakdown groups by."""

    CATEGORY = "category"
    DISTRICT = "district"
    GRID = "grid"
    STREET = "street"
    COMMUNITY = "community"
    UNIT = "unit"
    TEAM = "team"
    STAFF = "staff"
    SOURCE = "source"
    CAMERA = "camera"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


Breakdown = tuple[Dimension, ...]
GRID_PREFIXES: dict[Dimension, int] = {Dimension.STREET: 9, Dimension.COMMUNITY: 12}
"""Dimensions read off the case's grid cell code (``areas.code`` of its grid): 6 county + 3
street (街道) + 3 community (社区) + 3 cell digits; the value is the code's prefix."""


def grid_prefix(code: str | None, digits: int) -> str | None:
    """The first ``digits`` of a 15-digit grid code; None for a missing or non-standard code."""
    if code is None or len(code) != 15 or not (code.isascii() and code.isdigit()):
        return None
    return code[:digits]


DEFAULT_BREAKDOWNS: tuple[Breakdown, ...] = (
    (Dimension.CATEGORY,),
    (Dimension.DISTRICT,),
    (Dimension.GRID,),
    (Dimension.STREET,),
    (Dimension.TEAM,),
    (Dimension.STAFF,),
    (Dimension.SOURCE,),
    (Dimension.CAMERA,),
    (Dimension.DAY,),
)


def breakdown_name(breakdown: Breakdown) -> str:
    """``district+category`` style name of a breakdown."""
    return "+".join(d.value for d in breakdown)


def parse_breakdowns(text: str) -> list[Breakdown]:
    """``"district,category,district+category"`` -> breakdowns (ValueError on unknown names)."""
    out: list[Breakdown] = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            out.append(tuple(Dimension(name.strip()) for name in item.split("+")))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DURATION_DECIMALS)


@dataclass(frozen=True)
class ClockAgg:
    """One clock over a group: count, mean, p50, p90 (linear interpolation), targets met."""

    n: int
    mean_s: float | None
    p50_s: float | None
    p90_s: float | None
    with_target: int
    within: int

    @classmethod
    def of(
        cls,
        n: int,
        mean_s: float | None,
        p50_s: float | None,
        p90_s: float | None,
        with_target: int,
        within: int,
    ) -> ClockAgg:
        """Build with durations rounded to the millisecond."""
        return cls(n, _round(mean_s), _round(p50_s), _round(p90_s), with_target, within)


@dataclass
class GroupAgg:
    """Raw aggregates of one group, as both the pure and the SQL paths produce them."""

    keys: dict[str, str | None]
    counts: dict[Measure, int]
    outcomes: dict[str, int]
    clocks: dict[Clock, ClockAgg] = field(default_factory=dict)


class ClockStats(BaseModel):
    """Summary of one clock in a group."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(description="Cases where the clock stopped.")
    mean_s: float | None = Field(description="Mean seconds.")
    p50_s: float | None = Field(description="Median seconds (percentile_cont 0.5).")
    p90_s: float | None = Field(description="90th percentile seconds (percentile_cont 0.9).")
    with_target: int = Field(description="Cases with a target on this clock.")
    within: int = Field(description="Of those, cases within the target.")
    within_target: float | None = Field(description="within / with_target.")


class GroupStats(BaseModel):
    """One row of a breakdown."""

    model_config = ConfigDict(frozen=True)

    keys: dict[str, str | None] = Field(description="Dimension -> value (None = not set).")
    counts: dict[str, int] = Field(description="Measure -> count.")
    outcomes: dict[str, int] = Field(description="Outcome bucket -> cases.")
    clocks: dict[str, ClockStats] = Field(description="discover/arrive/resolve/handling.")
    indicators: dict[str, float | None] = Field(description="Indicator key -> value.")
    composite: float | None = Field(description="Weighted composite score.")


class HistogramBin(BaseModel):
    """Cases whose clock is in ``(lower_s, upper_s]`` (``upper_s`` None = no upper bound)."""

    upper_s: float | None
    count: int


class Report(BaseModel):
    """A full report: overall row, breakdowns and distributions."""

    start: datetime
    end: datetime
    as_of: datetime
    timezone: str
    engine: str = Field(
        description="python, postgresql or sqlite (timeline in SQL), or postgresql+facts / "
        "sqlite+facts (the case_facts table)."
    )
    overall: GroupStats
    breakdowns: dict[str, list[GroupStats]]
    histograms: dict[str, list[HistogramBin]]
    config: ReportConfig


def clock_stats(agg: ClockAgg) -> ClockStats:
    """Public form of a clock aggregate."""
    share = None if agg.with_target == 0 else agg.within / agg.with_target
    return ClockStats.model_construct(  # typed values from our own aggregates: no validation
        n=agg.n,
        mean_s=agg.mean_s,
        p50_s=agg.p50_s,
        p90_s=agg.p90_s,
        with_target=agg.with_target,
        within=agg.within,
        within_target=share,
    )


def indicators_of(
    counts: dict[Measure, int], clocks: dict[str, ClockStats], config: ReportConfig
) -> dict[str, float | None]:
    """Indicator values of one group (``None`` when the denominator is zero)."""
    out: dict[str, float | None] = {}
    for item in config.indicators:
        if item.kind == "mean_s":
            stats = clocks.get(item.clock or "")
            out[item.key] = None if stats is None else stats.mean_s
        else:
            assert item.numerator is not None and item.denominator is not None
            out[item.key] = rate(counts[item.numerator], counts[item.denominator])
    return out


def composite_score(values: dict[str, float | None], config: ReportConfig) -> float | None:
    """Sum of ``weight * x`` (or ``weight * (1 - x)``), rescaled over missing terms if set."""
    got, weights = 0.0, 0.0
    for term in config.composite:
        x = values.get(term.indicator)
        if x is None:
            if config.composite_missing == "none":
                return None
            continue
        got += term.weight * ((1 - x) if term.invert else x)
        weights += term.weight
    if weights == 0:
        return None
    return round(got * config.max_score / weights, 6)


_MEASURE_KEYS = [(m, m.value) for m in Measure]


def finalize(agg: GroupAgg, config: ReportConfig) -> GroupStats:
    """Indicators and the composite score of a raw group."""
    clocks: dict[str, ClockStats] = {
        c: clock_stats(agg.clocks[c]) for c in CLOCKS if c in agg.clocks
    }
    values = indicators_of(agg.counts, clocks, config)
    return GroupStats.model_construct(  # thousands of groups per report: skip re-validation
        keys=agg.keys,
        counts={key: agg.counts[m] for m, key in _MEASURE_KEYS},
        outcomes=agg.outcomes,
        clocks=clocks,
        indicators=values,
        composite=composite_score(values, config),
    )
