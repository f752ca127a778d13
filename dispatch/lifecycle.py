"""Apply case actions to stored cases: state, per-state timestamps, durations, timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.actors import Actor
from dispatch.reports.store import note_timeline_entry
from dispatch.states import CaseAction, CaseState, transition
from models import Case, CaseEvent

# Durations (DOMAIN.md section 1), as dispatch.metrics defines them for reports: discover =
# first seen -> filed; arrive = the last dispatch before check-in -> on site (an offer passed on
# is dispatch overhead, not travel; it counts in the handling time); resolve = on site -> handled.
# Each state column holds the latest time the state was reached, except the first report and
# filing, which start the discover clock and never move.
_FIRST_ONLY = {CaseState.REPORTED, CaseState.FILED}


def apply_action(
    session: Session,
    *,
    case: Case,
    action: CaseAction,
    actor: Actor,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Move ``case`` by ``action`` (or raise ``IllegalTransition``) and append to its timeline."""
    step = transition(CaseState(case.state), action)
    case.state = step.after.value
    if step.before != step.after or action is CaseAction.DISPATCH:  # not extend/escalate
        _stamp(case, step.after, at)
    case.updated_at = at
    _update_durations(case)
    if action is CaseAction.FAIL_VERIFICATION:
        case.rework_count += 1
    elif action is CaseAction.EXTEND:
        case.extension_count += 1
    elif action is CaseAction.ESCALATE:
        case.escalation_count += 1
    return append_event(
        session,
        case=case,
        action=action.value,
        before=step.before.value,
        actor=actor,
        at=at,
        details=details,
    )


def append_event(
    session: Session,
    *,
    case: Case,
    action: str,
    before: str | None,
    actor: Actor,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one timeline entry (also for non-transition notes such as merges and offers)."""
    entry = CaseEvent(
        case_id=case.id,
        seq=_next_seq(session, case),
        at=at,
        action=action,
        from_state=before,
        to_state=case.state,
        actor_type=actor.type,
        actor_id=actor.id,
        source=actor.source,
        details=details or {},
    )
    session.add(entry)
    note_timeline_entry(session, case.id)  # the report's case_facts row follows the timeline
    return entry


def _next_seq(session: Session, case: Case) -> int:
    """The case's next timeline number; the last one is cached per session (a unique index on
    (case_id, seq) still refuses a concurrent writer that raced us)."""
    if case.id is None:
        session.flush()  # the case needs its id
    cache: dict[int, int] = session.info.setdefault("timeline_seq", {})
    if case.id not in cache:
        last = session.scalar(
            select(func.coalesce(func.max(CaseEvent.seq), 0)).where(CaseEvent.case_id == case.id)
        )
        cache[case.id] = int(last or 0)
    cache[case.id] += 1
    return cache[case.id]


def _stamp(case: Case, state: CaseState, at: datetime) -> None:
    column = f"{state.value}_at"
    if getattr(case, column) is None or state not in _FIRST_ONLY:
        setattr(case, column, at)


def _update_durations(case: Case) -> None:
    if case.filed_at is not None:
        case.discover_s = max(0.0, (case.filed_at - case.first_seen_at).total_seconds())
    if case.on_site_at is not None and case.dispatched_at is not None:
        case.arrive_s = max(0.0, (case.on_site_at - case.dispatched_at).total_seconds())
    if case.handled_at is not None and case.on_site_at is not None:
        case.resolve_s = max(0.0, (case.handled_at - case.on_site_at).total_seconds())
