"""Intake: scene events, sensor readings and reports all become cases the same way.

Idempotent on ``event_id``; duplicates of an open case (same category, within R metres and
T seconds, per category) attach to it instead of opening a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import Clock
from dispatch import sla_service
from dispatch.actors import Actor
from dispatch.calendar import SlaCalendar
from dispatch.lifecycle import append_event, apply_action
from dispatch.policies import DedupEvent, DedupRule, DedupRules, OpenCaseRef, find_duplicate
from dispatch.ports import Location, Locator
from dispatch.states import OPEN_STATES, CaseAction, CaseState
from models import Camera, Case, Category, Evidence, SceneEventRecord
from scenes.events import SceneEvent

logger = logging.getLogger(__name__)

Outcome = Literal["new_case", "merged", "duplicate_delivery", "rejected"]
AUTO_FILE_SOURCES = frozenset({"camera", "sensor", "inspector"})
_DEG_PER_M = 1 / 111_000  # bounding-box prefilter only; the exact test is in metres


@dataclass(frozen=True)
class IntakeResult:
    """What became of one incoming event."""

    outcome: Outcome
    case_id: int | None
    reason: str = ""


def ingest_event(
    session: Session, *, event: SceneEvent, locator: Locator, clock: Clock, calendar: SlaCalendar
) -> IntakeResult:
    """Turn ``event`` into a new or merged case, exactly once per ``event_id``. Commits."""
    known = session.get(SceneEventRecord, str(event.event_id))
    if known is not None:
        return IntakeResult("duplicate_delivery", known.case_id)
    try:
        result = _ingest_new(session, event, locator, clock.now(), calendar)
        session.commit()
    except IntegrityError:  # the same event raced in through another consumer
        session.rollback()
        known = session.get(SceneEventRecord, str(event.event_id))
        return IntakeResult("duplicate_delivery", known.case_id if known else None)
    return result


def _ingest_new(
    session: Session, event: SceneEvent, locator: Locator, now: datetime, calendar: SlaCalendar
) -> IntakeResult:
    category = session.get(Category, event.category_code)
    if category is None:
        _record(session, event, now, None, "rejected")
        logger.warning(
            "event %s rejected: unknown category %s", event.event_id, event.category_code
        )
        return IntakeResult("rejected", None, f"unknown category {event.category_code!r}")
    lonlat = _event_lonlat(session, event)
    match = _find_open_duplicate(session, event, category, lonlat)
    if match is not None:
        _merge_into(session, match, event, now)
        _record(session, event, now, match.id, "merged")
        return IntakeResult("merged", match.id)
    case = _open_case(session, event, category, lonlat, locator, now, calendar)
    _record(session, event, now, case.id, "new_case")
    return IntakeResult("new_case", case.id)


def _event_lonlat(session: Session, event: SceneEvent) -> tuple[float, float] | None:
    if event.location is not None:
        return (event.location.lon, event.location.lat)
    if event.camera_id:
        cam = session.get(Camera, event.camera_id)
        if cam is not None and cam.lon is not None and cam.lat is not None:
            return (cam.lon, cam.lat)
    return None


def _find_open_duplicate(
    session: Session, event: SceneEvent, category: Category, lonlat: tuple[float, float] | None
) -> Case | None:
    if lonlat is None:
        return None
    rule = DedupRule(
        category=category.code, radius_m=category.dedup_radius_m, window_s=category.dedup_window_s
    )
    since = event.occurred_at - timedelta(seconds=rule.window_s)
    pad = rule.radius_m * _DEG_PER_M * 2
    lon, lat = lonlat
    rows = session.scalars(
        select(Case).where(
            Case.category_code == category.code,
            Case.state.in_([s.value for s in OPEN_STATES]),
            Case.last_seen_at >= since,
            Case.lon.between(lon - pad * 2, lon + pad * 2),
            Case.lat.between(lat - pad, lat + pad),
        )
    ).all()
    candidates = [
        OpenCaseRef(c.id, c.category_code, c.lon, c.lat, c.last_seen_at)
        for c in rows
        if c.lon is not None and c.lat is not None
    ]
    point = DedupEvent(category.code, lon, lat, event.occurred_at)
    match_id = find_duplicate(point, candidates, DedupRules(rules=[rule]))
    return next((c for c in rows if c.id == match_id), None)


def _merge_into(session: Session, case: Case, event: SceneEvent, now: datetime) -> None:
    case.event_count += 1
    case.last_seen_at = max(case.last_seen_at, event.occurred_at)
    case.updated_at = now
    _attach_evidence(session, case.id, event, now)
    append_event(
        session,
        case=case,
        action="merge_event",
        before=case.state,
        actor=_actor_of(event),
        at=now,
        details={
            "event_id": str(event.event_id),
            "camera_id": event.camera_id,
            "rule_id": event.rule_id,
        },
    )


def _open_case(
    session: Session,
    event: SceneEvent,
    category: Category,
    lonlat: tuple[float, float] | None,
    locator: Locator,
    now: datetime,
    calendar: SlaCalendar,
) -> Case:
    where = locator.locate(lonlat[0], lonlat[1], category.code) if lonlat else Location()
    case = Case(
        code=f"tmp-{event.event_id}",
        state=CaseState.REPORTED.value,
        category_code=category.code,
        priority=category.default_priority,
        source=event.source,
        description=event.description,
        lon=lonlat[0] if lonlat else None,
        lat=lonlat[1] if lonlat else None,
        grid_id=where.grid_id,
        district_id=where.district_id,
        unit_id=where.unit_id,
        triage=not where.known,
        camera_id=event.camera_id,
        first_seen_at=event.occurred_at,
        last_seen_at=event.occurred_at,
        reported_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    case.code = f"{where.county_code or '000000'}{now:%Y%m%d}{case.id:07d}"
    actor = _actor_of(event)
    append_event(
        session,
        case=case,
        action="report",
        before=None,
        actor=actor,
        at=now,
        details={"event_id": str(event.event_id), "rule_id": event.rule_id, "triage": case.triage},
    )
    _attach_evidence(session, case.id, event, now)
    if event.source in AUTO_FILE_SOURCES:
        apply_action(
            session, case=case, action=CaseAction.FILE, actor=Actor.system("intake"), at=now
        )
        sla_service.refresh_dues(session, case, calendar)
    return case


def _attach_evidence(session: Session, case_id: int, event: SceneEvent, now: datetime) -> None:
    for ref in event.evidence:
        session.add(
            Evidence(
                case_id=case_id,
                event_id=str(event.event_id),
                kind=ref.kind,
                path=ref.path,
                sha256=ref.sha256,
                media_type=ref.media_type,
                created_at=now,
            )
        )


def _record(
    session: Session, event: SceneEvent, now: datetime, case_id: int | None, outcome: Outcome
) -> None:
    session.add(
        SceneEventRecord(
            event_id=str(event.event_id),
            source=event.source,
            camera_id=event.camera_id,
            rule_id=event.rule_id,
            category_code=event.category_code,
            occurred_at=event.occurred_at,
            received_at=now,
            payload=event.model_dump(mode="json"),
            case_id=case_id,
            outcome=outcome,
        )
    )
    session.flush()


def _actor_of(event: SceneEvent) -> Actor:
    if event.source == "camera" and event.camera_id:
        return Actor("device", event.camera_id, "camera")
    return Actor("device" if event.source == "sensor" else "user", event.source, event.source)
