"""Scene config validation, YAML round trip, JSON schema and time windows."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from scenes.config import (
    CameraConfig,
    SceneConfig,
    TimeWindow,
    dump_scene_yaml,
    load_scene_yaml,
)

BASE: dict[str, Any] = {
    "id": "s1",
    "camera_id": "cam1",
    "zones": [{"id": "z1", "polygon": [[0, 0], [1, 0], [1, 1]]}],
    "lines": [{"id": "l1", "a": [0, 0.5], "b": [1, 0.5], "direction": "left_to_right"}],
    "rules": [
        {
            "id": "r1",
            "kind": "zone_presence",
            "zone_id": "z1",
            "category_code": "MT_RESTRICTED",
            "object_classes": ["truck"],
            "active_windows": [{"days": [1, 2], "start": "07:00", "end": "22:00"}],
        },
        {
            "id": "r2",
            "kind": "line_crossing",
            "line_id": "l1",
            "category_code": "X",
            "object_classes": ["car"],
        },
        {
            "id": "r3",
            "kind": "dwell",
            "zone_id": "z1",
            "dwell_s": 60,
            "category_code": "PARKING",
            "object_classes": ["car"],
            "emit": False,
        },
        {
            "id": "r4",
            "kind": "composition",
            "first_rule_id": "r3",
            "then_rule_id": "r1",
            "within_s": 30,
            "category_code": "MT_DUMPING",
        },
    ],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


def test_valid_scene_parses() -> None:
    scene = SceneConfig.model_validate(BASE)
    assert [r.kind for r in scene.rules] == [
        "zone_presence",
        "line_crossing",
        "dwell",
        "composition",
    ]
    assert scene.zone("z1").polygon[1] == (1.0, 0.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with("zones.0.polygon", [[0, 0], [1, 1], [1, 0], [0, 1]]), "self-intersecting"),
        (_with("zones.0.polygon", [[0, 0], [1, 1]]), "at least 3"),
        (_with("zones.0.polygon", [[0, 0], [1.5, 0], [1, 1]]), "less than or equal to 1"),
        (_with("zones.0.polygon", [[0, 0], [0.5, 0.5], [1, 1]]), "degenerate"),
        (_with("zones.0.polygon", [[0, 0], [0.001, 0], [0, 0.001]]), "too small"),
        (_with("rules.0.zone_id", "nope"), "unknown zone 'nope'"),
        (_with("rules.1.line_id", "nope"), "unknown line 'nope'"),
        (_with("rules.3.then_rule_id", "nope"), "unknown rule 'nope'"),
        (_with("rules.3.first_rule_id", "r4"), "cannot reference itself"),
        (_with("rules.3.then_rule_id", "r3"), "two different rules"),
        (_with("zones", [BASE["zones"][0], BASE["zones"][0]]), "duplicate zone id"),
        (_with("colour", "red"), "Extra inputs are not permitted"),
        (_with("rules.0.colour", "red"), "Extra inputs are not permitted"),
        (_with("zones.0.colour", "red"), "Extra inputs are not permitted"),
        (_with("rules.0.kind", "teleport"), "does not match any of the expected tags"),
        (_with("rules.0.object_classes", []), "at least 1"),
        (_with("rules.0.active_windows", [{"start": "07:00", "end": "x"}]), "time"),
        (_with("rules.0.active_windows", [{"start": 420, "end": "22:00"}]), "HH:MM"),
        (_with("rules.0.active_windows", [{"days": [0], "start": "1:00", "end": "2:00"}]), "1..7"),
        (
            _with(
                "rules.0.active_windows", [{"start": "07:00", "end": "8:00", "timezone": "Mars"}]
            ),
            "unknown time zone",
        ),
        (_with("lines.0.b", [0, 0.5]), "distinct"),
        (_with("id", "bad id!"), "pattern"),
        (_with("max_frame_gap_s", 0), "greater than 0"),
    ],
)
def test_invalid_scene_is_rejected(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SceneConfig.model_validate(data)


def test_composition_cannot_use_a_composition() -> None:
    data = copy.deepcopy(BASE)
    data["rules"].append({**data["rules"][3], "id": "r5", "first_rule_id": "r4"})
    with pytest.raises(ValidationError, match="cannot use composition"):
        SceneConfig.model_validate(data)


@pytest.mark.parametrize(("ref", "ok"), [("r1", True), ("nope", False), ("r4", False)])
def test_composition_supersedes_only_other_known_rules(ref: str, ok: bool) -> None:
    data = copy.deepcopy(BASE)
    data["rules"][3] = {**data["rules"][3], "supersedes": [ref]}
    if ok:
        assert SceneConfig.model_validate(data).rules[3].supersedes == [ref]  # type: ignore[union-attr]
    else:
        with pytest.raises(ValidationError, match="supersedes unknown rule"):
            SceneConfig.model_validate(data)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("rtsp://user:pw@10.0.0.1/stream1", True),
        ("https://cam.example/live.m3u8", True),
        ("file:///data/a.mp4", True),
        ("videos/a.mp4", True),
        ("ftp://x/y.mp4", False),
        ("", False),
    ],
)
def test_camera_source_url(url: str, ok: bool) -> None:
    if ok:
        assert CameraConfig(id="c1", name="C", source_url=url).source_url == url
    else:
        with pytest.raises(ValidationError):
            CameraConfig(id="c1", name="C", source_url=url)


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ({"lon": 114.0, "lat": 22.5}, True),
        ({}, True),
        ({"lon": 114.0}, False),
        ({"sample_fps": 0}, False),
        ({"sample_fps": 31}, False),
        ({"zoom": 2}, False),
    ],
)
def test_camera_fields(extra: dict[str, Any], ok: bool) -> None:
    data = {"id": "c1", "name": "C", "source_url": "a.mp4", **extra}
    if ok:
        CameraConfig.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            CameraConfig.model_validate(data)


def test_yaml_round_trip(tmp_path: Path) -> None:
    scene = SceneConfig.model_validate(BASE)
    path = tmp_path / "scene.yaml"
    text = dump_scene_yaml(scene, path)
    assert load_scene_yaml(path) == scene
    assert load_scene_yaml(text) == scene


def test_yaml_unquoted_times_are_times_not_base60_numbers() -> None:
    text = """
