"""Indicator configuration, composite score and local periods."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dispatch.reports.config import (
    CompositeTerm,
    IndicatorDef,
    Measure,
    ReportConfig,
    default_config,
)
from dispatch.reports.model import Dimension, composite_score, parse_breakdowns
from dispatch.reports.periods import Granularity, period_bounds, period_label


@pytest.mark.parametrize(
    ("values", "missing", "expected"),
    [
        # all terms present: 30*1 + 20*1 + 20*(1-0) + 20*(1-0) + 10*(1-0)
        ({"handling_rate": 1, "on_time_handling_rate": 1, "rework_rate": 0,
          "overdue_pending_rate": 0, "extension_rate": 0}, "rescale", 100.0),
        # 30*0.5 + 20*0.25 + 20*(1-0.5) + 20*(1-0.1) + 10*(1-0.2) = 15+5+10+18+8
        ({"handling_rate": 0.5, "on_time_handling_rate": 0.25, "rework_rate": 0.5,
          "overdue_pending_rate": 0.1, "extension_rate": 0.2}, "rescale", 56.0),
        # rework missing: (15+5+18+8) / 80 weight points * 100
        ({"handling_rate": 0.5, "on_time_handling_rate": 0.25, "rework_rate": None,
          "overdue_pending_rate": 0.1, "extension_rate": 0.2}, "rescale", 57.5),
        ({"handling_rate": 0.5, "on_time_handling_rate": 0.25, "rework_rate": None,
          "overdue_pending_rate": 0.1, "extension_rate": 0.2}, "none", None),
        ({}, "rescale", None),
    ],
)  # fmt: skip
def test_composite_score(values, missing: str, expected: float | None) -> None:
    config = default_config().model_copy(update={"composite_missing": missing})
    assert composite_score(values, config) == (
        None if expected is None else pytest.approx(expected)
    )


def _ratio(key: str, num: Measure = Measure.HANDLED, den: Measure = Measure.DUE) -> IndicatorDef:
    return IndicatorDef(key=key, name_zh=key, name_en=key, numerator=num, denominator=den)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: IndicatorDef(key="a", name_zh="a", name_en="a", numerator=Measure.DUE),
         "numerator"),
        (lambda: IndicatorDef(key="a", name_zh="a", name_en="a", kind="mean_s"), "clock"),
        (lambda: IndicatorDef(key="Bad Key", name_zh="a", name_en="a", kind="mean_s",
                              clock="arrive"), "pattern"),
        (lambda: ReportConfig(indicators=[_ratio("a"), _ratio("a")], composite=[]), "unique"),
        (lambda: ReportConfig(indicators=[_ratio("a")],
                              composite=[CompositeTerm(indicator="b", weight=1)]), "not a ratio"),
        (lambda: ReportConfig(indicators=[], composite=[], histogram_edges_s=[5, 1]), "increase"),
        (lambda: CompositeTerm(indicator="a", weight=0), "greater than 0"),
    ],
)  # fmt: skip
def test_bad_configs_are_refused(build, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_denominators_are_data() -> None:
    """Switching 结案率's denominator to 'handled' changes the formula without code."""
    custom = ReportConfig(
        indicators=[_ratio("closure_rate", Measure.CLOSED, Measure.HANDLED)], composite=[]
    )
    assert custom.indicator("closure_rate").formula == "closed / handled"
    assert ReportConfig.model_validate_json(custom.model_dump_json()) == custom
    with pytest.raises(KeyError):
        custom.indicator("nope")


@pytest.mark.parametrize(
    ("instant", "granularity", "label"),
    [
        (datetime(2026, 11, 22, 15, 59, tzinfo=UTC), Granularity.DAY, "2026-11-22"),
        (datetime(2026, 11, 22, 16, 0, tzinfo=UTC), Granularity.DAY, "2026-11-23"),
        (datetime(2026, 11, 22, 16, 0, tzinfo=UTC), Granularity.WEEK, "2026-W48"),
        (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), Granularity.MONTH, "2026-12"),
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), Granularity.WEEK, "2026-W53"),
    ],
)
def test_period_labels_are_local(instant: datetime, granularity: Granularity, label: str) -> None:
    assert period_label(instant, granularity, "Asia/Shanghai") == label


def test_period_bounds_follow_daylight_saving() -> None:
    # Europe/Berlin: 2026-03-29 has 23 hours; boundaries at local midnight.
    bounds = period_bounds(
        datetime(2026, 3, 28, 0, tzinfo=UTC), datetime(2026, 3, 30, 0, tzinfo=UTC),
        Granularity.DAY, "Europe/Berlin",
    )  # fmt: skip
    assert bounds == [
        (datetime(2026, 3, 27, 23, tzinfo=UTC), "2026-03-28"),
        (datetime(2026, 3, 28, 23, tzinfo=UTC), "2026-03-29"),
        (datetime(2026, 3, 29, 22, tzinfo=UTC), "2026-03-30"),
    ]
    months = period_bounds(
        datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC),
        Granularity.MONTH, "UTC",
    )  # fmt: skip
    assert [label for _, label in months] == ["2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("district,category", [(Dimension.DISTRICT,), (Dimension.CATEGORY,)]),
        ("district+category, day", [(Dimension.DISTRICT, Dimension.CATEGORY), (Dimension.DAY,)]),
        ("", []),
    ],
)
def test_parse_breakdowns(text: str, expected: list[tuple[Dimension, ...]]) -> None:
    assert parse_breakdowns(text) == expected


def test_parse_breakdowns_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="planet"):
        parse_breakdowns("district,planet")
