"""A hand-built scenario of 30 cases covering every path, with exact timestamps.

Report range: 2026-11-23 00:00 to 2026-11-25 00:00 Asia/Shanghai = [2026-11-22T16:00Z,
2026-11-24T16:00Z), as_of = end. 28 cases are in range (c28 is just before, c29 exactly at the
exclusive end). Times below are minutes after each case's report time R; ``fs`` is when the
violation was first seen; ``due`` is the handling due time the SLA service would have stored.

MT = MT_SPILL (continuous; targets discover 180 s, arrive 600 s, resolve 1800 s);
GB = 06010 暴露垃圾 (working clock: no clock targets, only a handling due time).
Staff s1, s2 are in team T1, s3 in team T2. Districts D1 (grids G1, G2) and D2 (grid G3);
G1 and G2 share a street (街道 440304001) but not a community, G3 is on street 440304002.

The expected values are worked out by hand in ``test_report_fixture.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from dispatch.actors import Actor
from dispatch.lifecycle import append_event
from dispatch.reports.facts import CaseInfo, ClockTargets, TimelineEvent
from dispatch.states import CaseAction, CaseState, transition
from models import Area, Camera, Case, CaseEvent, Staff, Team

START = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
END = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # day 1, 10:00 local
T1 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # day 2, 10:00 local
MT, GB = "MT_SPILL", "06010"
G1, G2, G3 = "G1", "G2", "G3"  # grid area ids; their unit-grid codes:
GRID_CODES = {G1: "440304001001001", G2: "440304001002001", G3: "440304002001001"}
TARGETS = {MT: ClockTargets(discover_s=180, arrive_s=600, resolve_s=1800), GB: None}
TEAMS = {"s1": "T1", "s2": "T1", "s3": "T2"}
HAPPY = (
    "0 report;0 file;1 dispatch;2 accept s1;3 depart s1;9 arrive s1;30 handle s1;35 verify;40 close"
)


@dataclass(frozen=True)
class Spec:
    """One case of the scenario."""

    name: str
    category: str
    source: str
    district: str
    grid: str
    camera: str | None
    reported_at: datetime
    fs_min: float
    due_min: float | None
    steps: str


def _m(base: datetime, minutes: float) -> datetime:
    return base + timedelta(minutes=minutes)


def _d1(i: int) -> datetime:
    return _m(T0, 20 * i)


def _d2(i: int) -> datetime:
    return _m(T1, 20 * i)


def _late(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


# fmt: off
SPECS: list[Spec] = [
    Spec("c01", MT, "camera", "D1", G1, "cam1", _d1(0), -2, 31, HAPPY),
    Spec("c02", MT, "camera", "D1", G1, "cam1", _d1(1), -5, 31,
         "0 report;0 file;1 dispatch;2 accept s2;13 arrive s2;20 handle s2;25 verify;26 close"),
    Spec("c03", MT, "camera", "D1", G2, "cam2", _d1(2), -1, 32,
         "0 report;0 file;2 dispatch;3 accept s1;10 arrive s1;45 handle s1;50 verify;55 close"),
    Spec("c04", MT, "camera", "D1", G2, "cam2", _d1(3), -3, 51,
         "0 report;0 file;1 dispatch;2 accept s3;8 arrive s3;15 handle s3;20 fail_verification;"
         "21 dispatch;22 accept s1;26 arrive s1;40 handle s1;45 verify;50 close"),
    Spec("c05", MT, "inspector", "D1", G1, None, _d1(4), -1, 61,
         "0 report;0 file;1 dispatch;2 accept s2;8 arrive s2;20 extend;50 handle s2;55 verify;"
         "60 close"),
    Spec("c06", MT, "inspector", "D2", G3, None, _d1(5), -2, 61,
         "0 report;0 file;1 dispatch;2 accept s3;9 arrive s3;25 extend;70 handle s3;75 verify;"
         "80 close"),
    Spec("c07", MT, "camera", "D1", G1, "cam1", _d1(6), -1, None, "0 report;0 file;5 void"),
    Spec("c08", GB, "citizen", "D2", G3, None, _d1(7), -30, None, "0 report;10 reject"),
    Spec("c09", MT, "camera", "D2", G3, "cam2", _d1(8), -2, 35,
         "0 report;0 file;3 merge_event;4 merge_event;5 dispatch;6 accept s3;12 arrive s3;"
         "25 handle s3;30 verify;31 close"),
    Spec("c10", GB, "inspector", "D1", G2, None, _d1(9), -10, None,
         "0 report;5 self_handle;10 close"),
    Spec("c11", GB, "citizen", "D2", G3, None, _d1(10), -60, 600,
         "0 report;20 file;30 dispatch;60 return;70 dispatch;80 accept s3;120 arrive s3;"
         "200 handle s3;300 verify;310 close"),
    Spec("c12", GB, "citizen", "D1", G1, None, _d1(11), -30, 495,
         "0 report;10 file;15 dispatch;40 return;50 void"),
    Spec("c13", GB, "inspector", "D1", G2, None, _d1(12), -5, None,
         "0 report;0 file;30 park"),
    Spec("c14", MT, "inspector", "D2", G3, None, _d1(13), -1, 31,
         "0 report;0 file;1 dispatch;2 accept s1;10 arrive s1;20 park;100 dispatch;101 accept s2;"
         "110 arrive s2;130 handle s2;140 verify;150 close"),
    Spec("c15", MT, "camera", "D1", G1, "cam1", _d1(14), -2, 31,
         "0 report;0 file;1 dispatch;2 offer_declined s1;3 dispatch;4 accept s2;10 arrive s2;"
         "20 escalate;25 handle s2;28 verify;29 close"),
    Spec("c16", MT, "camera", "D2", G3, "cam2", _late(15, 30), -1, 31,
         "0 report;0 file;1 dispatch;2 accept s3;3 depart s3;40 arrive s3;50 handle s3"),
    Spec("c17", MT, "camera", "D1", G2, "cam1", _late(15, 0), -2, 31,
         "0 report;0 file;1 dispatch;3 accept s1;12 arrive s1"),
    Spec("c18", MT, "camera", "D2", G3, "cam2", _late(15, 10), -3, 32,
         "0 report;0 file;2 dispatch;3 accept s2;7 arrive s2;20 handle s2;60 verify"),
    Spec("c19", GB, "citizen", "D1", G1, None, _late(15, 40), -20, None, "0 report"),
    Spec("c20", GB, "inspector", "D1", G1, None, _d1(15), -10, 480,
         "0 report;0 file;10 dispatch;20 accept s1;60 arrive s1;120 handle s1;130 verify;"
         "140 close"),
    Spec("c21", GB, "citizen", "D2", G3, None, _d1(16), -30, 500,
         "0 report;30 file;40 dispatch;45 accept s3;100 arrive s3;700 handle s3;720 verify;"
         "730 close"),
    Spec("c22", MT, "camera", "D1", G1, "cam1", _d2(0), -1, 57,
         "0 report;0 file;1 dispatch;2 accept s1;8 arrive s1;12 handle s1;15 fail_verification;"
         "16 dispatch;17 accept s2;20 arrive s2;24 handle s2;26 fail_verification;27 dispatch;"
         "28 accept s1;33 arrive s1;40 handle s1;45 verify"),
    Spec("c23", MT, "camera", "D1", G2, "cam2", _d2(1), -2, 31,
         "0 report;0 file;1 dispatch;5 return"),
    Spec("c24", MT, "camera", "D2", G3, "cam1", _d2(2), -2, 40,
         "0 report;0 file;1 no_candidate;10 dispatch;11 accept s3;14 arrive_refused s3;"
         "15 arrive s3;30 handle s3;32 verify;33 close"),
    Spec("c25", MT, "sensor", "D2", G3, None, _d2(3), -1, 31,
         "0 report;0 file;1 dispatch;2 accept s2;11 arrive s2;41 handle s2;45 verify;46 close"),
    Spec("c26", MT, "camera", "D2", G3, "cam2", _d2(4), -1, None, "0 report;2 void"),
    Spec("c27", GB, "inspector", "D2", G3, None, _late(14, 0), -10, 300,
         "0 report;0 file;5 dispatch;6 accept s3;30 arrive s3;40 extend"),
    Spec("c28", MT, "camera", "D1", G1, "cam1", START - timedelta(minutes=1), -2, 31, HAPPY),
    Spec("c29", MT, "camera", "D1", G1, "cam1", END, -2, 31, HAPPY),
    Spec("c30", GB, "inspector", "D1", G2, None, _d2(5), -5, None,
         "0 report;0 file;5 self_handle"),
]
# fmt: on


def timeline(spec: Spec) -> list[TimelineEvent]:
    """The spec's timeline with from/to states derived from the transition table."""
    state: CaseState | None = None
    out: list[TimelineEvent] = []
    for seq, step in enumerate(spec.steps.split(";"), start=1):
        minute, action, *actor = step.split()
        before = state
        if action == "report":
            state = CaseState.REPORTED
        elif action in CaseAction.__members__.values():
            assert state is not None
            state = transition(state, CaseAction(action)).after
        assert state is not None, f"{spec.name}: a timeline starts with report"
        out.append(
            TimelineEvent(
                seq=seq,
                at=_m(spec.reported_at, float(minute)),
                action=action,
                from_state=None if before is None else before.value,
                to_state=state.value,
                actor_id=actor[0] if actor else "op1",
            )
        )
    return out


