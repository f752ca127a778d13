"""Properties that hold for any legal timeline: counts reconcile, measures nest, rates are rates."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.reports.aggregate import aggregate
from dispatch.reports.config import Measure
from dispatch.reports.facts import OUTCOMES, case_facts
from dispatch.reports.model import Dimension
from dispatch.reports.pure import report_from_timelines
from tests.unit.reports.strategies import BASE, batches, timelines

M = Measure


@settings(max_examples=120, deadline=None)
@given(case=timelines(), as_of_min=st.integers(0, 5 * 24 * 60))
def test_every_case_is_in_exactly_one_bucket_and_measures_nest(case, as_of_min: int) -> None:
    info, events = case
    facts = case_facts(info, events, BASE + timedelta(minutes=as_of_min))
    c = facts.counts
    assert facts.outcome in OUTCOMES
    assert (facts.outcome == "unfiled") == (c[M.FILED] == 0)
    assert c[M.HANDLED_ON_TIME] + c[M.HANDLED_LATE] == c[M.HANDLED] <= c[M.DUE]
    assert c[M.OVERDUE_OPEN] <= c[M.DUE] - c[M.HANDLED]
    assert c[M.CLOSED_ON_TIME] <= c[M.CLOSED] <= c[M.DUE_FOR_CLOSURE] <= c[M.FILED]
    assert c[M.REWORKED] <= c[M.DUE_FOR_CLOSURE] and c[M.EXTENDED] <= c[M.DUE]
    assert c[M.VALID_REPORTS] <= c[M.FILED] and c[M.CAMERA_VALID] <= c[M.CAMERA_CASES]
    assert c[M.CORRECT_DISPATCHES] == c[M.DISPATCHES] - c[M.RETURNS] >= 0


@settings(max_examples=40, deadline=None)
@given(cases=batches(), as_of_min=st.integers(3 * 24 * 60 + 1, 6 * 24 * 60))
def test_filed_cases_reconcile_with_outcome_buckets(cases, as_of_min: int) -> None:
    start, end = BASE, BASE + timedelta(days=3, minutes=1)
    report = report_from_timelines(
        cases, start=start, end=end, as_of=BASE + timedelta(minutes=as_of_min)
    )
    counts, outcomes = report.overall.counts, report.overall.outcomes
    assert sum(outcomes.values()) == counts["cases"] == len(cases)
    assert sum(n for o, n in outcomes.items() if o != "unfiled") == counts["filed"]
    assert outcomes["closed"] == counts["closed"]
    for value in report.overall.indicators.values():
        assert value is None or value >= 0
    for key, value in report.overall.indicators.items():
        if key != "mean_handling_s" and value is not None:
            assert value <= 1
    by_district = report.breakdowns["district"]
    assert sum(r.counts["filed"] for r in by_district) == counts["filed"]


@settings(max_examples=40, deadline=None)
@given(cases=batches())
def test_group_counts_add_up_to_the_whole(cases) -> None:
    facts = [case_facts(i, ev, BASE + timedelta(days=10)) for i, ev in cases]
    whole = aggregate(facts, (), tz="Asia/Shanghai")[0]
    parts = aggregate(facts, (Dimension.SOURCE,), tz="Asia/Shanghai")
    for measure in Measure:
        assert sum(p.counts[measure] for p in parts) == whole.counts[measure]
    assert sum(p.clocks["arrive"].n for p in parts) == whole.clocks["arrive"].n
