"""Assertions of a whole report against the hand-computed values (shared by unit and DB tests)."""

from __future__ import annotations

import pytest

from dispatch.reports.model import DEFAULT_BREAKDOWNS, Breakdown, Dimension, GroupAgg, Report
from tests.unit.reports import expected as x
from tests.unit.reports import scenario


def _counts(report: Report, breakdown: str, key: str | None) -> dict[str, int]:
    rows = {r.keys[breakdown]: r for r in report.breakdowns[breakdown]}
    return rows[key].counts


def check_overall(report: Report) -> None:
    """Counts, outcomes, clocks, indicators and composite of the whole range."""
    overall = report.overall
    assert overall.counts == {m.value: n for m, n in x.COUNTS.items()}
    assert overall.outcomes == x.OUTCOMES
    for clock, (n, mean, p50, p90, with_target, within) in x.CLOCKS.items():
        got = overall.clocks[clock]
        assert (got.n, got.mean_s, got.p50_s, got.p90_s) == (n, mean, p50, p90), clock
        assert (got.with_target, got.within) == (with_target, within), clock
    for key, value in x.INDICATORS.items():
        assert overall.indicators[key] == pytest.approx(float(value), rel=1e-12), key
    assert overall.composite == pytest.approx(x.COMPOSITE, abs=1e-6)
    assert [b.count for b in report.histograms["arrive"]] == x.ARRIVE_HISTOGRAM


WITH_COMMUNITY: tuple[Breakdown, ...] = (*DEFAULT_BREAKDOWNS, (Dimension.COMMUNITY,))
"""The default breakdowns plus community, so the hand-value tests check that level too."""


def _row(report: Report, dim: str, key: str) -> GroupAgg:
    return next(r for r in report.breakdowns[dim] if r.keys[dim] == key)


def check_breakdowns(report: Report) -> None:
    """District, day, staff, team, source, category and camera rows."""
    for district, values in x.DISTRICTS.items():
        row = report.breakdowns["district"]
        got = next(r for r in row if r.keys["district"] == district)
        c = got.counts
        names = ["cases", "due", "handled", "handled_on_time", "overdue_open"]
        names += ["due_for_closure", "closed", "reworked", "extended"]
        measured = tuple(c[n] for n in names)
        assert measured == values[:9], district
        assert got.composite == pytest.approx(values[9], abs=1e-6), district
    for day, (cases, due, handled, closed) in x.DAYS.items():
        c = _counts(report, "day", day)
        assert (c["cases"], c["due"], c["handled"], c["closed"]) == (cases, due, handled, closed)
    for name, expected in (
        ("staff", x.STAFF),
        ("team", x.TEAMS),
        ("source", x.SOURCES),
        ("category", x.CATEGORIES),
    ):
        got_counts = {r.keys[name]: r.counts["cases"] for r in report.breakdowns[name]}
        assert got_counts == expected, name
    # Street and community come from the grid codes: D1's grids share street 440304001.
    for level, of in (("street", {"440304001": "D1", "440304002": "D2"}),
                      ("community", {"440304001001": "G1", "440304001002": "G2",
                                     "440304002001": "G3"})):  # fmt: skip
        if level == "community" and level not in report.breakdowns:
            continue  # not a default breakdown; the tests that ask for it get it checked
        rows = {r.keys[level]: r.counts for r in report.breakdowns[level]}
        assert set(rows) == set(of), level
        for code, parent in of.items():
            dim = "district" if level == "street" else "grid"
            key = parent if dim == "district" else str(getattr(scenario, parent))
            assert rows[code] == _row(report, dim, key).counts, (level, code)
    s1 = next(r for r in report.breakdowns["staff"] if r.keys["staff"] == "s1")
    assert (s1.clocks["arrive"].p50_s, s1.clocks["arrive"].p90_s) == x.STAFF_S1_ARRIVE
    precision = {
        r.keys["camera"]: r.indicators["ai_precision"] for r in report.breakdowns["camera"]
    }
    assert precision == {k: (None if v is None else float(v)) for k, v in x.CAMERAS.items()}
