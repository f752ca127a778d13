// The live map (Leaflet, no tiles by default): areas as vector layers, cameras, clustered case
// markers coloured by state and SLA, staff positions and a heat layer of recent cases.
import { areaStyle, layerOf, toFeatureCollection } from "./areas.js";
import { esc } from "./format.js";
import { fromLatLng, setDisplayDatum, toLatLng } from "./datum.js";
import { categoryName, t } from "./i18n.js";
import { effectiveSla, emit, isOpen, on, state } from "./store.js";

const L = window.L;
const SLA_RANK = { on_time: 0, warning: 1, breached: 2 };
const HEAT_WINDOW_MS = 24 * 3600 * 1000;
let map = null;
const layers = {};
const caseMarkers = new Map();
const staffMarkers = new Map();
const cameraMarkers = new Map();

function clusterIcon(cluster) {
  let worst = "on_time";
  for (const marker of cluster.getAllChildMarkers()) {
    const sla = marker.options.sla ?? "on_time";
    if (SLA_RANK[sla] > SLA_RANK[worst]) worst = sla;
  }
  const html = `<div class="case-cluster sla-${worst}"><span>${cluster.getChildCount()}</span></div>`;
  return L.divIcon({ html, className: "", iconSize: [40, 40] });
}

/** Build the map in ``element`` with the console config (tile URL optional). */
export function initMap(element, config) {
  map = L.map(element, {
    zoomControl: true, minZoom: 3, maxZoom: 20, attributionControl: Boolean(config.tile_url),
  });
  map.setView(toLatLng(config.center[0], config.center[1]), config.zoom);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 20 }).addTo(map);
  }
  const canvas = L.canvas({ padding: 0.3 });
  layers.districts = L.geoJSON(null, { renderer: canvas, style: areaStyle, coordsToLatLng, onEachFeature: labelArea }).addTo(map);
  layers.grid = L.geoJSON(null, { renderer: canvas, style: areaStyle, coordsToLatLng, onEachFeature: labelArea }).addTo(map);
  layers.resp = L.geoJSON(null, { renderer: canvas, style: areaStyle, coordsToLatLng, onEachFeature: labelArea }).addTo(map);
  layers.heat = L.heatLayer([], { radius: 28, blur: 20, maxZoom: 17, minOpacity: 0.25 }).addTo(map);
  layers.cameras = L.layerGroup().addTo(map);
  layers.staff = L.layerGroup().addTo(map);
  layers.cases = L.markerClusterGroup({
    iconCreateFunction: clusterIcon, maxClusterRadius: 45, disableClusteringAtZoom: 18,
    showCoverageOnHover: false, spiderfyOnMaxZoom: true,
  }).addTo(map);
  addControls();
  on("case", ({ item, isNew }) => drawCase(item, isNew));
  on("staff", drawStaff);
  on("camera", drawCamera);
  window.addEventListener("smartscene:lang", addControls);
  return map;
}

function coordsToLatLng(coords) {
  return L.latLng(...toLatLng(coords[0], coords[1]));
}

function labelArea(feature, layer) {
  const p = feature.properties ?? {};
  layer.bindTooltip(esc(`${p.name ?? p.id ?? ""} ${p.code ? `(${p.code})` : ""}`), { sticky: true });
}

let layerControl = null;
let legend = null;

function addControls() {
  if (layerControl) layerControl.remove();
  if (legend) legend.remove();
  const overlays = {};
  for (const key of ["districts", "grid", "resp", "cameras", "cases", "staff", "heat"]) {
    overlays[`<span data-layer="${key}">${esc(t(`layer.${key}`))}</span>`] = layers[key];
  }
  layerControl = L.control.layers(null, overlays, { collapsed: window.innerWidth < 1100 }).addTo(map);
  legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "map-legend");
    div.innerHTML = ["on_time", "warning", "breached"]
      .map((s) => `<span class="legend-item"><i class="dot sla-${s}"></i>${esc(t(`legend.${s}`))}</span>`)
      .join("");
    return div;
  };
  legend.addTo(map);
}

