"""Hypothesis strategies: random but legal case timelines (walks of the transition table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from dispatch.reports.facts import CaseInfo, ClockTargets, TimelineEvent
from dispatch.states import TRANSITIONS, CaseState

BASE = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
NOTES = ("merge_event", "offer_declined", "no_candidate", "arrive_refused", "escalate_note")
STAFF = ("s1", "s2", "s3")


@st.composite
def timelines(draw: st.DrawFn, case_id: int = 1) -> tuple[CaseInfo, list[TimelineEvent]]:
    """One case: fixed attributes and a legal timeline of up to 14 entries."""
    reported = BASE + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    state, at = CaseState.REPORTED, reported
    events = [TimelineEvent(1, at, "report", None, state.value, "op")]
    for seq in range(2, draw(st.integers(1, 14)) + 1):
        allowed = [a.value for (s, a) in TRANSITIONS if s == state] + list(NOTES)
        action = draw(st.sampled_from(allowed))
        at = at + timedelta(minutes=draw(st.integers(0, 90)))
        before = state
        if (state, action) in {(s, a.value) for (s, a) in TRANSITIONS}:
            state = next(t for (s, a), t in TRANSITIONS.items() if s == state and a == action)
        actor = draw(st.sampled_from(STAFF))
        events.append(TimelineEvent(seq, at, action, before.value, state.value, actor))
    due = draw(st.none() | st.integers(0, 600))
    targets = draw(st.none() | st.just(ClockTargets(180, 600, 1800)))
    info = CaseInfo(
        case_id=case_id,
        category="MT_SPILL" if targets else "06010",
        source=draw(st.sampled_from(["camera", "sensor", "inspector", "citizen"])),
        reported_at=reported,
        first_seen_at=reported - timedelta(minutes=draw(st.integers(0, 30))),
        handling_due_at=None if due is None else reported + timedelta(minutes=due),
        district=draw(st.sampled_from(["D1", "D2", None])),
        grid=None,
        camera=None,
        targets=targets,
    )
    return info, events


@st.composite
def batches(draw: st.DrawFn, max_size: int = 12) -> list[tuple[CaseInfo, list[TimelineEvent]]]:
    """Several cases with distinct ids."""
    n = draw(st.integers(1, max_size))
    return [draw(timelines(case_id=i)) for i in range(1, n + 1)]
