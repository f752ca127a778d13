// Console entry point: login, reference data, routing between views, the live feed and the
// one-second tick that counts SLA clocks and turns breaches red.
import * as api from "./api.js";
import { initCameras, loadCameras, showCameras } from "./cameras.js";
import { initCaseList, loadCases } from "./caselist.js";
import * as datum from "./datum.js";
import { applyI18n, categoryName, currentLang, setLang, t } from "./i18n.js";
import { handleMessage, startLive, stopLive } from "./live.js";
import * as map from "./map.js";
import { beep, toast, unlockAudio } from "./notify.js";
import { closeCase, initPanel, tickClocks } from "./panel.js";
import { OPEN_STATES, emit, on, state, upsertCase } from "./store.js";

const DATUM_KEY = "smartscene.datum";
let started = false;
let areasPayload = null;

async function loadConfig() {
  const response = await fetch("config.json");
  state.config = await response.json();
  datum.setDisplayDatum(localStorage.getItem(DATUM_KEY) || state.config.datum);
  document.getElementById("datum-select").value = datum.getDisplayDatum();
  document.getElementById("reports-link").href = state.config.reports_url;
}

function showLogin(message = "") {
  document.getElementById("app").hidden = true;
  document.getElementById("login-view").hidden = false;
  document.getElementById("login-error").textContent = message;
}

async function onLogin(event) {
  event.preventDefault();
  unlockAudio(); // the click is the user gesture browsers need before sound
  const form = event.target;
  try {
    await api.login(form.username.value, form.password.value);
    form.password.value = "";
    await start();
  } catch (err) {
    console.error("sign-in failed", err);
    showLogin(err.status === 429 ? t("login.blocked") : err.status === 401 ? t("login.failed") : err.message);
  }
}

/** Every area with its geometry, following the cursor (GET /areas pages of up to 500). */
async function loadAreas() {
  const rows = [];
  let cursor = null;
  for (let pages = 0; pages < 200; pages += 1) {
    const page = await api.getOptional(`/areas${api.query({ with_geometry: true, limit: 500, cursor })}`);
    if (!page) return rows.length ? rows : null;
    if (Array.isArray(page) || page.type === "FeatureCollection") return page;
    rows.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return rows;
}

async function loadReferenceData() {
  const [categories, areas, staff] = await Promise.all([
    api.getOptional("/categories"), loadAreas(), api.get("/staff"),
  ]);
  const catRows = Array.isArray(categories) ? categories : categories?.data ?? [];
  for (const c of catRows) state.categories.set(c.code, c);
  areasPayload = areas;
  map.drawAreas(areas);
  for (const s of staff.data) state.staff.set(s.id, s);
  for (const s of staff.data) map.drawStaff(s);
  for (const cam of await loadCameras()) map.drawCamera(cam);
  emit("reference-data", true);
}

async function loadMapCases() {
  const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const [open, recent] = await Promise.all([
    api.get(`/cases${api.query({ state: [...OPEN_STATES], limit: 500 })}`),
    api.get(`/cases${api.query({ since, limit: 500 })}`),
  ]);
  for (const item of [...open.data, ...recent.data]) upsertCase(item);
}

async function start() {
  document.getElementById("login-view").hidden = true;
  document.getElementById("app").hidden = false;
  document.getElementById("user-role").textContent = api.role() ?? "";
  if (!started) {
    window.smartscene.map = map.initMap(document.getElementById("map"), state.config);
    started = true;
    initPanel();
    initCaseList();
    initCameras();
    wireLiveCues();
    setInterval(tick, 1000);
    setInterval(() => refreshStaff().catch(() => {}), 10000);
  }
  await loadReferenceData();
  await loadMapCases();
  startLive();
  route();
  document.body.dataset.ready = "1";
}

async function refreshStaff() {
  const staff = await api.get("/staff");
  for (const s of staff.data) {
    state.staff.set(s.id, s);
    map.drawStaff(s);
  }
}

let staffTimer = null;
/** Reload staff soon (after a dispatch or a case change moves someone). */
function refreshStaffSoon() {
  if (staffTimer) return;
  staffTimer = setTimeout(() => {
    staffTimer = null;
    refreshStaff().catch(() => {});
  }, 400);
}

function tick() {
  map.refreshSla();
  tickClocks();
}

function wireLiveCues() {
  on("case", ({ item, isNew, breached }) => {
    if (state.liveMode !== "off") refreshStaffSoon();
    const category = categoryName(state.categories.get(item.category_code), item.category_code);
    if (isNew && OPEN_STATES.has(item.state)) {
      beep("new");
      toast(`${t("toast.new_case")}: ${category} ${item.code}`, { kind: "new", onClick: () => openOnMap(item) });
      document.body.classList.add("flash");
      setTimeout(() => document.body.classList.remove("flash"), 1200);
    } else if (breached) {
      beep("breach");
      toast(`${t("toast.breach")}: ${category} ${item.code}`, { kind: "breach", onClick: () => openOnMap(item) });
    }
  });
  on("resync", () => loadMapCases().catch((err) => console.warn("resync failed", err)));
  on("live", (mode) => {
    const node = document.getElementById("live-status");
    node.dataset.mode = mode;
    node.textContent = t(`live.${mode}`);
  });
}

function openOnMap(item) {
  location.hash = "#/map";
  map.focusCase(item);
  emit("open-case", item.id);
}

function route() {
  if (!started) return;
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const view = ["map", "cases", "cameras"].includes(parts[0]) ? parts[0] : "map";
  for (const name of ["map", "cases", "cameras"]) {
    document.getElementById(`view-${name}`).hidden = name !== view;
    document.querySelector(`nav a[data-view="${name}"]`).classList.toggle("active", name === view);
  }
  if (view === "map") map.invalidate();
  if (view === "cases") loadCases().catch((err) => toast(err.message, { kind: "error" }));
  if (view === "cameras") showCameras(parts[1] || null, parts[2] === "edit").catch((err) => toast(err.message, { kind: "error" }));
}

function wireHeader() {
  document.getElementById("login-form").addEventListener("submit", onLogin);
  document.getElementById("lang-toggle").addEventListener("click", () => setLang(currentLang() === "en" ? "zh-CN" : "en"));
  document.getElementById("datum-select").addEventListener("change", (event) => {
    localStorage.setItem(DATUM_KEY, event.target.value);
    map.switchDatum(event.target.value, areasPayload);
  });
  document.getElementById("logout").addEventListener("click", () => {
    stopLive();
    closeCase();
    api.logout();
    delete document.body.dataset.ready;
    showLogin();
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("smartscene:unauthorized", () => {
    stopLive();
    api.logout();
    showLogin(t("err.session"));
  });
  window.addEventListener("smartscene:lang", () => {
    const node = document.getElementById("live-status");
    node.textContent = t(`live.${state.liveMode}`);
    if (!document.getElementById("view-cameras").hidden) {
      const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
      if (parts[2] !== "edit") showCameras(parts[1] || null, false, { force: true }).catch(() => {}); // keep unsaved edits
    }
  });
}

async function main() {
  applyI18n();
  wireHeader();
  window.smartscene = Object.assign(window.smartscene ?? {}, { state, handleMessage, datum });
  await loadConfig();
  if (api.token()) {
    try {
      await start();
      return;
    } catch (err) {
      console.warn("stored session not usable", err);
      api.logout();
    }
  }
  showLogin();
}

main().catch((err) => {
  console.error(err);
  showLogin(t("err.network"));
});
