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
from dispatch.offers import OfferSettings
from dispatch.ports import Locator, TravelTimeEstimator
from dispatch.states import CaseState
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
        return offers.offer_next(
            session, case_id=case_id, travel=self.travel, clock=self.clock,
            calendar=self.calendar, settings=self.offer_settings,
        )  # fmt: skip

    def offer_next(self, case_id: int) -> Dispatch | None:
        """Offer a case to the next candidate (after a decline or time-out)."""
        with self.sessions() as session:
            offer = self._offer(session, case_id)
        self.notify_case(case_id, "offered" if offer else "no_candidate")
        return offer

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
                "case_id": case.id, "code": case.code, "state": case.state, "change": change,
                "category_code": case.category_code, "lon": case.lon, "lat": case.lat,
                "assigned_staff_id": case.assigned_staff_id, "version": case.version,
                "at": self.clock.now().isoformat(),
            }  # fmt: skip
        self.bus.publish(CASE_UPDATES, payload)
