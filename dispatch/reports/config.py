"""Report configuration: measures, indicator formulas, composite weights (data, not code).

Every indicator is a ratio of two *measures* (counts per group of cases) or the mean of a
clock; cities change which measure divides which by editing ``ReportConfig`` (YAML/JSON), not
code. The measures are defined once in ``dispatch.reports.facts`` (pure) and mirrored in
``dispatch.reports.sql``; their exact meaning is the table in ``MEASURE_DOCS``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Measure(StrEnum):
    """Counts summed over the cases of a group (one column of the per-case facts each)."""

    CASES = "cases"
    MERGED_REPORTS = "merged_reports"
    FILED = "filed"
    VALID_REPORTS = "valid_reports"
    FILED_ON_TIME = "filed_on_time"
    DISPATCHES = "dispatches"
    RETURNS = "returns"
    CORRECT_DISPATCHES = "correct_dispatches"
    DUE = "due"
    HANDLED = "handled"
    HANDLED_ON_TIME = "handled_on_time"
    HANDLED_LATE = "handled_late"
    OVERDUE_OPEN = "overdue_open"
    EXTENDED = "extended"
    DUE_FOR_CLOSURE = "due_for_closure"
    CLOSED = "closed"
    CLOSED_ON_TIME = "closed_on_time"
    REWORKED = "reworked"
    VOIDED = "voided"
    REJECTED = "rejected"
    PARKED = "parked"
    SELF_HANDLED = "self_handled"
    CAMERA_CASES = "camera_cases"
    CAMERA_VALID = "camera_valid"


MEASURE_DOCS: dict[Measure, str] = {
    Measure.CASES: "cases first reported in the period (one `report` event each) = reports",
    Measure.MERGED_REPORTS: "`merge_event` entries: later reports attached to a case as duplicates",
    Measure.FILED: "cases with a filing (立案): a `file` or `self_handle` action",
    Measure.VALID_REPORTS: "filed cases not ending voided or rejected",
    Measure.FILED_ON_TIME: "filed cases whose discover clock met its target (or has no target)",
    Measure.DISPATCHES: "`dispatch` actions that start an assignment to a unit (from filed, "
    "returned, reworked or parked); re-offers to another worker are not counted",
    Measure.RETURNS: "`return` actions (回退: dispatched to the wrong unit)",
    Measure.CORRECT_DISPATCHES: "dispatches - returns (each return ends exactly one dispatch)",
    Measure.DUE: "应处置: dispatched at least once and not ending voided or parked",
    Measure.HANDLED: "due cases whose last state is handled, verified, self_handled or closed",
    Measure.HANDLED_ON_TIME: "handled cases whose last handling is at or before the handling "
    "due time (no due time = on time)",
    Measure.HANDLED_LATE: "handled cases handled after the handling due time",
    Measure.OVERDUE_OPEN: "超期待处置: due, not handled, handling due time before as_of",
    Measure.EXTENDED: "due cases with at least one `extend` (延期)",
    Measure.DUE_FOR_CLOSURE: "应结案: filed cases not ending voided or parked",
    Measure.CLOSED: "cases due for closure whose last state is closed",
    Measure.CLOSED_ON_TIME: "closed cases whose last handling was on time",
    Measure.REWORKED: "cases due for closure with at least one `fail_verification` (返工)",
    Measure.VOIDED: "cases ending voided (作废)",
    Measure.REJECTED: "cases ending rejected (不予立案)",
    Measure.PARKED: "cases ending parked (挂账)",
    Measure.SELF_HANDLED: "cases with a `self_handle` (自行处置)",
    Measure.CAMERA_CASES: "cases raised by a camera (AI)",
    Measure.CAMERA_VALID: "camera cases that are valid reports (not voided or rejected)",
}

Clock = Literal["discover", "arrive", "resolve", "handling"]
CLOCKS: tuple[Clock, ...] = ("discover", "arrive", "resolve", "handling")


class IndicatorDef(BaseModel):
    """One indicator: ``numerator / denominator`` (ratio) or the mean of one clock (mean_s)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Stable identifier (column name).")
    name_zh: str = Field(description="Chinese name, e.g. 按期处置率.")
    name_en: str = Field(description="English name.")
    kind: Literal["ratio", "mean_s"] = Field("ratio", description="A ratio or a mean duration.")
    numerator: Measure | None = Field(None, description="Counted cases (ratio).")
    denominator: Measure | None = Field(None, description="Cases it is a share of (ratio).")
    clock: Clock | None = Field(None, description="Clock averaged (mean_s).")
    higher_is_better: bool = Field(True, description="Direction of improvement.")

    @model_validator(mode="after")
    def _complete(self) -> IndicatorDef:
        if self.kind == "ratio" and (self.numerator is None or self.denominator is None):
            raise ValueError(f"ratio indicator {self.key} needs a numerator and a denominator")
        if self.kind == "mean_s" and self.clock is None:
            raise ValueError(f"mean indicator {self.key} needs a clock")
        return self

    @property
    def formula(self) -> str:
        """Human-readable formula."""
        if self.kind == "ratio":
            return f"{self.numerator} / {self.denominator}"
        return f"mean({self.clock}_s)"