def info(spec: Spec, case_id: int) -> CaseInfo:
    """The spec's fixed attributes as the pure path reads them."""
    return CaseInfo(
        case_id=case_id,
        category=spec.category,
        source=spec.source,
        reported_at=spec.reported_at,
        first_seen_at=_m(spec.reported_at, spec.fs_min),
        handling_due_at=None if spec.due_min is None else _m(spec.reported_at, spec.due_min),
        district=spec.district,
        grid=spec.grid,
        camera=spec.camera,
        targets=TARGETS[spec.category],
    )


def pure_inputs() -> list[tuple[CaseInfo, list[TimelineEvent]]]:
    """Every case as (info, timeline)."""
    return [(info(s, i), timeline(s)) for i, s in enumerate(SPECS, start=1)]


def write_scenario(session: Session, *, through_lifecycle: bool = False) -> None:
    """Insert areas, teams, staff, cameras, cases and their timelines (categories seeded).

    ``through_lifecycle`` appends each entry with ``dispatch.lifecycle.append_event`` (which
    keeps ``case_facts`` current) and sets the handling due time after the second entry, as the
    SLA service does after filing; otherwise rows are inserted directly (no facts)."""
    for id_, kind, parent, x0, x1 in [
        ("D1", "district", None, 0, 2),
        ("D2", "district", None, 2, 3),
        (G1, "grid", "D1", 0, 1),
        (G2, "grid", "D1", 1, 2),
        (G3, "grid", "D2", 2, 3),
    ]:
        lo, hi = 114.0 + x0 / 100, 114.0 + x1 / 100  # 0.01 degree cells near Shenzhen
        ring = f"{lo} 22.5, {hi} 22.5, {hi} 22.51, {lo} 22.51, {lo} 22.5"
        code = GRID_CODES.get(id_, id_)
        session.add(Area(id=id_, kind=kind, code=code, name=id_, parent_id=parent,
                         geom_wkt=f"POLYGON (({ring}))", imported_at=T0))  # fmt: skip
        session.flush()
    session.add_all([Team(id="T1", name="T1"), Team(id="T2", name="T2")])
    session.flush()
    session.add_all([Staff(id=s, name=s, team_id=t) for s, t in TEAMS.items()])
    session.add_all([Camera(id=c, name=c, source_url="x", created_at=T0, updated_at=T0)
                     for c in ("cam1", "cam2")])  # fmt: skip
    session.flush()
    for n, spec in enumerate(SPECS, start=1):
        if through_lifecycle:
            write_through_lifecycle(session, info(spec, n), timeline(spec), due_after=1)
        else:
            _write_case(session, n, spec)
    session.flush()


