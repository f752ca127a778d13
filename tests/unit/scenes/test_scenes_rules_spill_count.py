"""Spillage, crowding (count) and composition rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from scenes_fakes import T0, meta, run, run_times, scene

from scenes.rules import BuildContext, RuleHit, build_composition, build_rule


def _spill(**cfg: Any) -> Any:
    config: dict[str, Any] = {
        "id": "sp",
        "kind": "spillage",
        "category_code": "MT_SPILL",
        "within_s": 10.0,
        "near_rel": 0.08,
        "max_move_rel": 0.02,
        "min_frames": 3,
        "exit_grace_s": 2.0,
        **cfg,
    }
    sc = scene([config])
    return build_rule(sc.rules[0], BuildContext(scene=sc))


def truck(x: float, tid: int = 1) -> tuple[Any, ...]:
    return (tid, "truck", x, 0.8)


def debris(x: float, y: float = 0.8, tid: int = 50) -> tuple[Any, ...]:
    return (tid, "debris", x, y)


def fired(hits: list[list[Any]]) -> list[int]:
    return [i for i, h in enumerate(hits) for _ in h]


PASS = [[truck(0.1)], [truck(0.3)], [truck(0.5)], [truck(0.7)]]


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param(PASS + [[debris(0.4)]] * 4, [6], id="debris-behind-truck"),
        pytest.param(
            [[debris(0.4)]] * 2 + PASS + [[debris(0.4)]] * 4, [], id="debris-was-there-before"
        ),
        pytest.param(PASS + [[debris(0.4, y=0.3)]] * 4, [], id="debris-far-from-path"),
        pytest.param(PASS + [[]] * 12 + [[debris(0.4)]] * 4, [], id="too-late-after-truck"),
        pytest.param(
            [*PASS, [debris(0.4)], [debris(0.43)], [debris(0.46)], [debris(0.49)]],
            [],
            id="moving-debris-not-static",
        ),
        pytest.param(PASS + [[debris(0.4)]] * 2, [], id="not-enough-frames"),
        pytest.param([[debris(0.4)]] * 5, [], id="no-truck-at-all"),
        pytest.param(
            [[debris(0.4, tid=50)]] * 2 + [[truck(0.4)]] * 4 + [[debris(0.4, tid=51)]] * 4,
            [],
            id="old-pile-reappears-after-truck-occluded-it",
        ),
        pytest.param(
            PASS + [[debris(0.4, tid=50)]] * 3 + [[debris(0.4, tid=51)]] * 4,
            [6],
            id="id-switch-one-event",
        ),
    ],
)
def test_spillage(frames: list[list[Any]], expected: list[int]) -> None:
    hits = run(_spill(), frames)
    assert fired(hits) == expected
    for i in expected:
        assert hits[i][0].attributes["carrier_track_id"] == "1"
        assert hits[i][0].occurred_at == T0 + timedelta(seconds=4)


def _count(**cfg: Any) -> Any:
    config: dict[str, Any] = {
        "id": "crowd",
        "kind": "count",
        "zone_id": "left",
        "category_code": "CROWD",
        "object_classes": ["person"],
        "min_count": 3,
        "min_frames": 2,
        "exit_grace_s": 2.0,
        "cooldown_s": 30.0,
        **cfg,
    }
    sc = scene([config])
    return build_rule(sc.rules[0], BuildContext(scene=sc))


def people(n: int, x: float = 0.2) -> list[tuple[Any, ...]]:
    return [(-1, "person", x + 0.01 * i, 0.5) for i in range(n)]


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param([people(3)] * 4, [1], id="crowd-once"),
        pytest.param([people(2)] * 4, [], id="below-count"),
        pytest.param([people(5, x=0.7)] * 4, [], id="outside-zone"),
        pytest.param([people(3), people(2), people(3), people(2)] * 2, [2], id="count-flicker"),
        pytest.param([people(3)] * 2 + [[]] * 4 + [people(3)] * 2, [1], id="cooldown"),
    ],
)
def test_count(frames: list[list[Any]], expected: list[int]) -> None:
    hits = run(_count(), frames)
    assert fired(hits) == expected
    for i in expected:
        assert hits[i][0].track_id is None
        assert int(hits[i][0].attributes["count"]) >= 3


def test_count_fires_again_after_cooldown_and_new_episode() -> None:
    frames = [(0.0, people(3)), (1.0, people(3)), (40.0, people(3)), (41.0, people(3))]
    assert fired(run_times(_count(), frames)) == [1, 3]


def _composition(**cfg: Any) -> Any:
    rules = [
        {
            "id": "a",
            "kind": "dwell",
            "zone_id": "all",
            "dwell_s": 5,
            "category_code": "X",
            "object_classes": ["truck"],
        },
        {
            "id": "b",
            "kind": "zone_presence",
            "zone_id": "all",
            "category_code": "X",
            "object_classes": ["debris"],
        },
        {
            "id": "ab",
            "kind": "composition",
            "first_rule_id": "a",
            "then_rule_id": "b",
            "within_s": 20.0,
            "max_distance_rel": 0.2,
            "category_code": "MT_DUMPING",
            **cfg,
        },
    ]
    sc = scene(rules)
    return build_composition(sc.rules[2], BuildContext(scene=sc))


def hit(rule_id: str, began_s: float, fired_s: float, x: float = 0.5, tid: int = 1) -> RuleHit:
    return RuleHit(
        rule_id=rule_id,
        category_code="X",
        occurred_at=T0 + timedelta(seconds=began_s),
        detected_at=T0 + timedelta(seconds=fired_s),
        track_id=tid,
        object_class="truck" if rule_id == "a" else "debris",
        anchor_rel=(x, 0.5),
        anchor_px=(x * 1000, 500.0),
    )


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param([(10, [hit("a", 0, 10)]), (15, [hit("b", 12, 15)])], [1], id="a-then-b"),
        pytest.param([(6, [hit("b", 3, 6)]), (10, [hit("a", 0, 10)])], [1], id="b-during-dwell"),
        pytest.param([(10, [hit("b", -5, 10), hit("a", 0, 10)])], [], id="b-before-a-began"),
        pytest.param([(10, [hit("a", 0, 10)]), (35, [hit("b", 33, 35)])], [], id="b-too-late"),
        pytest.param(
            [(10, [hit("a", 0, 10)]), (12, [hit("b", 11, 12, x=0.9)])], [], id="b-too-far"
        ),
        pytest.param(
            [(10, [hit("a", 0, 10)]), (12, [hit("b", 11, 12)]), (13, [hit("b", 12, 13, tid=2)])],
            [1],
            id="one-event-per-a-track",
        ),
        pytest.param(
            [(10, [hit("a", 0, 10)]), (-100, [hit("b", -101, -100)])], [], id="clock-backwards"
        ),
        pytest.param([(10, [hit("a", 0, 10)]), (12, [hit("c", 11, 12)])], [], id="other-rule"),
    ],
)
def test_composition(frames: list[tuple[float, list[RuleHit]]], expected: list[int]) -> None:
    rule = _composition()
    out = [rule.consume(meta(i, t), hits) for i, (t, hits) in enumerate(frames)]
    assert fired(out) == expected
    for i in expected:
        composed = out[i][0]
        assert composed.occurred_at == T0  # when A began
        assert (composed.rule_id, composed.category_code, composed.track_id) == (
            "ab",
            "MT_DUMPING",
            1,
        )
        assert composed.attributes["then_rule_id"] == "b"
