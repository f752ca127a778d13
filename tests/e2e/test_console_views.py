"""The console's other views in a real browser: the zone/line editor saving to the scene, the
camera view, the case list with filters in English on a tablet, and the datum conversion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gis.datums import gcj02_to_wgs84, wgs84_to_gcj02
from tests.e2e.conftest import LiveServer, PageLog, open_signed_in, screenshot, wait_until

TABLET = {"width": 820, "height": 1180}  # a 10.9" tablet held upright
ZONE_REL = [(0.1, 0.15), (0.35, 0.12), (0.38, 0.4), (0.12, 0.42)]
LINE_REL = [(0.55, 0.7), (0.9, 0.7)]


def _flat(points: Any) -> list[float]:
    return [float(v) for point in points for v in point]


def _click_rel(page: Any, selector: str, points: list[tuple[float, float]]) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None
    for x, y in points:
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])


def _draw_zone_and_line(page: Any) -> None:
    page.click("[data-tool='polygon']")
    _click_rel(page, ".frame-box .scene-svg", ZONE_REL)
    page.click("[data-tool='finish']")
    page.fill("input[name='item-name']", "e2e 禁停区")
    page.click("[data-tool='line']")
    _click_rel(page, ".frame-box .scene-svg", LINE_REL)  # two clicks finish a line


@pytest.mark.parametrize(
    ("username", "saved"),
    [("admin", True), ("operator", False)],  # only admins may change a scene
)
def test_zone_editor_draws_and_saves(
    page: Any, live_server: LiveServer, username: str, saved: bool
) -> None:
    before = live_server.call("GET", "/cameras/demo-cam-1/scene", "admin").json()["config"]
    open_signed_in(page, live_server, username, "#/cameras/demo-cam-1/edit")
    page.locator(".frame-box .scene-svg g.zone").first.wait_for()
    _draw_zone_and_line(page)
    page.click("[data-tool='save']")
    status = page.locator(".save-status.ok" if saved else ".save-status.error")
    status.wait_for()
    screenshot(page, f"05-editor-{username}")
    after = live_server.call("GET", "/cameras/demo-cam-1/scene", "admin").json()["config"]
    new_zones = [z for z in after["zones"] if z["name"] == "e2e 禁停区"]
    if not saved:
        assert after == before
        return
    assert len(new_zones) == 1
    assert _flat(new_zones[0]["polygon"]) == pytest.approx(_flat(ZONE_REL), abs=0.01)
    (line,) = [ln for ln in after["lines"] if ln["id"] not in {x["id"] for x in before["lines"]}]
    assert _flat([line["a"], line["b"]]) == pytest.approx(_flat(LINE_REL), abs=0.01)
    assert line["direction"] == "left_to_right"
    assert after["rules"] == before["rules"]  # the editor keeps the rules untouched


def test_camera_view_draws_the_scene(page: Any, live_server: LiveServer) -> None:
    open_signed_in(page, live_server)
    page.click("nav a[data-view='cameras']")
    page.click(".camera-item[data-camera-id='demo-cam-1'] a >> nth=0")
    page.locator(".frame-box .scene-svg g.zone").first.wait_for()
    scene = live_server.call("GET", "/cameras/demo-cam-1/scene").json()["config"]
    assert page.locator(".scene-svg g.zone").count() == len(scene["zones"])
    assert page.locator(".scene-svg g.line").count() == len(scene["lines"])
    assert page.locator(".camera-item .dot.cam-ok").count() == 1  # health "online"
    screenshot(page, "06-camera-view")


def test_case_list_in_english_on_a_tablet(browser: Any, live_server: LiveServer) -> None:
    live_server.post_event(dx_m=20, dy_m=120)
    context = browser.new_context(viewport=TABLET, base_url=live_server.base_url, has_touch=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    try:
        open_signed_in(page, live_server)
        page.click("#lang-toggle")
        assert page.locator("nav a[data-view='cases']").inner_text() == "Cases"
        page.click("nav a[data-view='cases']")
        page.locator("#case-table tbody tr[data-case-id]").first.wait_for()
        page.select_option("#case-filters select[name='state']", ["voided"])
        page.click("#case-filters button[type='submit']")
        page.locator("#case-table tbody td.muted").wait_for()
        assert page.locator("#case-table tbody tr[data-case-id]").count() == 0
        page.select_option("#case-filters select[name='state']", ["filed", "dispatched"])
        page.click("#case-filters button[type='submit']")
        rows = page.locator("#case-table tbody tr[data-case-id]")
        rows.first.wait_for()
        states = set(page.locator("#case-table tbody .state-badge").all_inner_texts())
        assert states <= {"Filed", "Dispatched"} and states
        rows.first.click()
        panel = page.locator("#case-panel")
        panel.wait_for(state="visible")
        box = panel.bounding_box()
        assert box is not None and box["y"] > TABLET["height"] / 3  # a bottom sheet, not a column
        screenshot(page, "07-tablet-english-case-list")
    finally:
        context.close()
    assert [u for u in requests if not u.startswith(live_server.base_url)] == []


@pytest.fixture(scope="module")
def blank_console(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """One signed-out console page shared by the datum checks (loading it is the slow part)."""
    log = PageLog()
    context = browser.new_context(base_url=live_server.base_url)
    context.on("request", lambda request: log.requests.append(request.url))
    page_ = context.new_page()
    page_.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page_.goto("/console/")
    wait_until(page_, "window.smartscene && window.smartscene.datum")
    yield page_
    context.close()
    assert log.foreign() == [] and log.page_errors == []


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (114.0550, 22.5420),  # the demo district, Shenzhen
        (116.3975, 39.9087),  # Beijing
        (87.6168, 43.8256),  # Urumqi, far west
        (2.3522, 48.8566),  # Paris: outside China, unchanged
    ],
)
def test_js_datum_matches_server(blank_console: Any, lon: float, lat: float) -> None:
    page = blank_console
    js_gcj = page.evaluate(f"window.smartscene.datum.wgs84ToGcj02({lon}, {lat})")
    py_lon, py_lat = wgs84_to_gcj02(lon, lat)
    assert js_gcj == pytest.approx([float(py_lon), float(py_lat)], abs=1e-9)
    js_back = page.evaluate(f"window.smartscene.datum.gcj02ToWgs84({js_gcj[0]}, {js_gcj[1]})")
    py_back = gcj02_to_wgs84(*js_gcj)
    assert js_back == pytest.approx([float(py_back[0]), float(py_back[1])], abs=1e-9)
    assert js_back == pytest.approx([lon, lat], abs=1e-7)
