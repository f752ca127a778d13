"""The thin loop through HTTP: a device posts an event, an operator sees the case, the field
worker accepts, arrives (geo-verified) and resolves; durations come back."""

from __future__ import annotations

import uuid

from api.seed_data import DEMO_ORIGIN
from tests.conftest import T0


def _event(**over):
    body = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": T0.isoformat(),
        "detected_at": T0.isoformat(),
        "camera_id": None,
        "rule_id": "uncovered",
        "category_code": "MT_UNSEALED",
        "location": {"lon": DEMO_ORIGIN[0] + 0.0003, "lat": DEMO_ORIGIN[1] + 0.0004},
    }
    body.update(over)
    return body


def test_device_event_to_resolved_case_over_http(api) -> None:
    c = api.client
    r = c.post("/events", json=_event(), headers={"X-API-Key": api.device_key})
    assert r.status_code == 202, r.text
    assert api.intake.drain() == 1
    cases = c.get("/cases", headers=api.as_("operator")).json()
    assert cases["count"] == 1
    case = cases["data"][0]
    assert case["state"] == "dispatched" and case["unit_id"] == "unit-ztb"
    case_id = case["id"]
    offers = c.get("/me/offers", headers=api.as_("field")).json()
    assert [o["case_id"] for o in offers["data"]] == [case_id]
    assert c.post(f"/cases/{case_id}/accept", headers=api.as_("field1")).status_code == 409
    api.clock.advance(20)
    assert (
        c.post(f"/cases/{case_id}/accept", headers=api.as_("field")).json()["state"] == "accepted"
    )
    api.clock.advance(200)
    far = {"lon": DEMO_ORIGIN[0] + 0.02, "lat": DEMO_ORIGIN[1], "accuracy_m": 5}
    refused = c.post(f"/cases/{case_id}/arrive", json=far, headers=api.as_("field"))
    assert refused.status_code == 422 and refused.json()["code"] == "arrival_refused"
    near = {"lon": case["lon"], "lat": case["lat"], "accuracy_m": 5}
    assert (
        c.post(f"/cases/{case_id}/arrive", json=near, headers=api.as_("field")).status_code == 200
    )
    api.clock.advance(900)
    done = c.post(
        f"/cases/{case_id}/handle", json={"notes": "tarp on"}, headers=api.as_("field")
    ).json()
    assert (done["discover_s"], done["arrive_s"], done["resolve_s"]) == (0.0, 220.0, 900.0)
    for action in ("verify", "close"):
        r = c.post(f"/cases/{case_id}/actions/{action}", json={}, headers=api.as_("operator"))
        assert r.status_code == 200, r.text
    detail = c.get(f"/cases/{case_id}", headers=api.as_("manager")).json()
    assert detail["state"] == "closed"
    assert [e["action"] for e in detail["timeline"]][-3:] == ["handle", "verify", "close"]
    assert detail["timeline"][-1]["actor_type"] == "user"


def test_auth_and_roles(api) -> None:
    c = api.client
    assert c.get("/cases").status_code == 401
    assert c.get("/cases", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert c.get("/cases", headers=api.as_("field")).status_code == 403
    assert c.get("/cases", headers=api.as_("integrator")).status_code == 403
    assert c.post("/events", json=_event(), headers=api.as_("manager")).status_code == 403
    assert c.get("/me/offers", headers=api.as_("operator")).status_code == 403
    bad = c.post("/auth/token", data={"username": "operator", "password": "wrong-password!"})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthorized"


def test_login_is_rate_limited(api) -> None:
    codes = [
        api.client.post(
            "/auth/token", data={"username": "manager", "password": f"bad-{n}-xxxxxxxx"}
        ).status_code
        for n in range(7)
    ]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]


def test_bad_input_gets_4xx_with_the_error_shape(api) -> None:
    c = api.client
    op = api.as_("operator")
    r = c.post("/events", json=_event(location={"lon": 500, "lat": 0}), headers=op)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert c.get("/cases/999999", headers=op).json()["code"] == "not_found"
    r = c.post("/cases/1/actions/close", json={}, headers=op)
    assert r.status_code == 404
    c.post("/events", json=_event(), headers=op)
    api.intake.drain()
    case_id = c.get("/cases", headers=op).json()["data"][0]["id"]
    r = c.post(f"/cases/{case_id}/actions/close", json={}, headers=op)
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    r = c.post("/events", content=b"{not json", headers={**op, "Content-Type": "application/json"})
    assert r.status_code == 422


def test_actions_are_audited(api) -> None:
    from models import AuditEntry

    c = api.client
    c.post("/events", json=_event(), headers={"X-API-Key": api.device_key})
    container = c.app.state.container
    with container.sessions() as s:
        rows = s.query(AuditEntry).all()
    actions = {(r.action, r.status_code) for r in rows}
    assert ("POST /events", 202) in actions
    assert any(a == "POST /auth/token" for a, _ in actions)
