"""SLA sweeps on real databases: each breach marked once, escalation, reassignment, notifications,
and the automatic camera re-check after handling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.seed_data import DEMO_ORIGIN, seed_categories, seed_demo_city
from core.bus import InMemoryBus
from core.clock import ManualClock
from dispatch import field
from dispatch.calendar import WorkCalendar
from dispatch.locating import AreaLocator
from dispatch.notify import Notification
from dispatch.policies import VerificationPolicy
from dispatch.service import DispatchEngine
from dispatch.travel import StraightLineTravel
from models import Camera, Case, CaseEvent, Dispatch
from models.engine import make_engine, make_session_factory
from scenes.events import GroundPoint, SceneEvent
from tests.conftest import T0


class Inbox:
    def __init__(self) -> None:
        self.notes: list[Notification] = []

    def notify(self, note: Notification) -> None:
        self.notes.append(note)

    def kinds(self) -> list[str]:
        return [n.kind for n in self.notes]


@pytest.fixture
def setup(db_url: str):
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with sessions() as s:
        seed_categories(s)
        seed_demo_city(s, T0)
        s.add(
            Camera(
                id="cam",
                name="c",
                source_url="x.mp4",
                created_at=T0,
                updated_at=T0,
                health="online",
                last_frame_at=T0,
                lon=DEMO_ORIGIN[0],
                lat=DEMO_ORIGIN[1],
            )
        )
        s.commit()
    clock, inbox = ManualClock(T0), Inbox()
    dispatch = DispatchEngine(
        sessions=sessions,
        bus=InMemoryBus(),
        clock=clock,
        locator=AreaLocator(sessions),
        travel=StraightLineTravel(),
        calendar=WorkCalendar.from_dict({}),
        notifier=inbox,
        verification=VerificationPolicy(window_s=300, min_observations=3),
    )
    yield dispatch, clock, inbox
    engine.dispose()


def _event(clock, camera_id=None, category="MT_UNSEALED"):
    return SceneEvent(
        occurred_at=clock.now(),
        detected_at=clock.now(),
        camera_id=camera_id,
        rule_id="r",
        category_code=category,
        location=GroundPoint(lon=DEMO_ORIGIN[0], lat=DEMO_ORIGIN[1] + 0.0004),
    )


def _actions(dispatch, case_id):
    with dispatch.sessions() as s:
        rows = s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
        )
        return [e.action for e in rows]


def test_arrive_breach_is_marked_once_escalated_and_reassigned(setup) -> None:
    dispatch, clock, inbox = setup
    case_id = dispatch.ingest(_event(clock)).case_id
    assert inbox.kinds() == ["offer"]
    clock.advance(8 * 60 + 5)  # past 80 % of the 10-minute arrive target: a warning
    assert dispatch.sweep().warnings == 1
    assert dispatch.sweep().warnings == 0
    clock.advance(2 * 60)  # 10 min 5 s after dispatch: breached (nobody even accepted)
    report = dispatch.sweep()
    assert (report.breaches, report.escalations, report.reoffered) == (1, 1, [case_id])
    again = dispatch.sweep()
    assert (again.breaches, again.escalations) == (0, 0)
    with dispatch.sessions() as s:
        case = s.get(Case, case_id)
        assert case.arrive_breached_at == T0 + timedelta(seconds=10 * 60 + 5)
        assert case.escalation_count == 1
        offers = s.scalars(
            select(Dispatch).where(Dispatch.case_id == case_id).order_by(Dispatch.id)
        ).all()
        assert [o.status for o in offers] == ["cancelled", "offered"]
        assert offers[0].staff_id != offers[1].staff_id
    assert _actions(dispatch, case_id).count("sla_breach") == 1
    assert inbox.kinds() == ["offer", "sla_warning", "escalation", "offer"]
    assert inbox.notes[2].recipient == "supervisor:unit-ztb"


def test_late_completion_is_recorded_without_escalation(setup) -> None:
    dispatch, clock, inbox = setup
    inbox.notes.clear()
    case_id = dispatch.ingest(_event(clock)).case_id
    with dispatch.sessions() as s:
        staff = s.scalars(select(Dispatch.staff_id).where(Dispatch.case_id == case_id)).one()
        field.accept(s, case_id=case_id, staff_id=staff, clock=clock)
    clock.advance(11 * 60)
    with dispatch.sessions() as s:
        field.arrive(
            s,
            case_id=case_id,
            staff_id=staff,
            lon=DEMO_ORIGIN[0],
            lat=DEMO_ORIGIN[1] + 0.0004,
            accuracy_m=5,
            radius_m=100,
            clock=clock,
            calendar=dispatch.calendar,
        )
    report = dispatch.sweep()
    assert (report.breaches, report.escalations) == (1, 0)
    with dispatch.sessions() as s:
        assert s.get(Case, case_id).arrive_breached_at is not None
    assert "escalation" not in inbox.kinds()


def _handle_camera_case(dispatch, clock):
    case_id = dispatch.ingest(_event(clock, camera_id="cam")).case_id
    with dispatch.sessions() as s:
        staff = s.scalars(select(Dispatch.staff_id).where(Dispatch.case_id == case_id)).one()
        field.accept(s, case_id=case_id, staff_id=staff, clock=clock)
        field.arrive(
            s,
            case_id=case_id,
            staff_id=staff,
            lon=DEMO_ORIGIN[0],
            lat=DEMO_ORIGIN[1] + 0.0004,
            accuracy_m=5,
            radius_m=100,
            clock=clock,
            calendar=dispatch.calendar,
        )
        field.handle(s, case_id=case_id, staff_id=staff, notes="done", clock=clock)
    return case_id


def test_camera_recheck_verifies_when_the_violation_is_gone(setup) -> None:
    dispatch, clock, _ = setup
    case_id = _handle_camera_case(dispatch, clock)
    with dispatch.sessions() as s:
        s.get(Camera, "cam").last_frame_at = clock.now() + timedelta(seconds=400)
        s.commit()
    clock.advance(200)
    dispatch.sweep()
    assert _actions(dispatch, case_id)[-1] == "handle"  # window still open: undecided
    clock.advance(200)
    dispatch.sweep()
    assert _actions(dispatch, case_id)[-1] == "verify"


def test_camera_recheck_orders_rework_when_the_violation_persists(setup) -> None:
    dispatch, clock, _ = setup
    case_id = _handle_camera_case(dispatch, clock)
    for _ in range(3):
        clock.advance(30)
        assert dispatch.ingest(_event(clock, camera_id="cam")).outcome == "merged"
    dispatch.sweep()
    actions = _actions(dispatch, case_id)
    assert "fail_verification" in actions and actions[-1] == "dispatch"
    with dispatch.sessions() as s:
        case = s.get(Case, case_id)
        assert (case.state, case.rework_count) == ("dispatched", 1)
