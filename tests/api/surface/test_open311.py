"""Open311 GeoReport v2: the spec's formats, filters and errors, checked against the spec's
examples and with a real Open311 client (``georeport``) through uvicorn."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from api.seed_data import DEMO_ORIGIN
from tests.api.surface.conftest import LiveServer, Surface
from tests.conftest import T0

V2 = "/open311/v2"


def form(s: Surface | LiveServer, **over: str | None) -> dict[str, str]:
    body: dict[str, str | None] = {
        "api_key": s.keys["integrator"], "service_code": "06010",
        "lat": str(DEMO_ORIGIN[1] + 0.0004), "long": str(DEMO_ORIGIN[0] + 0.0003),
        "description": "垃圾堆在路边", "email": "a@b.cn", "attribute[WHERE]": "kerb",
    }  # fmt: skip
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def child(element: ET.Element | None, tag: str) -> ET.Element:
    """A required child element."""
    assert element is not None
    found = element.find(tag)
    assert found is not None, tag
    return found


def test_services_in_json_and_xml(surface: Surface) -> None:
    c = surface.client
    services = c.get(f"{V2}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert "06010" in codes and "MT_UNSEALED" not in codes  # only Open311-enabled categories
    assert all(isinstance(code, str) for code in codes)  # never the spec example's bare 001
    r = c.get(f"{V2}/services.xml")
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(r.content)
    assert root.tag == "services" and [e.findtext("service_code") for e in root] == codes
    assert child(root, "service/metadata").text == "false"
    definition = c.get(f"{V2}/services/06010.xml")
    assert ET.fromstring(definition.content).findtext("service_code") == "06010"
    assert c.get(f"{V2}/services/06010.json").json() == {"service_code": "06010", "attributes": []}


def test_post_request_becomes_a_case_and_reads_back(db_surface: Surface) -> None:
    s = db_surface
    r = s.client.post(f"{V2}/requests.json", data=form(s))
    assert r.status_code == 200, r.text
    created = r.json()
    assert len(created) == 1 and created[0]["service_request_id"].isdigit()
    request_id = created[0]["service_request_id"]
    case = s.client.get(f"/cases/{request_id}", headers=s.as_("operator")).json()
    assert (case["source"], case["state"], case["category_code"]) == (
        "citizen",
        "reported",
        "06010",
    )
    assert case["timeline"][-1]["details"]["attributes"] == {"attribute[WHERE]": "kerb"}
    one = s.client.get(f"{V2}/requests/{request_id}.json").json()
    assert one[0]["status"] == "open" and one[0]["service_code"] == "06010"
    assert one[0]["requested_datetime"] == T0.strftime("%Y-%m-%dT%H:%M:%SZ")
    s.client.post(
        f"/cases/{request_id}/actions/void", json={"note": "已清理"}, headers=s.as_("operator")
    )
    closed = s.client.get(f"{V2}/requests/{request_id}.xml")
    request = child(ET.fromstring(closed.content), "request")
    assert request.findtext("status") == "closed" and "已清理" in str(
        request.findtext("status_notes")
    )


def test_post_with_an_address_only_and_xml_answer(surface: Surface) -> None:
    s = surface
    r = s.client.post(
        f"{V2}/requests.xml", data=form(s, lat=None, long=None, address_string="福田路1号")
    )
    assert r.status_code == 200, r.text
    request_id = ET.fromstring(r.content).findtext("request/service_request_id")
    one = s.client.get(f"{V2}/requests/{request_id}.json").json()[0]
    assert one["address"] == "福田路1号" and one["lat"] is None


@pytest.mark.parametrize(
    ("over", "status", "needle"),
    [({"api_key": "ss_bad_key"}, 403, "api_key"), ({"api_key": None}, 403, "api_key"),
     ({"service_code": "MT_UNSEALED"}, 404, "not found"),
     ({"service_code": None}, 400, "service_code"),
     ({"lat": None, "long": None}, 400, "location"), ({"lat": "95", "long": "114"}, 400, "lat"),
     ({"long": None}, 400, "lat"), ({"description": "x" * 4001}, 400, "4000")],
)  # fmt: skip
def test_post_errors_use_the_spec_format(
    surface: Surface, over: dict[str, str | None], status: int, needle: str
) -> None:
    body = form(surface, **over)
    for fmt in ("json", "xml"):
        r = surface.client.post(f"{V2}/requests.{fmt}", data=body)
        assert r.status_code == status
        if fmt == "json":
            error = r.json()[0]
        else:
            node = child(ET.fromstring(r.content), "error")
            error = {
                "code": int(str(node.findtext("code"))),
                "description": str(node.findtext("description")),
            }
        assert error["code"] == status and needle in error["description"]


def test_device_keys_may_not_post_requests(surface: Surface) -> None:
    r = surface.client.post(
        f"{V2}/requests.json", data=form(surface, api_key=surface.keys["device"])
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 200), ("?status=open", 200), ("?status=closed", 200), ("?status=pending", 400),
     ("?start_date=2026-11-01T00:00:00Z&end_date=2026-11-30T00:00:00Z", 200),
     ("?start_date=2026-01-01T00:00:00Z&end_date=2026-11-30T00:00:00Z", 400),
     ("?start_date=yesterday", 400), ("?start_date=2026-11-01T00:00:00", 400),
     ("?service_request_id=1,x", 400), ("?service_code=06010,06012", 200)],
)  # fmt: skip
def test_list_filters(surface: Surface, query: str, status: int) -> None:
    surface.client.post(f"{V2}/requests.json", data=form(surface))
    r = surface.client.get(f"{V2}/requests.json{query}")
    assert r.status_code == status, r.text
    if status == 200:
        expected = 0 if "closed" in query else 1
        assert len(r.json()) == expected
    else:
        assert r.json()[0]["code"] == 400


def test_list_filters_by_id_and_hides_camera_cases(surface: Surface) -> None:
    s = surface
    ids = []
    for n in range(2):
        r = s.client.post(f"{V2}/requests.json", data=form(s, long=str(DEMO_ORIGIN[0] + n * 0.01)))
        ids.append(r.json()[0]["service_request_id"])
    got = s.client.get(f"{V2}/requests.json?service_request_id={ids[1]}&status=closed").json()
    assert [g["service_request_id"] for g in got] == [ids[1]]  # ids override other filters
    assert s.client.get(f"{V2}/requests/999999.json").status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [("/services.csv", 400), ("/services/NOPE.json", 404), ("/requests/abc.json", 400),
     ("/services.json?jurisdiction_id=other.gov", 200)],
)  # fmt: skip
def test_get_errors_use_the_spec_format(surface: Surface, path: str, status: int) -> None:
    r = surface.client.get(f"{V2}{path}")
    assert r.status_code == status
    if status != 200:
        assert r.json()[0]["code"] == status and r.json()[0]["description"]


def _tags(element: ET.Element) -> set[str]:
    return {child.tag for child in element}


@pytest.mark.shared_data
def test_our_xml_has_the_fields_of_the_spec_examples(surface: Surface, shared_data: Path) -> None:
    examples = shared_data / "protocols" / "open311" / "examples"
    s = surface
    request_id = s.client.post(f"{V2}/requests.json", data=form(s)).json()[0]["service_request_id"]
    pairs = [("xml-service-list.xml", f"{V2}/services.xml", "service"),
             ("xml-service-requests.xml", f"{V2}/requests.xml", "request"),
             ("xml-service-request.xml", f"{V2}/requests/{request_id}.xml", "request")]  # fmt: skip
    for example, path, item in pairs:
        spec = ET.parse(examples / example).getroot()
        ours = ET.fromstring(s.client.get(path).content)
        assert ours.tag == spec.tag
        assert _tags(child(ours, item)) == _tags(child(spec, item)), example
    spec_post = ET.parse(examples / "xml-service-request-post.xml").getroot()
    ours_post = ET.fromstring(
        s.client.post(f"{V2}/requests.xml", data=form(s, long="114.2")).content
    )
    assert _tags(child(ours_post, "request")) == _tags(child(spec_post, "request"))
    spec_error = ET.fromstring(
        (examples / "xml-errors.http.txt").read_text().split("\n\n", 1)[1].strip().encode()
    )
    ours_error = ET.fromstring(s.client.get(f"{V2}/services/NOPE.xml").content)
    assert _tags(child(ours_error, "error")) == _tags(child(spec_error, "error"))
    spec_json = json.loads((examples / "json-service-request-post.json").read_text())
    ours_json = s.client.post(f"{V2}/requests.json", data=form(s, long="114.3")).json()
    assert set(ours_json[0]) == set(spec_json[0])


def test_a_real_open311_client_reads_services_and_requests(live_server: LiveServer) -> None:
    georeport = pytest.importorskip("georeport")
    import httpx

    root = f"{live_server.base_url}{V2}"
    r = httpx.post(f"{root}/requests.json", data=form(live_server, long=str(DEMO_ORIGIN[0] + 0.02)))
    assert r.status_code == 200, r.text
    request_id = r.json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(root, output_format=fmt)
        services = client.get_service_list()
        assert "06010" in [svc["service_code"] for svc in services]
        assert client.get_service_definition("06010")["service_code"] == "06010"
        one = client.get_service_request(request_id)
        assert one["service_request_id"] == request_id and one["status"] == "open"
        many = client.get_service_requests(status="open", service_code="06010")
        many = many if isinstance(many, list) else [many]  # xmltodict gives a dict for one item
        assert request_id in [m["service_request_id"] for m in many]
