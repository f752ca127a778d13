"""Role x endpoint matrix over EVERY route of the app: a route missing from ``RULES`` fails the
test, so a new endpoint cannot ship without a decision on who may call it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.websockets import WebSocketDisconnect

from tests.api.surface.conftest import Surface

CALLERS = ["anonymous", "admin", "operator", "manager", "field", "field1", "integrator",
           "device", "integrator_key"]  # fmt: skip
FIELD = frozenset({"field", "field1"})
READ = frozenset({"admin", "operator", "manager"})
ADMIN = frozenset({"admin"})
OPS = frozenset({"admin", "operator"})
KEY_CALLERS = frozenset({"device", "integrator_key"})


@dataclass(frozen=True)
class Rule:
    """Who passes authentication and authorisation (None: everybody, it is public)."""

    allowed: frozenset[str] | None
    keys_count: bool = True  # do API keys authenticate on this route?
    query: str = ""
    anonymous_status: int = 401  # Open311 answers a missing api_key with 403, per the spec


PUBLIC = Rule(None)
ANY_USER = Rule(frozenset(CALLERS) - {"anonymous"})
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/metrics"): PUBLIC, ("GET", "/ready"): PUBLIC, ("GET", "/health"): PUBLIC,
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/events"): Rule(OPS | {"device", "integrator", "integrator_key"}),
    ("GET", "/staff"): Rule(READ),
    ("GET", "/cases"): Rule(READ), ("GET", "/cases/{case_id}"): Rule(READ),
    ("POST", "/cases/{case_id}/actions/{action}"): Rule(OPS),
    ("POST", "/cases/{case_id}/dispatch"): Rule(OPS),
    ("POST", "/cases/{case_id}/auto-dispatch"): Rule(OPS),
    ("POST", "/cases/{case_id}/merge"): Rule(OPS),
    ("GET", "/me/offers"): Rule(FIELD), ("GET", "/me/cases"): Rule(FIELD),
    ("GET", "/me/cases/{case_id}"): Rule(FIELD), ("POST", "/me/position"): Rule(FIELD),
    ("POST", "/cases/{case_id}/accept"): Rule(FIELD),
    ("POST", "/cases/{case_id}/decline"): Rule(FIELD),
    ("POST", "/cases/{case_id}/depart"): Rule(FIELD),
    ("POST", "/cases/{case_id}/arrive"): Rule(FIELD),
    ("POST", "/cases/{case_id}/handle"): Rule(FIELD),
    ("GET", "/me"): Rule(FIELD), ("POST", "/me/shift"): Rule(FIELD),
    ("POST", "/me/cases/{case_id}/photos"): Rule(FIELD),
    ("WS", "/live/ws"): Rule(READ | FIELD, keys_count=False),
    ("GET", "/live/sse"): Rule(READ | FIELD, keys_count=False, query="?max_s=0.05"),
    ("GET", "/cameras"): Rule(READ), ("POST", "/cameras"): Rule(ADMIN),
    ("GET", "/cameras/{camera_id}"): Rule(READ), ("PATCH", "/cameras/{camera_id}"): Rule(ADMIN),
    ("DELETE", "/cameras/{camera_id}"): Rule(ADMIN),
    ("PUT", "/cameras/{camera_id}/health"): Rule(ADMIN | {"device"}),
    ("PUT", "/cameras/{camera_id}/calibration"): Rule(ADMIN),
    ("GET", "/cameras/{camera_id}/frame"): Rule(READ),
    ("GET", "/cameras/{camera_id}/scene"): Rule(READ),
    ("PUT", "/cameras/{camera_id}/scene"): Rule(ADMIN),
    ("GET", "/cameras/{camera_id}/scene.yaml"): Rule(READ),
    ("PUT", "/cameras/{camera_id}/scene.yaml"): Rule(ADMIN),
    ("PUT", "/cameras/{camera_id}/scene/packs/muck-truck"): Rule(ADMIN),
    ("PUT", "/cameras/{camera_id}/scene/packs/city"): Rule(ADMIN),
    ("GET", "/categories"): Rule(READ | FIELD | {"integrator", "integrator_key"}),
    ("GET", "/categories/{code}"): Rule(READ | FIELD | {"integrator", "integrator_key"}),
    ("PATCH", "/categories/{code}"): Rule(ADMIN),
    ("GET", "/areas"): Rule(READ), ("GET", "/areas/{area_id}"): Rule(READ),
    ("DELETE", "/areas/{area_id}"): Rule(ADMIN), ("POST", "/areas/import"): Rule(ADMIN),
    ("GET", "/units"): Rule(READ), ("POST", "/units"): Rule(ADMIN),
    ("GET", "/responsibilities"): Rule(READ), ("POST", "/responsibilities"): Rule(ADMIN),
    ("GET", "/responsibilities/{row_id}"): Rule(READ),
    ("PATCH", "/responsibilities/{row_id}"): Rule(ADMIN),
    ("DELETE", "/responsibilities/{row_id}"): Rule(ADMIN),
    ("POST", "/staff"): Rule(ADMIN), ("GET", "/staff/{staff_id}"): Rule(READ),
    ("PATCH", "/staff/{staff_id}"): Rule(OPS), ("DELETE", "/staff/{staff_id}"): Rule(ADMIN),
    ("GET", "/teams"): Rule(READ), ("POST", "/teams"): Rule(ADMIN),
    ("GET", "/teams/{team_id}"): Rule(READ), ("PATCH", "/teams/{team_id}"): Rule(ADMIN),
    ("DELETE", "/teams/{team_id}"): Rule(ADMIN),
    ("GET", "/evidence/{evidence_id}"): ANY_USER,
    ("GET", "/open311/v2/services.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/requests.{fmt}"): PUBLIC,
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): PUBLIC,
    ("POST", "/open311/v2/requests.{fmt}"): Rule(
        frozenset({"integrator_key"}), anonymous_status=403
    ),
    # The console's page and assets are public; everything it shows comes from the API above.
    ("GET", "/console"): PUBLIC, ("GET", "/console/"): PUBLIC,
    ("GET", "/console/config.json"): PUBLIC, ("GET", "/console/static/{path:path}"): PUBLIC,
    ("GET", "/reports"): Rule(READ), ("GET", "/reports/indicators"): Rule(READ),
    ("GET", "/reports/export"): Rule(READ), ("GET", "/reports/compare/period"): Rule(READ),
    ("GET", "/reports/compare/before-after"): Rule(READ),
    ("GET", "/reports/compare/areas"): Rule(READ),
}  # fmt: skip
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
PARAMS = {"case_id": "999999", "action": "file", "camera_id": "nope", "code": "NOPE",
          "area_id": "nope", "row_id": "999", "staff_id": "nope", "team_id": "nope",
          "evidence_id": "999", "fmt": "json", "service_code": "06010",
          "service_request_id": "999", "path": "css/console.css"}  # fmt: skip


def app_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route, routers included (``WS`` for WebSockets)."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        route, path = ctx.original_route, str(ctx.path)
        if path in DOCS:
            continue
        if isinstance(route, APIWebSocketRoute):
            out.append(("WS", path))
        elif isinstance(route, APIRoute):
            out.extend((m, path) for m in sorted(set(ctx.methods or ()) - {"HEAD"}))
        else:
            pytest.fail(f"unexpected route type {type(route).__name__} at {path}")
    return out


def test_every_route_has_a_rule(surface: Surface) -> None:
    routes = set(app_routes(surface.app))
    assert routes - set(RULES) == set(), "routes without a rule in the role matrix"
    assert set(RULES) - routes == set(), "rules for routes that no longer exist"


def _expected_pass(rule: Rule, caller: str) -> bool:
    if rule.allowed is None:
        return True
    if caller in KEY_CALLERS and not rule.keys_count:
        return False
    return caller in rule.allowed


def _denied_status(rule: Rule, caller: str) -> int:
    if caller == "anonymous":
        return rule.anonymous_status
    if caller in KEY_CALLERS and not rule.keys_count:
        return 401
    return 403


def _call(s: Surface, method: str, path: str, rule: Rule, caller: str) -> int:
    url = re.sub(r"{(\w+)(?::\w+)?}", lambda m: PARAMS[m.group(1)], path) + rule.query
    headers = s.as_(caller)
    if method == "WS":
        token = headers.get("Authorization", "Bearer ")[7:]
        try:
            with s.client.websocket_connect(f"{url}?token={token}") as ws:
                assert ws.receive_json()["topic"] == "hello"
                return 101
        except WebSocketDisconnect as exc:
            return {4401: 401, 4403: 403}.get(exc.code, 400)
    if method in ("POST", "PUT", "PATCH") and not path.startswith("/open311"):
        return int(s.client.request(method, url, json={}, headers=headers).status_code)
    data = {"api_key": s.keys["integrator"]} if caller == "integrator_key" else {}
    return int(s.client.request(method, url, data=data or None, headers=headers).status_code)


def test_role_matrix(surface: Surface) -> None:
    failures = []
    for method, path in app_routes(surface.app):
        rule = RULES[(method, path)]
        for caller in CALLERS:
            status = _call(surface, method, path, rule, caller)
            if _expected_pass(rule, caller):
                ok = status not in (401, 403) and status < 500
            else:
                ok = status == _denied_status(rule, caller)
            if not ok:
                failures.append(f"{method} {path} as {caller}: {status}")
    assert failures == []
