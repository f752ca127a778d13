"""SLA targets, due times, status, extensions and the breach sweep (pure; no I/O).

Four clocks per case (DOMAIN.md section 1):

* ``discover``: violation begins (``occurred_at``) -> case filed. Due = occurred_at + discover_s.
* ``arrive``: dispatch -> geo-verified on-site check-in. Due = dispatched_at + arrive_s; pass the
  *latest* dispatch (a re-dispatch restarts the arrive clock).
* ``resolve``: on-site check-in -> handling reported done. Due = on_site_at + resolve_s.
* ``handling``: the category's handling deadline (处置时限), counted from the *first* dispatch
  (``handling_from="dispatch"``, national practice) or from filing.

Which clock counts: discover/arrive/resolve use ``targets.clock`` (``continuous`` = every second,
``working`` = the calendar passed in). The handling deadline's *unit* decides: ``minute``/``hour``
are wall-clock time, ``working_hour``/``working_day`` are working time on the calendar passed in
(one working day = ``calendar.working_day_s`` of working time, 8 h for 08-12 + 14-18).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.clock import ensure_utc
from dispatch.calendar import ContinuousCalendar, SlaCalendar

CaseKey = int | str
_CONTINUOUS = ContinuousCalendar()


class SlaKind(StrEnum):
    """The clocks measured per case."""

    DISCOVER = "discover"
    ARRIVE = "arrive"
    RESOLVE = "resolve"
    HANDLING = "handling"


class ClockKind(StrEnum):
    """How time counts for the discover/arrive/resolve targets."""

    CONTINUOUS = "continuous"
    WORKING = "working"


class DeadlineUnit(StrEnum):
    """Units of a handling deadline or an extension."""

    MINUTE = "minute"
    HOUR = "hour"
    WORKING_HOUR = "working_hour"
    WORKING_DAY = "working_day"


class Deadline(BaseModel):
    """An amount of time in a unit, e.g. 5 working hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: float = Field(gt=0, description="How many units.")
    unit: DeadlineUnit = Field(description="minute/hour (wall clock) or working_hour/working_day.")

    def counted_s(self, calendar: SlaCalendar) -> float:
        """Seconds of counted time on the clock this unit runs on."""
        per_unit = {
            DeadlineUnit.MINUTE: 60.0,
            DeadlineUnit.HOUR: 3600.0,
            DeadlineUnit.WORKING_HOUR: 3600.0,
            DeadlineUnit.WORKING_DAY: calendar.working_day_s,
        }[self.unit]
        return self.amount * per_unit

    def clock(self, calendar: SlaCalendar) -> SlaCalendar:
        """The calendar this unit counts on: wall clock for minute/hour, else ``calendar``."""
        wall = self.unit in (DeadlineUnit.MINUTE, DeadlineUnit.HOUR)
        return _CONTINUOUS if wall else calendar


