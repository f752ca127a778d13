"""The dispatch engine as one object the composition root wires: intake from the bus,
auto-offer, offer time-outs, and case-update notifications."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.bus import CASE_UPDATES, Envelope, EventBus
from core.clock import Clock
from dispatch import offers
from dispatch.calendar import SlaCalendar
from dispatch.intake import IntakeResult, ingest_event
from dispatch.notify import BusNotifier, Notification, Notifier
from dispatch.offers import OfferSettings
from dispatch.policies import VerificationDecision, VerificationPolicy
from dispatch.ports import Locator, TravelTimeEstimator
from dispatch.sla import EscalationPolicy
from dispatch.states import CaseState
from dispatch.sweeps import SweepReport, recheck_handled_camera_cases, sweep_sla
from models import Case, Dispatch, Staff
from scenes.events import SceneEvent

logger = logging.getLogger(__name__)


@dataclass
class DispatchEngine:
    """Runs intake and assignment against the database and tells the bus what changed."""

    sessions: sessionmaker[Session]
    bus: EventBus
    clock: Clock
    locator: Locator
    travel: TravelTimeEstimator
    calendar: SlaCalendar
    offer_settings: OfferSettings = field(default_factory=OfferSettings)
    auto_offer: bool = True
    notifier: Notifier | None = None
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    verification: VerificationPolicy = field(default_factory=VerificationPolicy)

    def __post_init__(self) -> None:
        if self.notifier is None:
            self.notifier = BusNotifier(self.bus)

    def handle_envelope(self, env: Envelope) -> None:
        """Bus handler for scene events: validate, ingest, offer. Raises on bad payloads so the
        consumer loop retries and finally dead-letters them."""
        event = SceneEvent.model_validate(env.payload)
        self.ingest(event)

    def ingest(self, event: SceneEvent) -> IntakeResult:
        """Ingest one event and, for a new filed case, offer it to the best worker."""
        with self.sessions() as session:
            result = ingest_event(
                session, event=event, locator=self.locator, clock=self.clock, calendar=self.calendar
            )
            if result.case_id is not None and result.outcome == "new_case":
                case = session.get(Case, result.case_id)
                if self.auto_offer and case is not None and case.state == CaseState.FILED.value:
                    self._offer(session, case.id)
        if result.case_id is not None:
            self.notify_case(result.case_id, result.outcome)
        logger.info("event %s -> %s case %s", event.event_id, result.outcome, result.case_id)
        return result

    def _offer(self, session: Session, case_id: int) -> Dispatch | None:
        offer = offers.offer_next(
            session,
            case_id=case_id,
            travel=self.travel,
            clock=self.clock,
            calendar=self.calendar,
            settings=self.offer_settings,
        )
        if offer is not None:
            self._tell_worker(offer)
        return offer

    def offer_next(self, case_id: int) -> Dispatch | None:
        """Offer a case to the next candidate (after a decline, time-out or escalation)."""
        with self.sessions() as session:
            offer = self._offer(session, case_id)
        self.notify_case(case_id, "offered" if offer else "no_candidate")
        return offer

    def _tell_worker(self, offer: Dispatch) -> None:
        assert self.notifier is not None
        self.notifier.notify(
            Notification(
                kind="offer",
                case_id=offer.case_id,
                recipient=f"staff:{offer.staff_id}",
                message="new case offered: accept or decline",
                at=offer.offered_at,
                details={
                    "dispatch_id": offer.id,
                    "expires_at": offer.expires_at.isoformat(),
                    "eta_s": offer.eta_s,
                    "eta_method": offer.eta_method,
                },
            )
        )

    def assign_waiting(self) -> list[Dispatch]:
        """Batch-offer every waiting case (min total cost over all available workers)."""
        with self.sessions() as session:
            made = offers.assign_waiting(
                session,
                travel=self.travel,
                clock=self.clock,
                calendar=self.calendar,
                settings=self.offer_settings,
            )
        for offer in made:
            self._tell_worker(offer)
            self.notify_case(offer.case_id, "offered")
        return made

    def sweep(self) -> SweepReport:
        """SLA warnings/breaches (each once), escalation, reassignment, camera re-checks."""
        assert self.notifier is not None
        now = self.clock.now()
        with self.sessions() as session:
            report = sweep_sla(
                session,
                now=now,
                calendar=self.calendar,
                notifier=self.notifier,
                policy=self.escalation,
            )
            decided = recheck_handled_camera_cases(session, now=now, policy=self.verification)
        for case_id in report.reoffered:
            self.offer_next(case_id)
        if self.auto_offer:
            self.assign_waiting()
        for case_id, decision in decided.items():
            self.notify_case(case_id, decision.value)
            if decision is VerificationDecision.REWORK:
                self.offer_next(case_id)
        return report

    def expire_offers(self) -> int:
        """Expire overdue offers and pass each case on; returns how many expired."""
        now = self.clock.now()
        with self.sessions() as session:
            stale = session.scalars(
                select(Dispatch).where(Dispatch.status == "offered", Dispatch.expires_at <= now)
            ).all()
            for offer in stale:
                offer.status, offer.responded_at, offer.reason = "expired", now, "no answer in time"
                staff = session.get(Staff, offer.staff_id)
                if staff is not None and staff.status == "offered":
                    staff.status = "available"
            session.commit()
            case_ids = [o.case_id for o in stale]
        for case_id in case_ids:
            self.offer_next(case_id)
        return len(case_ids)

    def notify_case(self, case_id: int, change: str) -> None:
        """Publish a small case-changed message for live feeds and notifiers."""
        with self.sessions() as session:
            case = session.get(Case, case_id)
            if case is None:
                return
            payload = {
                "case_id": case.id,
                "code": case.code,
                "state": case.state,
                "change": change,
                "category_code": case.category_code,
                "lon": case.lon,
                "lat": case.lat,
                "assigned_staff_id": case.assigned_staff_id,
                "version": case.version,
                "at": self.clock.now().isoformat(),
            }
        self.bus.publish(CASE_UPDATES, payload)
