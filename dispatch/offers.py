"""Offering cases to field staff: rank by travel time, load and fairness; offer; time out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from dispatch import sla_service
from dispatch.actors import Actor
from dispatch.assignment import assign_batch_optimal
from dispatch.calendar import SlaCalendar
from dispatch.errors import Conflict, NotFound
from dispatch.lifecycle import append_event, apply_action
from dispatch.ports import TravelTimeEstimator
from dispatch.ranking import (
    CaseDemand,
    RankedCandidate,
    RankingWeights,
    StaffCandidate,
    StaffStatus,
    rank_candidates,
)
from dispatch.states import CaseAction, CaseState
from models import Case, Dispatch, Staff

logger = logging.getLogger(__name__)
OFFERABLE = {
    CaseState.FILED,
    CaseState.DISPATCHED,
    CaseState.RETURNED,
    CaseState.REWORKED,
    CaseState.PARKED,
}


@dataclass(frozen=True)
class OfferSettings:
    """How offers behave."""

    timeout_s: float = 120.0
    weights: RankingWeights = field(default_factory=RankingWeights)


def _candidate(row: Staff) -> StaffCandidate:
    return StaffCandidate(
        staff_id=row.id,
        team=row.team_id,
        status=StaffStatus(row.status),
        skills=frozenset(row.skills or ["*"]),
        area_ids=frozenset(row.area_ids or []),
        on_shift=row.status != "off_shift",
        lon=row.lon,
        lat=row.lat,
        load=row.load,
        assigned_today=row.assigned_today,
    )


def rank_for_case(
    session: Session, *, case: Case, travel: TravelTimeEstimator, weights: RankingWeights
) -> tuple[list[RankedCandidate], str]:
    """Every worker ranked for ``case`` (tried ones excluded) and the ETA method used."""
    tried = set(session.scalars(select(Dispatch.staff_id).where(Dispatch.case_id == case.id)))
    staff = [s for s in session.scalars(select(Staff).order_by(Staff.id)) if s.id not in tried]
    located = [s for s in staff if s.lon is not None and s.lat is not None]
    if case.lon is None or case.lat is None or not located:
        return [], "none"
    times = travel.travel_times([(s.lon, s.lat) for s in located], [(case.lon, case.lat)])  # type: ignore[misc]
    demand = CaseDemand(
        case_id=case.id,
        category=case.category_code,
        area_ids=frozenset(a for a in (case.grid_id, case.district_id) if a),
        lon=case.lon,
        lat=case.lat,
        priority=case.priority,
    )
    row = [t[0] for t in times.seconds]
    return rank_candidates(demand, [_candidate(s) for s in located], row, weights), times.method


def offer_next(
    session: Session,
    *,
    case_id: int,
    travel: TravelTimeEstimator,
    clock: Clock,
    calendar: SlaCalendar,
    settings: OfferSettings,
) -> Dispatch | None:
    """Offer the case to the best untried eligible worker; None (and a note) when nobody fits."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    if CaseState(case.state) not in OFFERABLE:
        raise Conflict(f"case {case_id} is {case.state}; it cannot be offered")
    ranked, method = rank_for_case(session, case=case, travel=travel, weights=settings.weights)
    best = next((c for c in ranked if c.eligible), None)
    now = clock.now()
    if best is None:
        _no_candidate(session, case, now, ranked)
        session.commit()
        return None
    offer = _make_offer(
        session, case, best, method, now, settings.timeout_s, Actor.system("assign")
    )
    sla_service.refresh_dues(session, case, calendar)
    session.commit()
    return offer


def offer_to(
    session: Session,
    *,
    case_id: int,
    staff_id: str,
    actor: Actor,
    clock: Clock,
    calendar: SlaCalendar,
    settings: OfferSettings,
    travel: TravelTimeEstimator,
) -> Dispatch:
    """Manual dispatch or reassignment by an operator to a named worker."""
    case = session.get(Case, case_id)
    staff = session.get(Staff, staff_id)
    if case is None or staff is None:
        raise NotFound(f"case {case_id} or staff {staff_id} does not exist")
    if staff.status == "off_shift":
        raise Conflict(f"staff {staff_id} is off shift")
    _cancel_open_offers(session, case, clock.now())
    if case.assigned_staff_id and case.assigned_staff_id != staff_id:
        previous = session.get(Staff, case.assigned_staff_id)
        if previous is not None:
            previous.status, previous.load = "available", max(0, previous.load - 1)
        case.assigned_staff_id = None
    eta = None
    if None not in (case.lon, case.lat, staff.lon, staff.lat):
        eta = travel.travel_times([(staff.lon, staff.lat)], [(case.lon, case.lat)])  # type: ignore[list-item]
    pick = RankedCandidate(staff_id, True, 0.0, eta.seconds[0][0] if eta else float("nan"), None)
    method = eta.method if eta else "none"
    offer = _make_offer(session, case, pick, method, clock.now(), settings.timeout_s, actor)
    sla_service.refresh_dues(session, case, calendar)
    session.commit()
    return offer