class SlaTargets(BaseModel):
    """Per-category (and priority) targets; seed values come from the category table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clock: ClockKind = Field(
        default=ClockKind.CONTINUOUS, description="Clock for discover/arrive/resolve."
    )
    discover_s: float | None = Field(default=None, gt=0, description="Violation start -> filed.")
    arrive_s: float | None = Field(
        default=None, gt=0, description="Dispatch -> geo-verified on site."
    )
    resolve_s: float | None = Field(default=None, gt=0, description="On site -> handling done.")
    handling: Deadline | None = Field(default=None, description="Handling deadline (处置时限).")
    handling_from: Literal["dispatch", "filing"] = Field(
        default="dispatch", description="Where the handling deadline starts counting."
    )
    warn_fraction: float = Field(
        default=0.8, gt=0, le=1, description="Warn after this share of a clock."
    )

    @classmethod
    def from_category_fields(
        cls,
        *,
        clock: str,
        discover_target_s: float | None,
        arrive_target_s: float | None,
        resolve_target_s: float | None,
        handling_deadline: float | None,
        deadline_unit: str,
    ) -> SlaTargets:
        """Targets from the flat columns of a category row (``models.categories.Category``)."""
        handling = None
        if handling_deadline is not None:
            handling = Deadline(amount=handling_deadline, unit=DeadlineUnit(deadline_unit))
        return cls(
            clock=ClockKind(clock),
            discover_s=discover_target_s,
            arrive_s=arrive_target_s,
            resolve_s=resolve_target_s,
            handling=handling,
        )


@dataclass(frozen=True)
class SlaWindow:
    """One running clock: when it started, when it warns, when it is due (all UTC)."""

    start: datetime
    warn_at: datetime
    due: datetime


@dataclass(frozen=True)
class DueTimes:
    """The four clocks of a case; ``None`` when the clock has not started or has no target."""

    discover: SlaWindow | None = None
    arrive: SlaWindow | None = None
    resolve: SlaWindow | None = None
    handling: SlaWindow | None = None

    def get(self, kind: SlaKind) -> SlaWindow | None:
        """The window of one clock."""
        window: SlaWindow | None = getattr(self, kind.value)
        return window

    @property
    def discover_due(self) -> datetime | None:
        """Due time of the discover clock."""
        return self.discover.due if self.discover else None

    @property
    def arrive_due(self) -> datetime | None:
        """Due time of the arrive clock."""
        return self.arrive.due if self.arrive else None

    @property
    def resolve_due(self) -> datetime | None:
        """Due time of the resolve clock."""
        return self.resolve.due if self.resolve else None

    @property
    def handling_due(self) -> datetime | None:
        """Due time of the handling deadline."""
        return self.handling.due if self.handling else None


def make_window(
    start: datetime | None, counted_s: float | None, calendar: SlaCalendar, warn_fraction: float
) -> SlaWindow | None:
    """A window of ``counted_s`` seconds on ``calendar`` from ``start`` (None if either is None)."""
    if start is None or counted_s is None:
        return None
    begin = ensure_utc(start)
    return SlaWindow(
        start=begin,
        warn_at=calendar.add_working_time(begin, counted_s * warn_fraction),
        due=calendar.add_working_time(begin, counted_s),
    )


def due_times(
    targets: SlaTargets,
    calendar: SlaCalendar,
    filed_at: datetime | None,
    occurred_at: datetime | None,
    *,
    dispatched_at: datetime | None = None,
    first_dispatched_at: datetime | None = None,
    on_site_at: datetime | None = None,
) -> DueTimes:
    """Compute the clocks known so far; call again when the case is (re)dispatched or on site.

    ``dispatched_at`` is the latest dispatch (arrive clock); ``first_dispatched_at`` (default:
    ``dispatched_at``) starts the handling deadline when ``handling_from == "dispatch"``.
    """
    target_cal = _CONTINUOUS if targets.clock is ClockKind.CONTINUOUS else calendar
    frac = targets.warn_fraction
    handling_start = filed_at
    if targets.handling_from == "dispatch":
        handling_start = first_dispatched_at or dispatched_at
    handling = None
    if targets.handling is not None:
        handling = make_window(
            handling_start,
            targets.handling.counted_s(calendar),
            targets.handling.clock(calendar),
            frac,
        )
    return DueTimes(
        discover=make_window(occurred_at, targets.discover_s, target_cal, frac),
        arrive=make_window(dispatched_at, targets.arrive_s, target_cal, frac),
        resolve=make_window(on_site_at, targets.resolve_s, target_cal, frac),
        handling=handling,
    )


class SlaStatus(StrEnum):
    """Where a clock stands."""

    ON_TIME = "on_time"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


def sla_status(
    now: datetime, due: SlaWindow | datetime, done_at: datetime | None = None
) -> SlaStatus:
    """Status of one clock. Being done exactly at the due instant counts as met.

    With a bare due datetime (no window) there is no warning phase.
    """
    due_at = due.due if isinstance(due, SlaWindow) else ensure_utc(due)
    if done_at is not None:
        return SlaStatus.MET if ensure_utc(done_at) <= due_at else SlaStatus.MISSED
    at = ensure_utc(now)
    if at > due_at:
        return SlaStatus.BREACHED
    if isinstance(due, SlaWindow) and at >= due.warn_at:
        return SlaStatus.WARNING
    return SlaStatus.ON_TIME


def apply_extension(due: datetime, extra: Deadline, calendar: SlaCalendar) -> datetime:
    """Move a due time later by ``extra`` (延期), counted on the unit's clock from the old due."""
    return extra.clock(calendar).add_working_time(ensure_utc(due), extra.counted_s(calendar))


