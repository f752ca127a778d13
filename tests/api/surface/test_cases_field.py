"""Operator actions (merge, stamping), case filters, field staff photos and shifts."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from api.routes.evidence import MAX_PHOTO_BYTES
from api.seed_data import DEMO_ORIGIN
from tests.api.surface.conftest import Surface, scene_event
from tests.conftest import T0

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def post_event(
    s: Surface, source: str = "camera", dx: float = 0.0, category: str = "MT_UNSEALED"
) -> int:
    lonlat = (DEMO_ORIGIN[0] + 0.0003 + dx, DEMO_ORIGIN[1] + 0.0004)
    body = scene_event(category, lonlat, source=source)
    assert s.client.post("/events", json=body, headers=s.as_("device")).status_code == 202
    s.drain()
    case: dict[str, Any] = s.client.get("/cases?limit=1", headers=s.as_("operator")).json()["data"][
        0
    ]
    return int(case["id"])


def accepted_case(s: Surface) -> tuple[int, str]:
    """A camera case accepted by whoever was offered it; returns (case id, field user)."""
    case_id = post_event(s)
    detail = s.client.get(f"/cases/{case_id}", headers=s.as_("operator")).json()
    staff = detail["dispatches"][-1]["staff_id"]
    user = {"staff-1": "field1", "staff-2": "field"}.get(staff)
    if user is None:  # offered to someone without a login: hand it to staff-2
        s.client.post(
            f"/cases/{case_id}/dispatch", json={"staff_id": "staff-2"}, headers=s.as_("operator")
        )
        user = "field"
    assert s.client.post(f"/cases/{case_id}/accept", headers=s.as_(user)).status_code == 200
    return case_id, user


def test_merge_voids_the_duplicate_and_stamps_both_timelines(db_surface: Surface) -> None:
    s = db_surface
    keep = post_event(s, "citizen")
    dupe = post_event(s, "citizen", dx=0.01)
    r = s.client.post(
        f"/cases/{dupe}/merge",
        json={"into_case_id": keep, "note": "same pile"},
        headers=s.as_("operator"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "voided" and r.json()["merged_into_id"] == keep
    kept = s.client.get(f"/cases/{keep}", headers=s.as_("manager")).json()
    voided = s.client.get(f"/cases/{dupe}", headers=s.as_("manager")).json()
    assert kept["event_count"] == 2
    assert (
        kept["timeline"][-1]["action"] == "merge_case"
        and kept["timeline"][-1]["details"]["merged_case_id"] == dupe
    )
    assert (
        voided["timeline"][-1]["action"] == "void"
        and voided["timeline"][-1]["details"]["merged_into_id"] == keep
    )
    for entry in (kept["timeline"][-1], voided["timeline"][-1]):
        assert (entry["actor_type"], entry["actor_id"]) == ("user", "u-operator")


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [("self", 422, "merge_into_self"), ("missing", 404, "not_found"),
     ("closed_target", 409, "target_closed"), ("dispatched", 409, "illegal_transition")],
)  # fmt: skip
def test_bad_merges_change_nothing(surface: Surface, setup: str, status: int, code: str) -> None:
    s, op = surface, surface.as_("operator")
    a = post_event(s, "citizen")
    b = post_event(s, "citizen", dx=0.01)
    into = {"self": b, "missing": 999_999}.get(setup, a)
    if setup == "closed_target":
        s.client.post(f"/cases/{a}/actions/void", json={}, headers=op)
    if setup == "dispatched":
        b = post_event(s, "camera", dx=0.02)
    before = s.client.get(f"/cases/{b}", headers=op).json()
    r = s.client.post(f"/cases/{b}/merge", json={"into_case_id": into}, headers=op)
    assert (r.status_code, r.json()["code"]) == (status, code)
    after = s.client.get(f"/cases/{b}", headers=op).json()
    assert (after["state"], after["version"], len(after["timeline"])) == (
        before["state"], before["version"], len(before["timeline"]))  # fmt: skip


def test_every_operator_action_is_stamped_with_the_operator(surface: Surface) -> None:
    s, op = surface, surface.as_("operator")
    case_id = post_event(s, "citizen")
    steps = [("actions/file", {}), ("actions/escalate", {"note": "urgent"}),
             ("actions/extend", {"extra_minutes": 30}), ("auto-dispatch", None),
             ("dispatch", {"staff_id": "staff-1"})]  # fmt: skip
    for path, body in steps:
        r = s.client.post(f"/cases/{case_id}/{path}", json=body, headers=op)
        assert r.status_code == 200, (path, r.text)
    timeline = s.client.get(f"/cases/{case_id}", headers=op).json()["timeline"]
    by_operator = [e["action"] for e in timeline if e["actor_id"] == "u-operator"]
    assert by_operator == ["file", "escalate", "extend", "auto_dispatch_requested", "dispatch"]
    mine = [e for e in timeline if e["actor_id"] == "u-operator" and e["action"] != "dispatch"]
    assert all(e["details"].get("operator") == "operator" for e in mine)


@pytest.mark.parametrize(
    ("query", "status"),
    [("bbox=1.2.3,1,2,3", 422), ("bbox=10,10,5,5", 422), ("bbox=0,0,200,10", 422),
     ("since=2026-01-01T00:00:00", 422), ("cursor=99999999999999999999", 422),
     ("sla_status=late", 422), ("state=bogus", 422), ("limit=0", 422),
     ("since=2026-01-01T00:00:00Z&bbox=100,10,120,30&sla_status=not_breached", 200)],
)  # fmt: skip
def test_case_filters_refuse_bad_input(surface: Surface, query: str, status: int) -> None:
    r = surface.client.get(f"/cases?{query}", headers=surface.as_("operator"))
    assert r.status_code == status and ("code" in r.json() if status != 200 else "data" in r.json())


def test_sla_and_area_filters(surface: Surface) -> None:
    s, op = surface, surface.as_("operator")
    case_id = post_event(s)
    case = s.client.get(f"/cases/{case_id}", headers=op).json()
    assert s.client.get(f"/cases?area_id={case['grid_id']}", headers=op).json()["count"] == 1
    assert s.client.get("/cases?area_id=elsewhere", headers=op).json()["count"] == 0
    assert s.client.get("/cases?sla_status=breached", headers=op).json()["count"] == 0
    s.clock.advance(3600)
    breached = s.client.get("/cases?sla_status=breached", headers=op).json()
    assert [c["id"] for c in breached["data"]] == [case_id] and breached["data"][0][
        "sla_status"
    ] == "breached"


def test_field_worker_uploads_photos_of_own_case_only(surface: Surface) -> None:
    s = surface
    case_id, user = accepted_case(s)
    other = "field1" if user == "field" else "field"
    files = {"file": ("after.jpg", JPEG, "image/jpeg")}
    r = s.client.post(f"/me/cases/{case_id}/photos", files=files, headers=s.as_(user))
    assert r.status_code == 201, r.text
    photo = r.json()
    assert (
        photo["sha256"] == hashlib.sha256(JPEG).hexdigest() and photo["media_type"] == "image/jpeg"
    )
    got = s.client.get(f"/evidence/{photo['id']}", headers=s.as_(user))
    assert (
        got.status_code == 200
        and got.content == JPEG
        and got.headers["content-type"] == "image/jpeg"
    )
    assert s.client.get(f"/evidence/{photo['id']}", headers=s.as_("operator")).content == JPEG
    assert s.client.get(f"/evidence/{photo['id']}", headers=s.as_(other)).status_code == 403
    assert s.client.get(f"/evidence/{photo['id']}", headers=s.as_("integrator")).status_code == 403
    assert (
        s.client.post(f"/me/cases/{case_id}/photos", files=files, headers=s.as_(other)).status_code
        == 403
    )
    timeline = s.client.get(f"/cases/{case_id}", headers=s.as_("operator")).json()["timeline"]
    assert (
        timeline[-1]["action"] == "photo_added"
        and timeline[-1]["details"]["sha256"] == photo["sha256"]
    )


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [(PNG, 201, None), (b"GIF89a" + bytes(100), 415, "unsupported_media_type"),
     (b"", 422, "empty_file"), (b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES), 413, "too_large")],
)  # fmt: skip
def test_photo_type_and_size_limits(
    surface: Surface, content: bytes, status: int, code: str | None
) -> None:
    case_id, user = accepted_case(surface)
    files = {"file": ("x.bin", content, "image/jpeg")}
    r = surface.client.post(f"/me/cases/{case_id}/photos", files=files, headers=surface.as_(user))
    assert r.status_code == status and (code is None or r.json()["code"] == code)


def test_evidence_outside_the_evidence_dir_is_not_served(surface: Surface) -> None:
    from models import Evidence

    with surface.container.sessions() as db:
        row = Evidence(case_id=None, kind="snapshot", path="../../etc/passwd", sha256="0" * 64,
                       media_type="text/plain", created_at=T0)  # fmt: skip
        db.add(row)
        db.commit()
        evidence_id = row.id
    r = surface.client.get(f"/evidence/{evidence_id}", headers=surface.as_("admin"))
    assert r.status_code == 404


def test_shift_changes(surface: Surface) -> None:
    s = surface
    assert (
        s.client.post("/me/shift", json={"status": "off_shift"}, headers=s.as_("field1")).json()[
            "status"
        ]
        == "off_shift"
    )
    assert s.client.get("/me", headers=s.as_("field1")).json()["status"] == "off_shift"
    assert (
        s.client.post("/me/shift", json={"status": "available"}, headers=s.as_("field1")).json()[
            "status"
        ]
        == "available"
    )
    case_id, user = accepted_case(s)
    r = s.client.post("/me/shift", json={"status": "off_shift"}, headers=s.as_(user))
    assert r.status_code == 409 and case_id
