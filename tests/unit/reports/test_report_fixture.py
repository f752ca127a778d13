"""The pure path on the hand-computed scenario: every case's facts, then the whole report."""

from __future__ import annotations

import pytest

from dispatch.reports.config import Measure
from dispatch.reports.facts import CaseFacts, case_facts
from dispatch.reports.pure import report_from_timelines
from tests.unit.reports import expected as x
from tests.unit.reports.checks import WITH_COMMUNITY, check_breakdowns, check_overall
from tests.unit.reports.scenario import END, GRID_CODES, SPECS, START, TEAMS, pure_inputs

_EVENT_COUNTS = (Measure.DISPATCHES, Measure.RETURNS, Measure.MERGED_REPORTS)


def _facts(name: str) -> CaseFacts:
    by_name = {s.name: item for s, item in zip(SPECS, pure_inputs(), strict=True)}
    info, events = by_name[name]
    return case_facts(info, events, END)


@pytest.mark.parametrize("name", sorted(x.CASES))
def test_case_facts_match_the_hand_table(name: str) -> None:
    flags, event_counts, clocks_s, oks, staff, outcome = x.CASES[name]
    facts = _facts(name)
    ones = {x.LETTERS[c] for c in flags} | {Measure.CASES}
    zero_one = {m: int(m in ones) for m in Measure if m not in _EVENT_COUNTS}
    zero_one.pop(Measure.CORRECT_DISPATCHES)
    assert {m: facts.counts[m] for m in zero_one} == zero_one
    assert tuple(facts.counts[m] for m in _EVENT_COUNTS) == event_counts
    assert facts.counts[Measure.CORRECT_DISPATCHES] == event_counts[0] - event_counts[1]
    got_clocks = (facts.discover_s, facts.arrive_s, facts.resolve_s, facts.handling_s)
    assert got_clocks == clocks_s
    assert (facts.discover_ok, facts.arrive_ok, facts.resolve_ok) == oks
    assert (facts.staff, facts.outcome) == (staff, outcome)


def test_pure_report_matches_the_hand_totals() -> None:
    report = report_from_timelines(
        pure_inputs(),
        start=START,
        end=END,
        teams=TEAMS,
        breakdowns=WITH_COMMUNITY,
        grid_codes=GRID_CODES,
    )
    assert "community" in report.breakdowns
    check_overall(report)
    check_breakdowns(report)


def test_cases_outside_the_range_are_left_out() -> None:
    inside = report_from_timelines(pure_inputs(), start=START, end=END, teams=TEAMS)
    assert inside.overall.counts["cases"] == len(x.CASES)
    names = [s.name for s in SPECS]
    only_outside = [
        p for s, p in zip(SPECS, pure_inputs(), strict=True) if s.name in x.OUT_OF_RANGE
    ]
    empty = report_from_timelines(only_outside, start=START, end=END)
    assert empty.overall.counts["cases"] == 0
    assert empty.overall.composite is None
    assert set(x.OUT_OF_RANGE) <= set(names)


def test_entries_after_as_of_are_ignored_and_later_as_of_sees_them() -> None:
    # c16 arrives at 16:10Z and handles at 16:20Z, after the default as_of (= end, 16:00Z).
    later = END.replace(hour=17)
    report = report_from_timelines(pure_inputs(), start=START, end=END, as_of=later, teams=TEAMS)
    counts = report.overall.counts
    assert counts["handled"] == x.COUNTS[Measure.HANDLED] + 1  # c16 now handled
    assert report.overall.outcomes["awaiting_closure"] == x.OUTCOMES["awaiting_closure"] + 1


@pytest.mark.parametrize(
    ("start", "end", "as_of", "message"),
    [
        (END, START, None, "empty"),
        (START, START, None, "empty"),
        (START, END, START, "as_of"),
    ],
)
def test_bad_windows_are_refused(start, end, as_of, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        report_from_timelines([], start=start, end=end, as_of=as_of)
