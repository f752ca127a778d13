"""Per-case durations from a timeline, and their summaries (pure).

Definitions (DOMAIN.md sections 1 and 5), chosen so that rework and re-dispatch are measured
on the attempt that actually resolved the case:

* ``discover_s`` = filing - violation start. Filing is the first ``file`` action, or the first
  ``self_handle`` for cases an inspector handles on the spot without filing first.
* ``arrive_s`` = final ``arrive`` - the last ``dispatch`` before it. ``arrive`` is only recorded
  after a geo-verified check-in, so it is the on-site moment. Earlier dispatches that were
  declined, returned or timed out are dispatch overhead, not travel time; they show up in
  ``handling_s``.
* ``resolve_s`` = final ``handle`` after the final ``arrive`` - that ``arrive``.
* ``handling_s`` = final ``handle`` - first ``dispatch`` (平均处置时长; includes re-dispatch
  and rework).

Durations use the targets' clock: wall seconds for ``continuous`` categories, working seconds
on the given calendar for ``working`` ones; the handling duration uses the deadline unit's clock.
Within-target flags compare with the raw targets; extensions are the caller's business (compare
with the stored, extended due time through ``handling_due``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from core.clock import ensure_utc
from dispatch.calendar import ContinuousCalendar, SlaCalendar
from dispatch.sla import ClockKind, SlaTargets
from dispatch.states import CaseAction, CaseState

TimelineItem = tuple[CaseAction | CaseState | str, datetime]
_WALL = ContinuousCalendar()
# A timeline may name the state reached instead of the action taken.
_ACTION_OF_STATE = {
    CaseState.FILED: CaseAction.FILE,
    CaseState.SELF_HANDLED: CaseAction.SELF_HANDLE,
    CaseState.DISPATCHED: CaseAction.DISPATCH,
    CaseState.ON_SITE: CaseAction.ARRIVE,
    CaseState.HANDLED: CaseAction.HANDLE,
}


def _as_action(step: CaseAction | CaseState | str) -> CaseAction | None:
    """The action of a timeline step; None for states metrics do not use; unknown raises."""
    if step in CaseAction.__members__.values():
        return CaseAction(step)
    if step in CaseState.__members__.values():
        return _ACTION_OF_STATE.get(CaseState(step))
    raise ValueError(f"timeline step {step!r} is neither a case action nor a case state")


@dataclass(frozen=True)
class CaseDurations:
    """Measured clocks of one case (None = not reached) and within-target flags."""

    discover_s: float | None
    arrive_s: float | None
    resolve_s: float | None
    handling_s: float | None
    discover_ok: bool | None
    arrive_ok: bool | None
    resolve_ok: bool | None
    handling_ok: bool | None


@dataclass(frozen=True)
class _Marks:
    filed: datetime | None
    first_dispatch: datetime | None
    dispatch_for_arrival: datetime | None
    arrived: datetime | None
    handled: datetime | None


def _marks(timeline: Iterable[TimelineItem]) -> _Marks:
    steps = ((_as_action(a), ensure_utc(t)) for a, t in timeline)
    items = sorted(((a, t) for a, t in steps if a is not None), key=lambda x: x[1])
    filed = next((t for a, t in items if a in (CaseAction.FILE, CaseAction.SELF_HANDLE)), None)
    dispatches = [t for a, t in items if a is CaseAction.DISPATCH]
    arrived = max((t for a, t in items if a is CaseAction.ARRIVE), default=None)
    before = [t for t in dispatches if arrived is not None and t <= arrived]
    handled = None
    if arrived is not None:
        handled = max(
            (t for a, t in items if a is CaseAction.HANDLE and t >= arrived), default=None
        )
    return _Marks(
        filed=filed,
        first_dispatch=dispatches[0] if dispatches else None,
        dispatch_for_arrival=before[-1] if before else None,
        arrived=arrived,
        handled=handled,
    )


def _between(cal: SlaCalendar, a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else cal.working_seconds_between(a, b)


def _within(value_s: float | None, target_s: float | None) -> bool | None:
    return None if value_s is None or target_s is None else value_s <= target_s


def case_durations(
    timeline: Iterable[TimelineItem],
    *,
    occurred_at: datetime | None,
    targets: SlaTargets | None = None,
    calendar: SlaCalendar | None = None,
    handling_due: datetime | None = None,
) -> CaseDurations:
    """Durations and flags of one case from its ``(action, at)`` timeline (any order)."""
    m = _marks(timeline)
    work_cal = calendar or _WALL
    t = targets or SlaTargets()
    cal = work_cal if t.clock is ClockKind.WORKING else _WALL
    handling_cal = t.handling.clock(work_cal) if t.handling else _WALL
    discover_s = _between(cal, occurred_at, m.filed)
    arrive_s = _between(cal, m.dispatch_for_arrival, m.arrived)
    resolve_s = _between(cal, m.arrived, m.handled)
    handling_s = _between(handling_cal, m.first_dispatch, m.handled)
    if handling_due is not None:
        handling_ok = None if m.handled is None else m.handled <= ensure_utc(handling_due)
    else:
        limit = t.handling.counted_s(work_cal) if t.handling else None
        handling_ok = _within(handling_s, limit)
    return CaseDurations(
        discover_s=discover_s,
        arrive_s=arrive_s,
        resolve_s=resolve_s,
        handling_s=handling_s,
        discover_ok=_within(discover_s, t.discover_s),
        arrive_ok=_within(arrive_s, t.arrive_s),
        resolve_ok=_within(resolve_s, t.resolve_s),
        handling_ok=handling_ok,
    )


@dataclass(frozen=True)
class DurationSummary:
    """Summary of one clock over many cases; percentiles use numpy's linear interpolation."""

    n: int
    mean_s: float | None
    p50_s: float | None
    p90_s: float | None
    within_target: float | None


def summarize(values_s: Sequence[float | None], target_s: float | None = None) -> DurationSummary:
    """Count, mean, p50, p90 and share within ``target_s`` of the non-missing values."""
    data = np.array([v for v in values_s if v is not None], dtype=np.float64)
    if data.size == 0:
        return DurationSummary(0, None, None, None, None)
    p50, p90 = (float(x) for x in np.percentile(data, [50, 90]))
    share = None if target_s is None else float(np.mean(data <= target_s))
    return DurationSummary(int(data.size), float(data.mean()), p50, p90, share)


def rate(numerator: int, denominator: int) -> float | None:
    """An indicator ratio such as 按期处置率; None when nothing was due."""
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError(f"bad ratio {numerator}/{denominator}")
    return None if denominator == 0 else numerator / denominator