class CompositeTerm(BaseModel):
    """One weighted term of the composite score: ``weight * x`` or ``weight * (1 - x)``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str = Field(description="Key of a ratio indicator.")
    weight: float = Field(gt=0, description="Points this term is worth.")
    invert: bool = Field(False, description="Score 1 - x (for indicators where lower is better).")


class ReportConfig(BaseModel):
    """What a report computes. ``default_config()`` holds the national set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicators: list[IndicatorDef] = Field(description="Indicators in display order.")
    composite: list[CompositeTerm] = Field(description="Weighted composite score terms.")
    composite_missing: Literal["rescale", "none"] = Field(
        "rescale",
        description="When a term's indicator has no denominator: rescale the score to the "
        "weights present (rescale) or give no score (none).",
    )
    timezone: str = Field("Asia/Shanghai", description="Zone of day/week/month periods.")
    histogram_edges_s: list[float] = Field(
        min_length=1,
        default_factory=lambda: [
            60.0,
            180.0,
            300.0,
            600.0,
            900.0,
            1800.0,
            3600.0,
            7200.0,
            14400.0,
            28800.0,
            86400.0,
        ],
        description="Upper bin edges (seconds) of the duration distributions.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ReportConfig:
        keys = [i.key for i in self.indicators]
        if len(set(keys)) != len(keys):
            raise ValueError("indicator keys must be unique")
        ratios = {i.key for i in self.indicators if i.kind == "ratio"}
        for term in self.composite:
            if term.indicator not in ratios:
                raise ValueError(f"composite term {term.indicator!r} is not a ratio indicator")
        if sorted(self.histogram_edges_s) != self.histogram_edges_s:
            raise ValueError("histogram edges must increase")
        return self

    def indicator(self, key: str) -> IndicatorDef:
        """The indicator with ``key``."""
        for item in self.indicators:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def max_score(self) -> float:
        """The composite score of a perfect group."""
        return sum(t.weight for t in self.composite)


_LOWER_IS_BETTER = frozenset(
    {"late_handling_rate", "overdue_pending_rate", "rework_rate", "extension_rate"}
)


def _ratio(key: str, zh: str, en: str, num: Measure, den: Measure) -> IndicatorDef:
    return IndicatorDef(
        key=key,
        name_zh=zh,
        name_en=en,
        numerator=num,
        denominator=den,
        higher_is_better=key not in _LOWER_IS_BETTER,
    )


def default_config() -> ReportConfig:
    """The national indicators (DOMAIN.md section 5) and the example district's composite."""
    m = Measure
    indicators = [
        _ratio("valid_report_rate", "有效上报率", "Valid report rate", m.VALID_REPORTS, m.CASES),
        _ratio(
            "on_time_filing_rate", "按时立案率", "On-time filing rate", m.FILED_ON_TIME, m.FILED
        ),
        _ratio(
            "accurate_dispatch_rate",
            "准确派遣率",
            "Accurate dispatch rate",
            m.CORRECT_DISPATCHES,
            m.DISPATCHES,
        ),
        _ratio("handling_rate", "处置率", "Handling rate", m.HANDLED, m.DUE),
        _ratio(
            "on_time_handling_rate", "按期处置率", "On-time handling rate", m.HANDLED_ON_TIME, m.DUE
        ),
        _ratio("late_handling_rate", "超期处置率", "Late handling rate", m.HANDLED_LATE, m.DUE),
        _ratio(
            "overdue_pending_rate", "超期待处置率", "Overdue pending rate", m.OVERDUE_OPEN, m.DUE
        ),
        _ratio("rework_rate", "返工率", "Rework rate", m.REWORKED, m.DUE_FOR_CLOSURE),
        _ratio("extension_rate", "延期率", "Extension rate", m.EXTENDED, m.DUE),
        _ratio("closure_rate", "结案率", "Closure rate", m.CLOSED, m.DUE_FOR_CLOSURE),
        _ratio(
            "on_time_closure_rate",
            "按期结案率",
            "On-time closure rate",
            m.CLOSED_ON_TIME,
            m.DUE_FOR_CLOSURE,
        ),
        IndicatorDef(
            key="mean_handling_s",
            name_zh="平均处置时长",
            name_en="Mean handling time (s)",
            kind="mean_s",
            clock="handling",
            higher_is_better=False,
        ),
        _ratio("ai_precision", "AI准确率", "AI precision", m.CAMERA_VALID, m.CAMERA_CASES),
    ]
    composite = [
        CompositeTerm(indicator="handling_rate", weight=30),
        CompositeTerm(indicator="on_time_handling_rate", weight=20),
        CompositeTerm(indicator="rework_rate", weight=20, invert=True),
        CompositeTerm(indicator="overdue_pending_rate", weight=20, invert=True),
        CompositeTerm(indicator="extension_rate", weight=10, invert=True),
    ]
    return ReportConfig(indicators=indicators, composite=composite)
