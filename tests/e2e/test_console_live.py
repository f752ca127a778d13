"""The operator's loop in a real browser: sign in, watch a case arrive live, open it, dispatch
it, and see a breach turn red without a reload."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from api.seed_data import DEMO_ORIGIN
from gis.datums import wgs84_to_gcj02
from models import Case, Dispatch
from tests.e2e.conftest import LiveServer, login, open_signed_in, screenshot, wait_until

NEW_CASE_WITHIN_MS = 2000
CLOCK_TEXT_JS = "document.querySelector('#case-panel .sla-clock .sla-value').textContent"
# Where a camera marker sits on the map, in the map's (display) coordinates: [lon, lat].
MARKER_LONLAT_JS = """(cameraId) => {
  const map = window.smartscene.map;
  const marker = document.querySelector(`.camera-marker[data-camera-id='${cameraId}']`);
  const box = marker.getBoundingClientRect();
  const frame = map.getContainer().getBoundingClientRect();
  const x = box.x + box.width / 2 - frame.x;
  const y = box.y + box.height / 2 - frame.y;
  const at = map.containerPointToLatLng([x, y]);
  return [at.lng, at.lat];
}"""


def _case_id_of(server: LiveServer, event_id: str, timeout_s: float = 5.0) -> int:
    """The case that intake opened for ``event_id``."""
    from models import SceneEventRecord

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with server.container.sessions() as session:
            case_id = session.scalar(
                select(SceneEventRecord.case_id).where(SceneEventRecord.event_id == event_id)
            )
        if case_id is not None:
            return int(case_id)
        time.sleep(0.05)
    raise AssertionError(f"no case for event {event_id}")


def test_map_loads_with_staff_and_camera(page: Any, live_server: LiveServer) -> None:
    login(page, live_server)
    page.wait_for_selector(".staff-marker[data-staff-id='staff-1']")
    assert page.locator(".staff-marker").count() == 4
    assert page.locator(".camera-marker[data-camera-id='demo-cam-1']").count() == 1
    mode = wait_until(
        page, "window.smartscene.state.liveMode !== 'off' && window.smartscene.state.liveMode"
    )
    assert mode == "ws"  # the WebSocket feed, not a fallback
    assert page.locator("nav a[data-view='cases']").inner_text() == "案件列表"  # zh-CN default
    assert page.locator("#map path.leaflet-interactive, #map canvas").count() >= 1  # areas drawn
    screenshot(page, "01-map-after-login")

    shown_wgs = page.evaluate(MARKER_LONLAT_JS, "demo-cam-1")
    assert shown_wgs == pytest.approx(list(DEMO_ORIGIN), abs=5e-5)  # ~5 m: a pixel or two
    page.select_option("#datum-select", "gcj02")  # an Amap-style base map needs GCJ-02
    shown_gcj = page.evaluate(MARKER_LONLAT_JS, "demo-cam-1")
    expected = [float(v) for v in wgs84_to_gcj02(*DEMO_ORIGIN)]
    assert shown_gcj == pytest.approx(expected, abs=5e-5)  # shifted ~500 m, not left in WGS84
    page.select_option("#datum-select", "wgs84")
    assert page.evaluate(MARKER_LONLAT_JS, "demo-cam-1") == pytest.approx(shown_wgs, abs=5e-5)


def test_new_case_appears_live_and_is_dispatched(page: Any, live_server: LiveServer) -> None:
    login(page, live_server)
    wait_until(page, "['ws', 'sse', 'poll'].includes(window.smartscene.state.liveMode)")
    beeps_before = page.evaluate("window.smartscene.state.beeps")

    event_id = live_server.post_event(dx_m=-60, dy_m=30, evidence=True)
    started = time.monotonic()
    case_id = _case_id_of(live_server, event_id)
    marker = page.locator(f".case-marker[data-case-id='{case_id}']")
    marker.wait_for(state="visible", timeout=NEW_CASE_WITHIN_MS)
    seen_ms = (time.monotonic() - started) * 1000
    assert seen_ms < NEW_CASE_WITHIN_MS
    assert page.evaluate("window.smartscene.state.beeps") > beeps_before  # the audible cue ran
    assert page.locator(".toast-new").count() >= 1  # and the visible one
    assert marker.get_attribute("data-state") == "filed"
    screenshot(page, "02-new-case-on-map")

    marker.click()
    panel = page.locator("#case-panel")
    panel.wait_for(state="visible")
    with live_server.container.sessions() as session:
        code = session.get(Case, case_id).code  # type: ignore[union-attr]
    assert panel.locator(".case-code").inner_text() == code
    assert panel.locator(".state-badge").get_attribute("data-state") == "filed"
    snapshot = panel.locator(".evidence img[data-evidence-id]")
    snapshot.wait_for()
    wait_until(page, "document.querySelector('.evidence img').naturalWidth")
    assert page.evaluate("document.querySelector('.evidence img').naturalWidth") == 320
    first_staff = panel.locator(".staff-row").first
    staff_id = first_staff.get_attribute("data-staff-id")
    first_staff.locator("button[data-action='dispatch']").click()

    panel.locator(".state-badge[data-state='dispatched']").wait_for()
    page.locator(f".case-marker[data-case-id='{case_id}'][data-state='dispatched']").wait_for()
    panel.locator(".timeline li[data-action='dispatch']").wait_for()
    panel.locator(".sla-clock.sla-on_time").first.wait_for()  # the arrive clock started counting
    first = panel.locator(".sla-clock .sla-value").first.inner_text()
    wait_until(page, f"{CLOCK_TEXT_JS} !== {json.dumps(first)}", timeout_s=3)  # it counts down
    screenshot(page, "03-case-dispatched")
    with live_server.container.sessions() as session:
        case = session.get(Case, case_id)
        offers = session.scalars(select(Dispatch).where(Dispatch.case_id == case_id)).all()
    assert case is not None and case.state == "dispatched"
    assert [o.staff_id for o in offers] == [staff_id]


def test_breach_turns_red_without_reload(page: Any, live_server: LiveServer) -> None:
    open_signed_in(page, live_server)
    case_id = _case_id_of(live_server, live_server.post_event(dx_m=80, dy_m=-20))
    marker = page.locator(f".case-marker[data-case-id='{case_id}']")
    marker.wait_for()
    due = datetime.now(UTC) + timedelta(seconds=3)
    with live_server.container.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.handling_due_at = due  # the ORM bumps the version: the feed re-sends the case
        session.commit()
    live_server.container.dispatch.notify_case(case_id, "due_changed")
    page.locator(f".case-marker[data-case-id='{case_id}'][data-sla='on_time']").wait_for()
    page.locator(f".case-marker[data-case-id='{case_id}'][data-sla='breached']").wait_for()
    assert datetime.now(UTC) >= due - timedelta(seconds=1)  # not red before its time
    marker.click()
    page.locator("#case-panel .sla-clock.sla-breached").wait_for()
    screenshot(page, "04-breach-red")


@pytest.mark.parametrize(
    ("disable", "mode"),
    [
        ("window.WebSocket = undefined;", "sse"),  # a proxy that refuses upgrades
        ("window.WebSocket = undefined; window.EventSource = undefined;", "poll"),
    ],
)
def test_feed_falls_back_and_still_shows_new_cases(
    page: Any, live_server: LiveServer, disable: str, mode: str
) -> None:
    page.add_init_script(disable)
    open_signed_in(page, live_server)
    assert wait_until(page, f"window.smartscene.state.liveMode === '{mode}'")
    case_id = _case_id_of(live_server, live_server.post_event(dx_m=-150, dy_m=150))
    page.locator(f".case-marker[data-case-id='{case_id}']").wait_for(timeout=NEW_CASE_WITHIN_MS)
