"""Configuration resources: cameras, scenes, calibration, categories, areas, responsibilities,
staff and teams, plus readiness and metrics."""

from __future__ import annotations

from typing import Any

import pytest

from api.seed_data import DEMO_ORIGIN
from core.bus import CAMERA_HEALTH
from tests.api.surface.conftest import Surface, scene_event
from tests.conftest import T0

CAMERA = {"id": "cam-9", "name": "North gate", "source_url": "rtsp://ops:s3cret@10.0.0.9/live",
          "lon": DEMO_ORIGIN[0], "lat": DEMO_ORIGIN[1]}  # fmt: skip
SCENE = {
    "id": "scene-9", "camera_id": "cam-9", "name": "gate",
    "zones": [{"id": "road", "polygon": [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]]}],
}  # fmt: skip


def _read_topic(s: Surface, topic: str) -> list[dict[str, Any]]:
    return [e.payload for e in s.container.bus.read(topic, "test-reader", "t", count=100)]


def test_camera_crud_masks_secrets_and_tells_the_supervisor(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    r = c.post("/cameras", json=CAMERA, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["source_url"] == "rtsp://ops:***@10.0.0.9/live"
    assert c.post("/cameras", json=CAMERA, headers=admin).status_code == 409
    r = c.patch("/cameras/cam-9", json={"enabled": False, "sample_fps": 1.5}, headers=admin)
    assert r.json()["enabled"] is False and r.json()["sample_fps"] == 1.5
    listed = c.get("/cameras", headers=surface.as_("operator")).json()
    assert [cam["id"] for cam in listed["data"]] == ["cam-9"] and listed["count"] == 1
    assert c.delete("/cameras/cam-9", headers=admin).status_code == 204
    assert c.get("/cameras/cam-9", headers=admin).status_code == 404
    changes = _read_topic(surface, "camera-changes")
    assert [m["action"] for m in changes] == ["created", "updated", "deleted"]
    assert changes[0]["camera"]["source_url"] == CAMERA["source_url"]  # internal bus: full URL


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"source_url": "ftp://x/y"}, "invalid_request"),
        ({"sample_fps": 0}, "invalid_request"),
        ({"lon": 200}, "invalid_request"),
        ({"name": None}, "invalid_request"),
        ({"lon": 114.0}, "invalid_request"),  # lat missing after the change
        ({"unknown": 1}, "invalid_request"),
    ],
)
def test_camera_updates_are_validated(surface: Surface, patch: dict[str, Any], code: str) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json={**CAMERA, "lon": None, "lat": None}, headers=admin)
    r = c.patch("/cameras/cam-9", json=patch, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == code


def test_health_report_goes_to_db_and_live_feed(surface: Surface) -> None:
    c = surface.client
    c.post("/cameras", json=CAMERA, headers=surface.as_("admin"))
    body = {"health": "degraded", "last_frame_at": T0.isoformat(), "detail": "low fps"}
    r = c.put("/cameras/cam-9/health", json=body, headers=surface.as_("device"))
    assert r.status_code == 200 and r.json()["health"] == "degraded"
    assert (
        c.put("/cameras/cam-9/health", json=body, headers=surface.as_("operator")).status_code
        == 403
    )
    health = _read_topic(surface, CAMERA_HEALTH)
    assert health[-1]["camera_id"] == "cam-9" and health[-1]["state"] == "degraded"


def test_scene_json_and_yaml_round_trip(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json=CAMERA, headers=admin)
    assert c.get("/cameras/cam-9/scene", headers=admin).status_code == 404
    r = c.put("/cameras/cam-9/scene", json=SCENE, headers=admin)
    assert r.status_code == 200 and r.json()["version"] == 1
    text = c.get("/cameras/cam-9/scene.yaml", headers=admin)
    assert text.headers["content-type"].startswith("application/yaml") and "road" in text.text
    edited = text.text.replace("name: gate", "name: gate-2")
    r = c.put(
        "/cameras/cam-9/scene.yaml",
        content=edited,
        headers={**admin, "Content-Type": "application/yaml"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["config"]["name"] == "gate-2"
    assert (
        r.json()["config"]["zones"]
        == c.get("/cameras/cam-9/scene", headers=admin).json()["config"]["zones"]
    )


ROAD = [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]]
LOT = [[0.6, 0.6], [0.9, 0.6], [0.9, 0.9], [0.6, 0.9]]


def _rule_ids(r: Any) -> list[str]:
    return [rule["id"] for rule in r.json()["config"]["rules"]]


def test_attach_muck_truck_pack_creates_then_updates_the_scene(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json=CAMERA, headers=admin)
    body = {
        "zones": [{"id": "road", "polygon": ROAD}, {"id": "lot", "polygon": LOT}],
        "restricted_zone_id": "road", "road_zone_id": "road", "no_dump_zone_id": "lot",
        "restricted_windows": [{"days": [1, 2, 3, 4, 5], "start": "07:00", "end": "22:00"}],
        "dump_dwell_s": 60,
    }  # fmt: skip
    r = c.put("/cameras/cam-9/scene/packs/muck-truck", json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    assert _rule_ids(r) == ["mt-restricted", "mt-uncovered", "mt-spill", "mt-dump-stop",
                            "mt-dump-debris", "mt-dumping"]  # fmt: skip
    rules = {rule["id"]: rule for rule in r.json()["config"]["rules"]}
    assert rules["mt-restricted"]["category_code"] == "MT_RESTRICTED"
    assert rules["mt-restricted"]["active_windows"][0]["start"] == "07:00:00"
    assert rules["mt-dump-stop"]["dwell_s"] == 60
    # The city pack goes beside it; re-attaching muck-truck replaces only its own rules.
    city = {"no_parking_zone_id": "lot", "parking_dwell_s": 120}
    assert c.put("/cameras/cam-9/scene/packs/city", json=city, headers=admin).status_code == 200
    r = c.put("/cameras/cam-9/scene/packs/muck-truck", json={"restricted_zone_id": "lot"},
              headers=admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["version"] == 3
    assert sorted(_rule_ids(r)) == ["city-parking", "mt-restricted", "mt-spill", "mt-uncovered"]
    assert "mt-speeding" not in _rule_ids(r)  # the camera is not calibrated


def test_attach_pack_on_a_calibrated_camera_adds_speeding(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json=CAMERA, headers=admin)
    assert c.put("/cameras/cam-9/calibration", json={"pairs": _pairs(1.0)},
                 headers=admin).status_code == 200  # fmt: skip
    body = {"zones": [{"id": "road", "polygon": ROAD}], "restricted_zone_id": "road",
            "speed_limit_kmh": 30}  # fmt: skip
    r = c.put("/cameras/cam-9/scene/packs/muck-truck", json=body, headers=admin)
    assert r.status_code == 200, r.text
    speeding = [x for x in r.json()["config"]["rules"] if x["id"] == "mt-speeding"]
    assert speeding and speeding[0]["max_speed_kmh"] == 30


@pytest.mark.parametrize(
    ("pack", "body", "code"),
    [
        ("muck-truck", {"restricted_zone_id": "nowhere"}, "invalid_scene"),
        ("muck-truck", {"restricted_zone_id": "road", "extra": 1}, "invalid_request"),
        ("muck-truck", {"restricted_zone_id": "road", "prefix": "bad prefix"}, "invalid_request"),
        ("city", {"zones": [{"id": "lot", "polygon": LOT}], "crowd_zone_id": "lot"},
         "invalid_scene"),  # crowding has no national code: the caller must name one
    ],
)  # fmt: skip
def test_attach_pack_refuses_bad_input_and_keeps_the_scene(
    surface: Surface, pack: str, body: dict[str, Any], code: str
) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json=CAMERA, headers=admin)
    c.put("/cameras/cam-9/scene", json=SCENE, headers=admin)
    r = c.put(f"/cameras/cam-9/scene/packs/{pack}", json=body, headers=admin)
    assert (r.status_code, r.json()["code"]) == (422, code), r.text
    kept = c.get("/cameras/cam-9/scene", headers=admin).json()
    assert kept["version"] == 1 and kept["config"]["rules"] == []
    missing = c.put("/cameras/nope/scene/packs/city", json={}, headers=admin)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("content", "ctype", "status", "code"),
    [
        ("id: [unclosed", "application/yaml", 422, "invalid_yaml"),
        ("- a list", "application/yaml", 422, "invalid_scene"),
        ("id: s\ncamera_id: other-cam\n", "application/yaml", 422, "camera_mismatch"),
        (
            "id: s\ncamera_id: cam-9\nzones: [{id: z, polygon: [[0,0],[1,1],[0,1],[1,0]]}]\n",
            "application/yaml",
            422,
            "invalid_scene",
        ),  # self-intersecting zone
        ("id: s\ncamera_id: cam-9\n", "application/json", 415, "unsupported_media_type"),
    ],
)
def test_bad_scene_yaml_is_refused(
    surface: Surface, content: str, ctype: str, status: int, code: str
) -> None:
    admin = surface.as_("admin")
    surface.client.post("/cameras", json=CAMERA, headers=admin)
    r = surface.client.put(
        "/cameras/cam-9/scene.yaml", content=content, headers={**admin, "Content-Type": ctype}
    )
    assert (r.status_code, r.json()["code"]) == (status, code)


def _pairs(spread: float) -> list[dict[str, float]]:
    pixels = [(100, 600), (1800, 620), (1500, 250), (300, 240), (960, 400), (700, 500)]
    return [{"x_px": x, "y_px": y, "lon": DEMO_ORIGIN[0] + x * 2e-7,
             "lat": DEMO_ORIGIN[1] - y * 2e-7 * spread} for x, y in pixels]  # fmt: skip


def test_calibration_fits_and_is_stored(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json=CAMERA, headers=admin)
    r = c.put("/cameras/cam-9/calibration", json={"pairs": _pairs(1.0)}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["rmse_m"] < 0.1 and r.json()["epsg"] == 32650 and all(r.json()["inliers"])
    cam = c.get("/cameras/cam-9", headers=admin).json()
    assert cam["calibrated"] is True and cam["calibration_rmse_m"] == pytest.approx(
        r.json()["rmse_m"]
    )


def test_degenerate_calibration_is_a_422_with_the_reason(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    c.post("/cameras", json=CAMERA, headers=admin)
    r = c.put("/cameras/cam-9/calibration", json={"pairs": _pairs(0.0)}, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "calibration_failed"
    assert "collinear" in r.json()["message"]
    assert c.get("/cameras/cam-9", headers=admin).json()["calibrated"] is False


def test_categories_list_and_update(surface: Surface) -> None:
    c = surface.client
    listed = c.get("/categories?open311=true", headers=surface.as_("field")).json()
    assert listed["count"] >= 5 and all(cat["open311"] for cat in listed["data"])
    r = c.patch("/categories/MT_SPILL", json={"arrive_target_s": 480}, headers=surface.as_("admin"))
    assert r.status_code == 200 and r.json()["arrive_target_s"] == 480
    assert (
        c.patch(
            "/categories/MT_SPILL", json={"clock": None}, headers=surface.as_("admin")
        ).status_code
        == 422
    )
    assert (
        c.patch(
            "/categories/MT_SPILL", json={"arrive_target_s": 1}, headers=surface.as_("operator")
        ).status_code
        == 403
    )
    assert c.get("/categories/NOPE", headers=surface.as_("operator")).status_code == 404


def _square(lon: float, lat: float, d: float, fid: str, code: str) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Feature", "properties": {"fid": fid, "code": code, "name": f"area {fid}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip


BOWTIE = [[114, 22], [114.1, 22.1], [114.1, 22], [114, 22.1], [114, 22]]


def test_area_import_is_all_or_nothing_and_feeds_the_locator(surface: Surface) -> None:
    c, admin = surface.client, surface.as_("admin")
    lon, lat = DEMO_ORIGIN[0] + 0.05, DEMO_ORIGIN[1] + 0.05  # outside the demo district
    features = {"type": "FeatureCollection", "features": [
        _square(lon, lat, 0.01, "a", "R1"), _square(lon + 0.02, lat, 0.01, "b", "R2")]}  # fmt: skip
    body = {"kind": "responsibility", "features": features, "id_field": "fid",
            "code_field": "code", "name_field": "name"}  # fmt: skip
    r = c.post("/areas/import", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["ids"] == ["responsibility-R1", "responsibility-R2"]
    assert c.post("/areas/import", json=body, headers=admin).status_code == 409
    area = c.get("/areas/responsibility-R1", headers=admin).json()
    assert area["geometry"]["type"] == "Polygon" and area["kind"] == "responsibility"
    assert c.post("/units", json={"id": "unit-x", "name": "X"}, headers=admin).status_code == 201
    row = {"area_id": "responsibility-R1", "unit_id": "unit-x", "category_code": "MT_SPILL"}
    r = c.post("/responsibilities", json=row, headers=admin)
    assert r.status_code == 201, r.text
    event = scene_event("MT_SPILL", (lon + 0.005, lat + 0.005))
    assert c.post("/events", json=event, headers=surface.as_("device")).status_code == 202
    surface.drain()
    case = c.get("/cases", headers=surface.as_("operator")).json()["data"][0]
    assert case["unit_id"] == "unit-x"


@pytest.mark.parametrize(
    ("features", "extra", "status", "code"),
    [
        ({"type": "FeatureCollection", "features": [
            _square(114.1, 22.6, 0.01, "ok", "OK1"),
            {"type": "Feature", "properties": {"fid": "bow", "code": "B"},
             "geometry": {"type": "Polygon", "coordinates": [BOWTIE]}},
         ]}, {"on_invalid": "reject"}, 422, "invalid_areas"),
        ({"type": "FeatureCollection", "features": [_square(22.6, 114.1, 0.01, "swap", "S")]},
         {}, 422, "invalid_areas"),
        ({"type": "Feature"}, {}, 422, "invalid_request"),
        ({"type": "FeatureCollection", "features": [_square(114.1, 22.6, 0.01, "x", "X")]},
         {"parent_id": "no-such-area"}, 404, "not_found"),
    ],
)  # fmt: skip
def test_bad_area_imports_change_nothing(
    surface: Surface, features: dict[str, Any], extra: dict[str, Any], status: int, code: str
) -> None:
    c, admin = surface.client, surface.as_("admin")
    before = c.get("/areas", headers=admin).json()["count"]
    body = {"kind": "grid", "features": features, "id_field": "fid", "code_field": "code", **extra}
    r = c.post("/areas/import", json=body, headers=admin)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert c.get("/areas", headers=admin).json()["count"] == before


def test_area_pages_follow_the_cursor(surface: Surface) -> None:
    c, reader = surface.client, surface.as_("manager")
    seen, cursor = [], None
    while True:
        r = c.get(
            "/areas", params={"limit": 7, **({"cursor": cursor} if cursor else {})}, headers=reader
        ).json()
        seen += [a["id"] for a in r["data"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == r["count"] == 19


def test_staff_and_teams(surface: Surface) -> None:
    c, admin, op = surface.client, surface.as_("admin"), surface.as_("operator")
    assert (
        c.post(
            "/teams", json={"id": "team-2", "name": "二中队", "unit_id": "unit-cgzf"}, headers=admin
        ).status_code
        == 201
    )
    body = {"id": "staff-9", "name": "新人", "team_id": "team-2", "skills": ["MT_SPILL"]}
    r = c.post("/staff", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["status"] == "off_shift"
    assert (
        c.post(
            "/staff", json={**body, "team_id": "team-x", "id": "staff-10"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        c.patch("/staff/staff-9", json={"status": "available"}, headers=op).json()["status"]
        == "available"
    )
    assert c.get("/staff/staff-9", headers=surface.as_("manager")).json()["team_id"] == "team-2"
    assert c.delete("/teams/team-2", headers=admin).status_code == 204
    assert c.get("/staff/staff-9", headers=op).json()["team_id"] is None
    assert c.delete("/staff/staff-9", headers=admin).status_code == 204


def test_deleting_staff_with_history_is_a_conflict(db_surface: Surface) -> None:
    s = db_surface
    s.client.post("/events", json=scene_event(), headers=s.as_("device"))
    s.drain()
    offered = s.client.get("/cases", headers=s.as_("operator")).json()["data"][0]
    holder = s.client.get(f"/cases/{offered['id']}", headers=s.as_("operator")).json()[
        "dispatches"
    ][0]["staff_id"]
    r = s.client.delete(f"/staff/{holder}", headers=s.as_("admin"))
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_ready_and_metrics(surface: Surface) -> None:
    c = surface.client
    r = c.get("/ready")
    assert r.status_code == 200 and r.json() == {"status": "ready", "checks": {"database": True}}
    c.get("/cases", headers=surface.as_("operator"))
    c.post("/events", json=scene_event("NOPE"), headers=surface.as_("device"))
    surface.drain()
    text = c.get("/metrics").text
    assert 'smartscene_http_requests_total{method="GET",route="/cases",status="200"} 1.0' in text
    assert 'smartscene_intake_events_total{outcome="rejected"} 1.0' in text
    assert "smartscene_http_request_duration_seconds_bucket" in text


def test_reports_refuse_huge_or_reversed_periods(surface) -> None:
    op = {"Authorization": f"Bearer {surface.tokens['manager']}"}
    for query in (
        "from=0001-01-01T00:00:00Z&to=9999-01-01T00:00:00Z",
        "from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z",
    ):
        r = surface.client.get(f"/reports/export?format=csv&{query}", headers=op)
        assert r.status_code == 422 and r.json()["code"] == "bad_report_request"
