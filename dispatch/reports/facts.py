"""Per-case facts from the append-only timeline (pure): the reference the SQL paths mirror.

Only timeline entries at or before the report's ``as_of`` count, so a report is reproducible.
The *final state* is the ``to_state`` of the last recorded entry (highest ``seq``). Durations
come from ``dispatch.metrics.case_durations`` on the wall clock (elapsed seconds); the
discover/arrive/resolve targets are compared only for ``continuous``-clock categories (the
working-clock categories carry a handling deadline instead). "On time" for handling compares the
last handling instant from the timeline with the case's handling due time, which the SLA service
sets from the category deadline on the city calendar and moves with each 延期.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.metrics import case_durations
from dispatch.reports.config import Measure
from dispatch.sla import SlaTargets
from dispatch.states import CaseAction

_ACTIONS = frozenset(a.value for a in CaseAction)
_HANDLED_STATES = frozenset({"handled", "verified", "self_handled", "closed"})
_REOFFER_FROM = frozenset({"dispatched", "accepted", "en_route"})
OUTCOMES: tuple[str, ...] = (
    "unfiled",
    "closed",
    "voided",
    "parked",
    "awaiting_closure",
    "open_overdue",
    "open",
)


@dataclass(frozen=True)
class TimelineEvent:
    """One timeline entry as the report reads it."""

    seq: int
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    actor_id: str = ""


@dataclass(frozen=True)
class ClockTargets:
    """Discover/arrive/resolve targets in seconds of a continuous-clock category."""

    discover_s: float | None = None
    arrive_s: float | None = None
    resolve_s: float | None = None


@dataclass(frozen=True)
class CaseInfo:
    """The case's fixed attributes (set at intake, never counters) the report groups by."""

    case_id: int
    category: str
    source: str
    reported_at: datetime
    first_seen_at: datetime
    handling_due_at: datetime | None = None
    district: str | None = None
    grid: str | None = None
    unit: str | None = None
    camera: str | None = None
    targets: ClockTargets | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything a report needs of one case: group keys, 0/1 measures, clocks, outcome."""

    info: CaseInfo
    staff: str | None
    counts: dict[Measure, int]
    outcome: str
    discover_s: float | None
    arrive_s: float | None
    resolve_s: float | None
    handling_s: float | None
    discover_ok: bool | None
    arrive_ok: bool | None
    resolve_ok: bool | None


@dataclass(frozen=True)
class _Marks:
    final: str
    filed: bool
    dispatched: bool
    handled_at: datetime | None
    counts: Counter[str]
    reoffers: int
    staff: str | None


def _marks(events: Sequence[TimelineEvent]) -> _Marks:
    ordered = sorted(events, key=lambda e: e.seq)
    counts = Counter(e.action for e in ordered)
    handled = [e.at for e in ordered if e.action in ("handle", "self_handle")]
    arrivals = [e for e in ordered if e.action == "arrive"]
    reoffers = sum(1 for e in ordered if e.action == "dispatch" and e.from_state in _REOFFER_FROM)
    return _Marks(
        final=ordered[-1].to_state if ordered else "reported",
        filed=counts["file"] + counts["self_handle"] > 0,
        dispatched=counts["dispatch"] > 0,
        handled_at=max(handled, default=None),
        counts=counts,
        reoffers=reoffers,
        staff=arrivals[-1].actor_id if arrivals else None,
    )


def _targets(info: CaseInfo) -> SlaTargets:
    t = info.targets or ClockTargets()
    return SlaTargets(discover_s=t.discover_s, arrive_s=t.arrive_s, resolve_s=t.resolve_s)


def _measures(
    info: CaseInfo, m: _Marks, discover_ok: bool | None, as_of: datetime
) -> Counter[Measure]:
    final, due_at = m.final, info.handling_due_at
    on_time = due_at is None or (m.handled_at is not None and m.handled_at <= due_at)
    valid = m.filed and final not in ("voided", "rejected")
    due = m.dispatched and final not in ("voided", "parked")
    handled = due and final in _HANDLED_STATES
    for_closure = m.filed and final not in ("voided", "parked")
    closed = for_closure and final == "closed"
    dispatches = m.counts["dispatch"] - m.reoffers
    camera = info.source == "camera"
    flags = {
        Measure.CASES: True,
        Measure.FILED: m.filed,
        Measure.VALID_REPORTS: valid,
        Measure.FILED_ON_TIME: m.filed and discover_ok is not False,
        Measure.DUE: due,
        Measure.HANDLED: handled,
        Measure.HANDLED_ON_TIME: handled and on_time,
        Measure.HANDLED_LATE: handled and not on_time,
        Measure.OVERDUE_OPEN: due and not handled and due_at is not None and due_at < as_of,
        Measure.EXTENDED: due and m.counts["extend"] > 0,
        Measure.DUE_FOR_CLOSURE: for_closure,
        Measure.CLOSED: closed,
        Measure.CLOSED_ON_TIME: closed and on_time,
        Measure.REWORKED: for_closure and m.counts["fail_verification"] > 0,
        Measure.VOIDED: final == "voided",
        Measure.REJECTED: final == "rejected",
        Measure.PARKED: final == "parked",
        Measure.SELF_HANDLED: m.counts["self_handle"] > 0,
        Measure.CAMERA_CASES: camera,
        Measure.CAMERA_VALID: camera and valid,
    }
    out: Counter[Measure] = Counter({k: int(v) for k, v in flags.items()})
    out[Measure.MERGED_REPORTS] = m.counts["merge_event"]
    out[Measure.DISPATCHES] = dispatches
    out[Measure.RETURNS] = m.counts["return"]
    out[Measure.CORRECT_DISPATCHES] = dispatches - m.counts["return"]
    return out


def outcome_of(m_final: str, filed: bool, due_at: datetime | None, as_of: datetime) -> str:
    """The one outcome bucket of a case (every filed case lands in exactly one)."""
    if not filed:
        return "unfiled"
    if m_final in ("closed", "voided", "parked"):
        return m_final
    if m_final in _HANDLED_STATES:
        return "awaiting_closure"
    if due_at is not None and due_at < as_of:
        return "open_overdue"
    return "open"


def case_facts(info: CaseInfo, events: Sequence[TimelineEvent], as_of: datetime) -> CaseFacts:
    """The facts of one case from its timeline entries (those after ``as_of`` are ignored)."""
    seen = [e for e in events if e.at <= as_of]
    marks = _marks(seen)
    timeline = [(e.action, e.at) for e in seen if e.action in _ACTIONS]
    durations = case_durations(timeline, occurred_at=info.first_seen_at, targets=_targets(info))
    counts = _measures(info, marks, durations.discover_ok, as_of)
    return CaseFacts(
        info=info,
        staff=marks.staff,
        counts=dict(counts),
        outcome=outcome_of(marks.final, marks.filed, info.handling_due_at, as_of),
        discover_s=durations.discover_s,
        arrive_s=durations.arrive_s,
        resolve_s=durations.resolve_s,
        handling_s=durations.handling_s,
        discover_ok=durations.discover_ok,
        arrive_ok=durations.arrive_ok,
        resolve_ok=durations.resolve_ok,
    )