def _make_offer(
    session: Session,
    case: Case,
    pick: RankedCandidate,
    method: str,
    now: datetime,
    timeout_s: float,
    actor: Actor,
) -> Dispatch:
    tried = session.scalars(select(Dispatch.id).where(Dispatch.case_id == case.id)).all()
    offer = Dispatch(
        case_id=case.id,
        staff_id=pick.staff_id,
        status="offered",
        offered_at=now,
        expires_at=now + timedelta(seconds=timeout_s),
        eta_s=pick.eta_s,
        eta_method=method,
        rank=len(tried) + 1,
        by_actor=actor.id,
    )
    session.add(offer)
    staff = session.get(Staff, pick.staff_id)
    if staff is not None:
        staff.status = "offered"
        staff.assigned_today += 1
    apply_action(
        session,
        case=case,
        action=CaseAction.DISPATCH,
        actor=actor,
        at=now,
        details={"staff_id": pick.staff_id, "eta_s": pick.eta_s, "eta_method": method},
    )
    return offer


def _cancel_open_offers(session: Session, case: Case, now: datetime) -> None:
    for offer in session.scalars(
        select(Dispatch).where(Dispatch.case_id == case.id, Dispatch.status == "offered")
    ):
        offer.status, offer.responded_at = "cancelled", now
        staff = session.get(Staff, offer.staff_id)
        if staff is not None and staff.status == "offered":
            staff.status = "available"


def _no_candidate(
    session: Session, case: Case, now: datetime, ranked: list[RankedCandidate]
) -> None:
    reasons: dict[str, int] = {}
    for c in ranked:
        key = c.exclusion.value if c.exclusion else "unknown"
        reasons[key] = reasons.get(key, 0) + 1
    if CaseState(case.state) is CaseState.DISPATCHED:
        apply_action(
            session, case=case, action=CaseAction.DECLINE, actor=Actor.system("assign"), at=now
        )
    append_event(
        session,
        case=case,
        action="no_candidate",
        before=case.state,
        actor=Actor.system("assign"),
        at=now,
        details={"excluded": reasons},
    )
    logger.info("case %s: no eligible worker (%s)", case.id, reasons)


WAITING = (CaseState.FILED, CaseState.RETURNED, CaseState.REWORKED)


def assign_waiting(
    session: Session,
    *,
    travel: TravelTimeEstimator,
    clock: Clock,
    calendar: SlaCalendar,
    settings: OfferSettings,
) -> list[Dispatch]:
    """Offer every waiting case at once with a min-cost assignment (Hungarian) over all
    available workers, instead of first come first served. Pairs already tried are excluded."""
    open_offers = select(Dispatch.case_id).where(Dispatch.status == "offered")
    cases = session.scalars(
        select(Case)
        .where(
            Case.state.in_([s.value for s in WAITING]),
            Case.lon.is_not(None),
            Case.lat.is_not(None),
            Case.id.not_in(open_offers),
        )
        .order_by(Case.id)
    ).all()
    staff = session.scalars(
        select(Staff).where(Staff.status == "available", Staff.lon.is_not(None)).order_by(Staff.id)
    ).all()
    if not cases or not staff:
        return []
    times = travel.travel_times(
        [(s.lon, s.lat) for s in staff],  # type: ignore[misc]
        [(c.lon, c.lat) for c in cases],  # type: ignore[misc]
    )
    eta = np.asarray(times.seconds, dtype=np.float64).T  # cases x staff
    row_of = {c.id: i for i, c in enumerate(cases)}
    col_of = {s.id: j for j, s in enumerate(staff)}
    for case_id, staff_id in session.execute(select(Dispatch.case_id, Dispatch.staff_id)):
        if case_id in row_of and staff_id in col_of:
            eta[row_of[case_id], col_of[staff_id]] = np.inf
    demands = [
        CaseDemand(
            case_id=c.id,
            category=c.category_code,
            lon=float(c.lon or 0.0),  # filtered to located cases above
            lat=float(c.lat or 0.0),
            priority=c.priority,
            area_ids=frozenset(a for a in (c.grid_id, c.district_id) if a),
        )
        for c in cases
    ]
    result = assign_batch_optimal(demands, [_candidate(s) for s in staff], eta, settings.weights)
    by_id = {c.id: c for c in cases}
    made = []
    for pick in result.assignments:
        case = by_id[int(pick.case_id)]
        ranked = RankedCandidate(pick.staff_id, True, pick.score, pick.eta_s, None)
        actor = Actor.system("batch-assign")
        made.append(
            _make_offer(session, case, ranked, times.method, clock.now(), settings.timeout_s, actor)
        )
        sla_service.refresh_dues(session, case, calendar)
    session.commit()
    return made