/** Replace the area layers with what /areas returned and fit the map to them. */
export function drawAreas(payload, { fit = true } = {}) {
  const collection = toFeatureCollection(payload);
  state.areas = collection;
  for (const key of ["districts", "grid", "resp"]) layers[key].clearLayers();
  for (const feature of collection.features) layers[layerOf(feature)].addData(feature);
  const bounds = layers.grid.getBounds().isValid() ? layers.grid.getBounds() : layers.districts.getBounds();
  if (fit && bounds.isValid()) map.fitBounds(bounds.pad(0.6));
}

function caseIcon(item, sla, isNew) {
  const label = esc(String(item.id));
  const cls = `case-marker state-${esc(item.state)} sla-${sla}${isNew ? " is-new" : ""}`;
  const html = `<div class="${cls}" data-case-id="${item.id}" data-state="${esc(item.state)}" data-sla="${sla}" title="${esc(item.code)}"><span>${label}</span></div>`;
  return L.divIcon({ html, className: "", iconSize: [30, 30], iconAnchor: [15, 15] });
}

/** Add, move, recolour or remove a case marker. */
export function drawCase(item, isNew = false) {
  const marker = caseMarkers.get(item.id);
  if (item.lon === null || item.lon === undefined || !isOpen(item)) {
    if (marker) layers.cases.removeLayer(marker);
    caseMarkers.delete(item.id);
    scheduleHeat();
    return;
  }
  const sla = effectiveSla(item);
  const latlng = toLatLng(item.lon, item.lat);
  if (!marker) {
    const created = L.marker(latlng, { icon: caseIcon(item, sla, isNew), sla, riseOnHover: true });
    created.on("click", () => emit("open-case", item.id));
    created.bindTooltip(() => tooltipOf(state.cases.get(item.id) ?? item), { direction: "top", offset: [0, -14] });
    caseMarkers.set(item.id, created);
    layers.cases.addLayer(created);
  } else {
    marker.options.sla = sla;
    marker.setLatLng(latlng);
    marker.setIcon(caseIcon(item, sla, isNew || marker.getElement()?.querySelector(".is-new")));
    layers.cases.refreshClusters(marker);
  }
  scheduleHeat();
}

function tooltipOf(item) {
  const category = categoryName(state.categories.get(item.category_code), item.category_code);
  return `<b>${esc(item.code)}</b><br>${esc(category)}<br>${esc(t(`state.${item.state}`))} · ${esc(t(`legend.${effectiveSla(item)}`))}`;
}

/** Recolour every marker whose SLA clock has just run out (called every second). */
export function refreshSla() {
  for (const [id, marker] of caseMarkers) {
    const item = state.cases.get(id);
    if (item && effectiveSla(item) !== marker.options.sla) drawCase(item);
  }
}

let heatTimer = null;
function scheduleHeat() {
  if (heatTimer) return;
  heatTimer = setTimeout(() => {
    heatTimer = null;
    const since = Date.now() - HEAT_WINDOW_MS;
    const points = [];
    for (const item of state.cases.values()) {
      if (item.lon === null || item.lon === undefined) continue;
      if (Date.parse(item.first_seen_at) < since) continue;
      points.push([...toLatLng(item.lon, item.lat), 0.6]);
    }
    layers.heat.setLatLngs(points);
  }, 300);
}

function currentCaseOf(staffId) {
  for (const item of state.cases.values()) {
    if (item.assigned_staff_id === staffId && isOpen(item)) return item;
  }
  return null;
}

