"""The dispatch loop on real databases: event -> located, filed, offered case -> accept ->
geo-verified arrival -> handled, with durations, idempotency, dedup and concurrent accept."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
from core.bus import InMemoryBus
from core.clock import ManualClock
from dispatch import field
from dispatch.calendar import WorkCalendar
from dispatch.errors import ArrivalRefused, Conflict, Forbidden
from dispatch.locating import AreaLocator
from dispatch.service import DispatchEngine
from dispatch.travel import StraightLineTravel
from models import Case, CaseEvent, Dispatch
from models.engine import make_engine, make_session_factory
from scenes.events import GroundPoint, SceneEvent
from tests.conftest import T0


@pytest.fixture
def engine_(db_url: str):
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with sessions() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        s.commit()
    clock = ManualClock(T0)
    dispatch = DispatchEngine(
        sessions=sessions,
        bus=InMemoryBus(),
        clock=clock,
        locator=AreaLocator(sessions),
        travel=StraightLineTravel(),
        calendar=WorkCalendar.from_dict({}),
    )
    yield dispatch, clock
    engine.dispose()


def _event(lon: float, lat: float, at, category: str = "MT_UNSEALED", **kw) -> SceneEvent:
    return SceneEvent(
        occurred_at=at,
        detected_at=at,
        camera_id=None,
        rule_id="uncovered",
        category_code=category,
        location=GroundPoint(lon=lon, lat=lat),
        **kw,
    )


def test_event_becomes_located_offered_case_and_closes_with_durations(engine_) -> None:
    dispatch, clock = engine_
    lon, lat = DEMO_ORIGIN[0] + 0.0003, DEMO_ORIGIN[1] + 0.0004
    seen = clock.now() - timedelta(seconds=40)
    result = dispatch.ingest(_event(lon, lat, seen))
    assert result.outcome == "new_case"
    with dispatch.sessions() as s:
        case = s.get(Case, result.case_id)
        offer = s.scalars(select(Dispatch).where(Dispatch.case_id == case.id)).one()
        assert case.state == "dispatched"
        assert case.unit_id == "unit-ztb" and case.grid_id.startswith("grid-440304001001")
        assert case.code.startswith("440304")
        assert case.discover_s == pytest.approx(40)
        assert case.arrive_due_at == case.dispatched_at + timedelta(minutes=10)
        staff_id = offer.staff_id
    assert staff_id == "staff-2"  # nearest: ~330 m (staff-1 is ~350 m, the others further)
    clock.advance(30)
    with dispatch.sessions() as s:
        field.accept(s, case_id=result.case_id, staff_id=staff_id, clock=clock)
    clock.advance(300)
    with dispatch.sessions() as s, pytest.raises(ArrivalRefused):
        field.arrive(
            s,
            case_id=result.case_id,
            staff_id=staff_id,
            lon=lon + 0.01,
            lat=lat,
            accuracy_m=5,
            radius_m=150,
            clock=clock,
            calendar=dispatch.calendar,
        )
    with dispatch.sessions() as s:
        field.arrive(
            s,
            case_id=result.case_id,
            staff_id=staff_id,
            lon=lon,
            lat=lat + 0.0002,
            accuracy_m=8,
            radius_m=150,
            clock=clock,
            calendar=dispatch.calendar,
        )
    clock.advance(600)
    with dispatch.sessions() as s:
        case = field.handle(
            s, case_id=result.case_id, staff_id=staff_id, notes="covered", clock=clock
        )
        assert (case.discover_s, case.arrive_s, case.resolve_s) == (40.0, 330.0, 600.0)
        actions = [
            e.action
            for e in s.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
            )
        ]
    assert actions == ["report", "file", "dispatch", "accept", "arrive_refused", "arrive", "handle"]


def test_same_event_twice_is_one_case_and_nearby_event_merges(engine_) -> None:
    dispatch, clock = engine_
    lon, lat = DEMO_ORIGIN[0], DEMO_ORIGIN[1] + 0.0005
    event = _event(lon, lat, clock.now())
    first, again = dispatch.ingest(event), dispatch.ingest(event)
    assert again.outcome == "duplicate_delivery" and again.case_id == first.case_id
    near = dispatch.ingest(_event(lon + 0.0002, lat, clock.now() + timedelta(minutes=2)))
    far = dispatch.ingest(_event(lon + 0.01, lat, clock.now() + timedelta(minutes=2)))
    other_kind = dispatch.ingest(_event(lon, lat, clock.now(), category="PARKING"))
    assert near.outcome == "merged" and near.case_id == first.case_id
    assert far.outcome == "new_case" and other_kind.outcome == "new_case"
    with dispatch.sessions() as s:
        assert s.get(Case, first.case_id).event_count == 2


def test_unknown_category_is_rejected_and_outside_area_goes_to_triage(engine_) -> None:
    dispatch, clock = engine_
    assert dispatch.ingest(_event(114.0, 22.5, clock.now(), category="NOPE")).outcome == "rejected"
    result = dispatch.ingest(_event(100.0, 30.0, clock.now()))
    with dispatch.sessions() as s:
        case = s.get(Case, result.case_id)
        assert case.triage is True and case.unit_id is None and case.state == "dispatched"


def test_two_workers_racing_for_one_offer_exactly_one_wins(engine_) -> None:
    dispatch, clock = engine_
    result = dispatch.ingest(_event(DEMO_ORIGIN[0], DEMO_ORIGIN[1] + 0.0004, clock.now()))
    with dispatch.sessions() as s:
        staff_id = s.scalars(
            select(Dispatch.staff_id).where(Dispatch.case_id == result.case_id)
        ).one()
    outcomes: list[str] = []

    def try_accept() -> None:
        with dispatch.sessions() as s:
            try:
                field.accept(s, case_id=result.case_id, staff_id=staff_id, clock=clock)
                outcomes.append("won")
            except Conflict:
                outcomes.append("lost")

    threads = [threading.Thread(target=try_accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]


def test_decline_passes_offer_on_and_expiry_moves_to_next(engine_) -> None:
    dispatch, clock = engine_
    result = dispatch.ingest(_event(DEMO_ORIGIN[0], DEMO_ORIGIN[1] + 0.0004, clock.now()))
    with dispatch.sessions() as s:
        first_staff = s.scalars(
            select(Dispatch.staff_id).where(Dispatch.case_id == result.case_id)
        ).one()
        field.decline(
            s, case_id=result.case_id, staff_id="staff-1", reason="vehicle broken", clock=clock
        )
    second = dispatch.offer_next(result.case_id)
    assert second is not None and second.staff_id != first_staff
    clock.advance(dispatch.offer_settings.timeout_s + 1)
    assert dispatch.expire_offers() == 1
    with dispatch.sessions() as s:
        statuses = [
            d.status
            for d in s.scalars(
                select(Dispatch).where(Dispatch.case_id == result.case_id).order_by(Dispatch.id)
            )
        ]
        assert statuses == ["declined", "expired", "offered"]
        with pytest.raises(Forbidden):
            field.handle(s, case_id=result.case_id, staff_id=first_staff, notes="", clock=clock)


def test_event_ids_are_uuid_keys() -> None:
    assert isinstance(_event(0, 0, T0).event_id, uuid.UUID)


def test_waiting_cases_are_batch_assigned_at_min_total_eta(engine_) -> None:
    dispatch, clock = engine_
    dispatch.auto_offer = False  # let cases queue up, as after a burst
    west = _event(DEMO_ORIGIN[0] - 0.0035, DEMO_ORIGIN[1] + 0.0015, clock.now())  # next to staff-1
    east = _event(DEMO_ORIGIN[0] + 0.0027, DEMO_ORIGIN[1] - 0.0017, clock.now(), category="PARKING")
    ids = [dispatch.ingest(west).case_id, dispatch.ingest(east).case_id]
    made = dispatch.assign_waiting()
    assert {(o.case_id, o.staff_id) for o in made} == {(ids[0], "staff-1"), (ids[1], "staff-2")}
    assert dispatch.assign_waiting() == []  # nothing waits any more
    with dispatch.sessions() as s:
        assert {s.get(Case, i).state for i in ids} == {"dispatched"}


def test_extension_and_escalation_do_not_move_state_stamps(engine_) -> None:
    from dispatch.actors import Actor
    from dispatch.states import CaseAction

    dispatch, clock = engine_
    case_id = dispatch.ingest(_event(DEMO_ORIGIN[0], DEMO_ORIGIN[1] + 0.0004, clock.now())).case_id
    with dispatch.sessions() as s:
        before = s.get(Case, case_id).dispatched_at
    clock.advance(120)
    with dispatch.sessions() as s:
        for action in (CaseAction.ESCALATE, CaseAction.EXTEND):
            field.operator_action(
                s,
                case_id=case_id,
                action=action,
                actor=Actor("user", "op", "api"),
                clock=clock,
                details={"extra_minutes": 5},
            )
        case = s.get(Case, case_id)
        assert case.dispatched_at == before
        assert (case.escalation_count, case.extension_count) == (1, 1)
        assert case.arrive_due_at == before + timedelta(minutes=15)
