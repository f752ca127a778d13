"""Table tests for the case state machine (dispatch/states.py)."""

from __future__ import annotations

import itertools

import pytest

from dispatch.states import (
    OPEN_STATES,
    TERMINAL,
    TRANSITIONS,
    CaseAction,
    CaseState,
    IllegalTransition,
    allowed_actions,
    transition,
)

S, A = CaseState, CaseAction

# The workflow as DOMAIN.md section 2 describes it, written out independently of the table.
WORKFLOW: list[tuple[CaseState, CaseAction, CaseState]] = [
    (S.REPORTED, A.FILE, S.FILED),
    (S.REPORTED, A.REJECT, S.REJECTED),
    (S.REPORTED, A.VOID, S.VOIDED),
    (S.REPORTED, A.SELF_HANDLE, S.SELF_HANDLED),
    (S.FILED, A.DISPATCH, S.DISPATCHED),
    (S.FILED, A.VOID, S.VOIDED),
    (S.FILED, A.SELF_HANDLE, S.SELF_HANDLED),
    (S.FILED, A.PARK, S.PARKED),
    (S.DISPATCHED, A.ACCEPT, S.ACCEPTED),
    (S.DISPATCHED, A.DECLINE, S.FILED),
    (S.DISPATCHED, A.RETURN, S.RETURNED),
    (S.DISPATCHED, A.DISPATCH, S.DISPATCHED),
    (S.ACCEPTED, A.DEPART, S.EN_ROUTE),
    (S.ACCEPTED, A.ARRIVE, S.ON_SITE),
    (S.ACCEPTED, A.RETURN, S.RETURNED),
    (S.ACCEPTED, A.DISPATCH, S.DISPATCHED),
    (S.EN_ROUTE, A.ARRIVE, S.ON_SITE),
    (S.EN_ROUTE, A.DISPATCH, S.DISPATCHED),
    (S.ON_SITE, A.HANDLE, S.HANDLED),
    (S.ON_SITE, A.PARK, S.PARKED),
    (S.HANDLED, A.VERIFY, S.VERIFIED),
    (S.HANDLED, A.FAIL_VERIFICATION, S.REWORKED),
    (S.VERIFIED, A.CLOSE, S.CLOSED),
    (S.SELF_HANDLED, A.CLOSE, S.CLOSED),
    (S.RETURNED, A.DISPATCH, S.DISPATCHED),
    (S.RETURNED, A.VOID, S.VOIDED),
    (S.REWORKED, A.DISPATCH, S.DISPATCHED),
    (S.PARKED, A.UNPARK, S.FILED),
    (S.PARKED, A.DISPATCH, S.DISPATCHED),
]
WORK_OPEN = [
    S.FILED,
    S.DISPATCHED,
    S.ACCEPTED,
    S.EN_ROUTE,
    S.ON_SITE,
    S.RETURNED,
    S.REWORKED,
    S.PARKED,
]
NOTES = [(s, a, s) for s in WORK_OPEN for a in (A.EXTEND, A.ESCALATE)]
LEGAL = WORKFLOW + NOTES
LEGAL_PAIRS = {(s, a) for s, a, _ in LEGAL}
ILLEGAL = [(s, a) for s, a in itertools.product(S, A) if (s, a) not in LEGAL_PAIRS]


@pytest.mark.parametrize(("before", "action", "after"), LEGAL)
def test_every_legal_move(before: CaseState, action: CaseAction, after: CaseState) -> None:
    result = transition(before, action)
    assert (result.before, result.action, result.after) == (before, action, after)


def test_table_has_no_moves_beyond_the_workflow() -> None:
    assert set(TRANSITIONS) == LEGAL_PAIRS


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_move_is_refused(state: CaseState, action: CaseAction) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(state, action)
    assert (info.value.state, info.value.action) == (state, action)
    assert f"cannot {action.value} a case that is {state.value}" in str(info.value)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.REPORTED, A.DISPATCH),  # dispatch before filing
        (S.FILED, A.ARRIVE),  # on site without a dispatch
        (S.DISPATCHED, A.HANDLE),  # handled without arriving
        (S.HANDLED, A.CLOSE),  # closed without verification
        (S.CLOSED, A.DISPATCH),  # closed is final
        (S.SELF_HANDLED, A.EXTEND),  # nothing left to extend
        (S.VOIDED, A.FILE),
    ],
)
def test_notable_shortcuts_are_refused(state: CaseState, action: CaseAction) -> None:
    with pytest.raises(IllegalTransition):
        transition(state, action)


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_allow_nothing(state: CaseState) -> None:
    assert allowed_actions(state) == []
    with pytest.raises(IllegalTransition, match="nothing"):
        transition(state, A.ESCALATE)


@pytest.mark.parametrize("state", list(S))
def test_allowed_actions_match_the_workflow(state: CaseState) -> None:
    expected = {a for s, a in LEGAL_PAIRS if s == state}
    assert set(allowed_actions(state)) == expected
    assert (state in OPEN_STATES) == (state not in {S.CLOSED, S.VOIDED, S.REJECTED})


def test_every_open_state_is_reachable_from_reported_and_can_end() -> None:
    reachable, frontier = {S.REPORTED}, [S.REPORTED]
    while frontier:
        state = frontier.pop()
        for action in allowed_actions(state):
            nxt = transition(state, action).after
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(S)