/** Draw or move one staff marker. */
export function drawStaff(staff) {
  if (staff.lon === null || staff.lon === undefined) return;
  const status = esc(staff.status ?? "unknown");
  const html = `<div class="staff-marker staff-${status}" data-staff-id="${esc(staff.id)}"><span>${esc((staff.name ?? staff.id).slice(-1))}</span></div>`;
  const icon = L.divIcon({ html, className: "", iconSize: [24, 24], iconAnchor: [12, 12] });
  let marker = staffMarkers.get(staff.id);
  if (!marker) {
    marker = L.marker(toLatLng(staff.lon, staff.lat), { icon, zIndexOffset: 500 }).addTo(layers.staff);
    marker.bindTooltip(() => staffTooltip(state.staff.get(staff.id) ?? staff), { direction: "top" });
    staffMarkers.set(staff.id, marker);
  } else {
    marker.setLatLng(toLatLng(staff.lon, staff.lat));
    marker.setIcon(icon);
  }
}

function staffTooltip(staff) {
  const current = currentCaseOf(staff.id);
  const job = current ? `<br>${esc(current.code)} (${esc(t(`state.${current.state}`))})` : "";
  return `<b>${esc(staff.name ?? staff.id)}</b> · ${esc(t(`staff.${staff.status}`))}${job}`;
}

/** Draw one camera with its health. */
export function drawCamera(camera) {
  if (camera.lon === null || camera.lon === undefined) return;
  const status = cameraStatus(camera);
  const html = `<div class="camera-marker cam-${status}" data-camera-id="${esc(camera.id)}"><svg viewBox="0 0 24 24" width="16" height="16"><path d="M3 7h12v10H3zM15 10l6-3v10l-6-3z" fill="currentColor"/></svg></div>`;
  const icon = L.divIcon({ html, className: "", iconSize: [26, 26], iconAnchor: [13, 13] });
  let marker = cameraMarkers.get(camera.id);
  if (!marker) {
    marker = L.marker(toLatLng(camera.lon, camera.lat), { icon }).addTo(layers.cameras);
    marker.on("click", () => { location.hash = `#/cameras/${encodeURIComponent(camera.id)}`; });
    cameraMarkers.set(camera.id, marker);
  } else {
    marker.setIcon(icon);
  }
  marker.bindTooltip(`<b>${esc(camera.name ?? camera.id)}</b><br>${esc(t(`cam.${status}`))}`, { direction: "top" });
}

/** ok, stale, down, disabled or unknown, from the camera's health (whatever its shape). */
export function cameraStatus(camera) {
  if (camera.enabled === false) return "disabled";
  const health = typeof camera.health === "string" ? camera.health : camera.health?.status;
  const raw = String(health ?? camera.status ?? "unknown").toLowerCase();
  if (["ok", "up", "healthy", "online", "running"].includes(raw)) return "ok";
  if (["stale", "degraded", "slow", "warning", "lagging"].includes(raw)) return "stale";
  if (["down", "offline", "error", "failed", "dead", "unreachable"].includes(raw)) return "down";
  return "unknown";
}

/** Centre on a case and open its panel. */
export function focusCase(item) {
  if (!map || item.lon === null || item.lon === undefined) return;
  map.setView(toLatLng(item.lon, item.lat), Math.max(map.getZoom(), 17));
}

/** Switch the display datum keeping the same ground point in the centre, and redraw. */
export function switchDatum(next, payloadAreas) {
  const [lon, lat] = fromLatLng(map.getCenter());
  setDisplayDatum(next);
  map.setView(toLatLng(lon, lat), map.getZoom(), { animate: false });
  redrawAll(payloadAreas);
}

/** The Leaflet map (for debugging and tests). */
export function leafletMap() {
  return map;
}

/** Redraw everything in the current display datum. */
export function redrawAll(payloadAreas) {
  for (const marker of caseMarkers.values()) layers.cases.removeLayer(marker);
  caseMarkers.clear();
  layers.staff.clearLayers();
  staffMarkers.clear();
  layers.cameras.clearLayers();
  cameraMarkers.clear();
  drawAreas(payloadAreas ?? state.areas, { fit: false });
  for (const item of state.cases.values()) drawCase(item);
  for (const staff of state.staff.values()) drawStaff(staff);
  for (const camera of state.cameras.values()) drawCamera(camera);
}

export function invalidate() {
  if (map) map.invalidateSize();
}