id: s1
camera_id: cam1
zones: [{id: z, polygon: [[0, 0], [1, 0], [1, 1]]}]
rules:
  - {id: r, kind: zone_presence, zone_id: z, category_code: C, object_classes: [truck],
     active_windows: [{start: 22:00, end: 06:30}]}
"""
    window = load_scene_yaml(text).rules[0].active_windows[0]
    assert (window.start.hour, window.start.minute, window.end.hour, window.end.minute) == (
        22,
        0,
        6,
        30,
    )


def test_yaml_top_level_must_be_mapping() -> None:
    with pytest.raises(ValueError, match="mapping"):
        load_scene_yaml("- 1\n- 2\n")


def _walk_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for model in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in model.get("properties", {}).items():
            found.append((f"{model.get('title')}.{name}", prop))
    return found


def test_json_schema_renders_with_a_description_on_every_field() -> None:
    schema = SceneConfig.model_json_schema()
    props = _walk_properties(schema)
    assert len(props) > 60
    missing = [name for name, prop in props if "description" not in prop]
    assert missing == []
    assert set(schema["$defs"]) >= {"Zone", "Line", "TimeWindow", "SpillageRuleConfig"}
    assert CameraConfig.model_json_schema()["additionalProperties"] is False


SHANGHAI_WEEKDAY_DAY = TimeWindow(days=[1, 2, 3, 4, 5], start="07:00", end="22:00")
FRIDAY_NIGHT = TimeWindow(days=[5], start="22:00", end="06:00")


@pytest.mark.parametrize(
    ("window", "utc", "expected"),
    [
        (SHANGHAI_WEEKDAY_DAY, datetime(2025, 3, 3, 2, 0, tzinfo=UTC), True),  # Mon 10:00
        (SHANGHAI_WEEKDAY_DAY, datetime(2025, 3, 2, 23, 0, tzinfo=UTC), True),  # Mon 07:00
        (SHANGHAI_WEEKDAY_DAY, datetime(2025, 3, 2, 22, 59, tzinfo=UTC), False),  # Mon 06:59
        (SHANGHAI_WEEKDAY_DAY, datetime(2025, 3, 3, 14, 0, tzinfo=UTC), False),  # Mon 22:00
        (SHANGHAI_WEEKDAY_DAY, datetime(2025, 3, 8, 2, 0, tzinfo=UTC), False),  # Sat 10:00
        (FRIDAY_NIGHT, datetime(2025, 3, 7, 14, 30, tzinfo=UTC), True),  # Fri 22:30
        (FRIDAY_NIGHT, datetime(2025, 3, 7, 19, 0, tzinfo=UTC), True),  # Sat 03:00
        (FRIDAY_NIGHT, datetime(2025, 3, 7, 22, 0, tzinfo=UTC), False),  # Sat 06:00
        (FRIDAY_NIGHT, datetime(2025, 3, 6, 19, 0, tzinfo=UTC), False),  # Fri 03:00
        (
            TimeWindow(days=[7], start="00:00", end="00:00"),
            datetime(2025, 3, 9, 5, tzinfo=UTC),
            True,
        ),
    ],
)
def test_time_window_contains(window: TimeWindow, utc: datetime, expected: bool) -> None:
    assert window.contains(utc) is expected


def test_time_window_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="naive"):
        SHANGHAI_WEEKDAY_DAY.contains(datetime(2025, 3, 3, 10, 0))  # noqa: DTZ001
