"""Case lifecycle: the enum, the transition table and a pure ``transition()``.

States follow GB/T 30428's workflow (report, file, dispatch, handle, verify, close) with the
field-unit states of CAD systems (accepted, en route, on site) in between. Extension and
escalation do not change the state: they are actions recorded in the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseState(StrEnum):
    """Where a case is in its life."""

    REPORTED = "reported"
    FILED = "filed"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    HANDLED = "handled"
    VERIFIED = "verified"
    CLOSED = "closed"
    VOIDED = "voided"
    REJECTED = "rejected"
    RETURNED = "returned"
    REWORKED = "reworked"
    PARKED = "parked"
    SELF_HANDLED = "self_handled"


class CaseAction(StrEnum):
    """What someone (or the system) does to a case."""

    FILE = "file"
    VOID = "void"
    REJECT = "reject"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    DECLINE = "decline"
    DEPART = "depart"
    ARRIVE = "arrive"
    HANDLE = "handle"
    VERIFY = "verify"
    FAIL_VERIFICATION = "fail_verification"
    CLOSE = "close"
    RETURN = "return"
    PARK = "park"
    UNPARK = "unpark"
    SELF_HANDLE = "self_handle"
    EXTEND = "extend"
    ESCALATE = "escalate"


S, A = CaseState, CaseAction
_OPEN_FOR_NOTES = (
    S.FILED,
    S.DISPATCHED,
    S.ACCEPTED,
    S.EN_ROUTE,
    S.ON_SITE,
    S.RETURNED,
    S.REWORKED,
    S.PARKED,
)

TRANSITIONS: dict[tuple[CaseState, CaseAction], CaseState] = {
    (S.REPORTED, A.FILE): S.FILED,
    (S.REPORTED, A.REJECT): S.REJECTED,
    (S.REPORTED, A.VOID): S.VOIDED,
    (S.REPORTED, A.SELF_HANDLE): S.SELF_HANDLED,
    (S.FILED, A.DISPATCH): S.DISPATCHED,
    (S.FILED, A.VOID): S.VOIDED,
    (S.FILED, A.SELF_HANDLE): S.SELF_HANDLED,
    (S.FILED, A.PARK): S.PARKED,
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, A.DECLINE): S.FILED,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.DISPATCHED, A.DISPATCH): S.DISPATCHED,
    (S.ACCEPTED, A.DEPART): S.EN_ROUTE,
    (S.ACCEPTED, A.ARRIVE): S.ON_SITE,
    (S.ACCEPTED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.DISPATCH): S.DISPATCHED,
    (S.EN_ROUTE, A.ARRIVE): S.ON_SITE,
    (S.EN_ROUTE, A.DISPATCH): S.DISPATCHED,
    (S.ON_SITE, A.HANDLE): S.HANDLED,
    (S.ON_SITE, A.PARK): S.PARKED,
    (S.HANDLED, A.VERIFY): S.VERIFIED,
    (S.HANDLED, A.FAIL_VERIFICATION): S.REWORKED,
    (S.VERIFIED, A.CLOSE): S.CLOSED,
    (S.SELF_HANDLED, A.CLOSE): S.CLOSED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.RETURNED, A.VOID): S.VOIDED,
    (S.REWORKED, A.DISPATCH): S.DISPATCHED,
    (S.PARKED, A.UNPARK): S.FILED,
    (S.PARKED, A.DISPATCH): S.DISPATCHED,
}
# Extension and escalation keep the state; they are allowed wherever work is still open.
for _state in _OPEN_FOR_NOTES:
    TRANSITIONS[(_state, A.EXTEND)] = _state
    TRANSITIONS[(_state, A.ESCALATE)] = _state

TERMINAL: frozenset[CaseState] = frozenset({S.CLOSED, S.VOIDED, S.REJECTED})
OPEN_STATES: frozenset[CaseState] = frozenset(set(S) - TERMINAL)


class IllegalTransition(ValueError):
    """An action that the case's current state does not allow."""

    def __init__(self, state: CaseState, action: CaseAction) -> None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == state)
        super().__init__(
            f"cannot {action.value} a case that is {state.value}; "
            f"allowed: {', '.join(allowed) or 'nothing (terminal state)'}"
        )
        self.state, self.action = state, action


@dataclass(frozen=True)
class Transition:
    """The outcome of applying an action."""

    before: CaseState
    action: CaseAction
    after: CaseState


def transition(state: CaseState, action: CaseAction) -> Transition:
    """Apply ``action`` to ``state`` or raise ``IllegalTransition``."""
    try:
        return Transition(state, action, TRANSITIONS[(state, action)])
    except KeyError:
        raise IllegalTransition(state, action) from None


def allowed_actions(state: CaseState) -> list[CaseAction]:
    """Actions the state allows, in table order."""
    return [a for (s, a) in TRANSITIONS if s == state]