class EscalationAction(StrEnum):
    """What a breach triggers."""

    NOTIFY_SUPERVISOR = "notify_supervisor"
    OFFER_REASSIGNMENT = "offer_reassignment"


def _default_on_breach() -> dict[SlaKind, list[EscalationAction]]:
    notify, reassign = EscalationAction.NOTIFY_SUPERVISOR, EscalationAction.OFFER_REASSIGNMENT
    return {
        SlaKind.DISCOVER: [notify],
        SlaKind.ARRIVE: [notify, reassign],
        SlaKind.RESOLVE: [notify],
        SlaKind.HANDLING: [notify],
    }


class EscalationPolicy(BaseModel):
    """Which actions each breached clock triggers (reassignment only helps before arrival)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_breach: dict[SlaKind, list[EscalationAction]] = Field(
        default_factory=_default_on_breach, description="Actions per breached clock."
    )


@dataclass(frozen=True)
class CaseSlaRow:
    """What the sweep needs of one case: due/warn/done per clock and the flags already set."""

    case_id: CaseKey
    due: Mapping[SlaKind, datetime | None]
    done_at: Mapping[SlaKind, datetime | None] = field(default_factory=dict)
    warn_at: Mapping[SlaKind, datetime | None] = field(default_factory=dict)
    breached: frozenset[SlaKind] = frozenset()
    warned: frozenset[SlaKind] = frozenset()


@dataclass(frozen=True)
class Breach:
    """A breach to mark (once). ``completed_late`` when the clock stopped after its due time."""

    case_id: CaseKey
    kind: SlaKind
    due: datetime
    overdue_s: float
    completed_late: bool


@dataclass(frozen=True)
class SlaWarning:
    """A clock that passed its warning point and is still running."""

    case_id: CaseKey
    kind: SlaKind
    due: datetime


@dataclass(frozen=True)
class Escalation:
    """Actions to trigger for a running clock that breached."""

    case_id: CaseKey
    kind: SlaKind
    actions: tuple[EscalationAction, ...]


@dataclass(frozen=True)
class SweepResult:
    """Everything a sweep decided; the caller marks flags so the next sweep repeats nothing."""

    breaches: list[Breach] = field(default_factory=list)
    warnings: list[SlaWarning] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)


def sweep_breaches(
    rows: Iterable[CaseSlaRow], now: datetime, policy: EscalationPolicy | None = None
) -> SweepResult:
    """Breaches, warnings and escalations not yet marked at ``now``.

    Idempotent: a clock listed in ``row.breached`` (or ``row.warned``) is never reported again,
    and a (case, clock) pair appears at most once per call even if rows repeat. Clocks that
    stopped late but were never marked yield a breach with ``completed_late=True`` and no
    escalation.
    """
    at, rules = ensure_utc(now), policy or EscalationPolicy()
    result, seen = SweepResult(), set[tuple[CaseKey, SlaKind]]()
    for row in rows:
        for kind, due in row.due.items():
            if due is None or (row.case_id, kind) in seen:
                continue
            seen.add((row.case_id, kind))
            _sweep_clock(row, kind, ensure_utc(due), at, rules, result)
    return result


def _sweep_clock(
    row: CaseSlaRow,
    kind: SlaKind,
    due: datetime,
    now: datetime,
    policy: EscalationPolicy,
    out: SweepResult,
) -> None:
    done = row.done_at.get(kind)
    if kind in row.breached:
        return
    if done is not None:
        stopped = ensure_utc(done)
        if stopped > due:
            overdue = (stopped - due).total_seconds()
            out.breaches.append(Breach(row.case_id, kind, due, overdue, completed_late=True))
        return
    if now > due:
        out.breaches.append(Breach(row.case_id, kind, due, (now - due).total_seconds(), False))
        actions = tuple(policy.on_breach.get(kind, []))
        if actions:
            out.escalations.append(Escalation(row.case_id, kind, actions))
        return
    warn = row.warn_at.get(kind)
    if warn is not None and kind not in row.warned and now >= ensure_utc(warn):
        out.warnings.append(SlaWarning(row.case_id, kind, due))