def write_through_lifecycle(
    session: Session,
    fixed: CaseInfo,
    entries: list[TimelineEvent],
    *,
    due_after: int,
    flush_after: frozenset[int] = frozenset(),
) -> Case:
    """A case written the way the service writes it: the row, then each timeline entry through
    ``append_event``; the handling due time is set right after entry ``due_after`` (0-based),
    the session flushed after the entries in ``flush_after``."""
    case = Case(
        id=fixed.case_id, code=f"C{fixed.case_id:03d}", state="reported",
        category_code=fixed.category, source=fixed.source, district_id=fixed.district,
        grid_id=fixed.grid, camera_id=fixed.camera, first_seen_at=fixed.first_seen_at,
        last_seen_at=fixed.first_seen_at, reported_at=fixed.reported_at,
        handling_due_at=None, updated_at=fixed.reported_at,
    )  # fmt: skip
    session.add(case)
    for k, e in enumerate(entries):
        case.state = e.to_state
        actor = Actor("user", e.actor_id, "test")
        append_event(session, case=case, action=e.action, before=e.from_state, actor=actor, at=e.at)
        if k == due_after:
            case.handling_due_at = fixed.handling_due_at
        if k in flush_after:
            session.flush()
    if due_after >= len(entries):
        case.handling_due_at = fixed.handling_due_at
    return case


def _write_case(session: Session, case_id: int, spec: Spec) -> None:
    entries = timeline(spec)
    fixed = info(spec, case_id)
    session.add(
        Case(
            id=case_id, code=f"C{case_id:03d}", state=entries[-1].to_state,
            category_code=spec.category, source=spec.source, district_id=spec.district,
            grid_id=spec.grid, camera_id=spec.camera, first_seen_at=fixed.first_seen_at,
            last_seen_at=fixed.first_seen_at, reported_at=spec.reported_at,
            handling_due_at=fixed.handling_due_at, updated_at=entries[-1].at,
        )
    )  # fmt: skip
    session.flush()
    for e in entries:
        session.add(
            CaseEvent(
                case_id=case_id, seq=e.seq, at=e.at, action=e.action, from_state=e.from_state,
                to_state=e.to_state, actor_type="user", actor_id=e.actor_id, source="test",
                details={},
            )
        )  # fmt: skip
