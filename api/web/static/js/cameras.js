// Cameras: the list with health, one camera's latest frame with its zones drawn, and the editor.
import { ApiError, get } from "./api.js";
import { makeEditor } from "./editor.js";
import { el } from "./format.js";
import { t } from "./i18n.js";
import { cameraStatus } from "./map.js";
import { drawScene, frameBox, sceneLegend } from "./sceneview.js";
import { on, state } from "./store.js";

let current = null; // {cameraId, edit}

/** Load cameras from GET /cameras (a page or a bare list); empty when the route is missing. */
export async function loadCameras() {
  let payload = null;
  try {
    payload = await get("/cameras");
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  const rows = Array.isArray(payload) ? payload : payload?.data ?? [];
  for (const cam of rows) state.cameras.set(cam.id, cam);
  return rows;
}

function listView() {
  const cams = [...state.cameras.values()];
  const items = cams.map((cam) => {
    const status = cameraStatus(cam);
    const active = current?.cameraId === cam.id;
    return el("li", { class: `camera-item${active ? " active" : ""}`, "data-camera-id": cam.id },
      el("span", { class: `dot cam-${status}` }),
      el("a", { href: `#/cameras/${encodeURIComponent(cam.id)}` }, cam.name ?? cam.id),
      el("span", { class: "muted" }, t(`cam.${status}`)),
      el("a", { class: "small", href: `#/cameras/${encodeURIComponent(cam.id)}/edit` }, t("cam.edit")));
  });
  return el("div", { class: "camera-list" }, el("h2", {}, t("cam.list")),
    items.length ? el("ul", { class: "plain" }, items) : el("p", { class: "muted" }, t("err.missing")));
}

async function loadScene(cameraId) {
  try {
    const found = await get(`/cameras/${encodeURIComponent(cameraId)}/scene`);
    return found?.config ?? found; // ScenePublic {camera_id, version, config} or a bare SceneConfig
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function emptyScene(cameraId) {
  const id = `${cameraId}-scene`.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 64);
  return { id, camera_id: cameraId, name: "", zones: [], lines: [], rules: [] };
}

/** Show the cameras view: list, and the selected camera (view or editor). */
export async function showCameras(cameraId = null, edit = false, { force = false } = {}) {
  const same = current && current.cameraId === cameraId && current.edit === edit;
  if (same && !force && document.querySelector("#view-cameras .camera-detail")) return; // keep edits
  current = cameraId ? { cameraId, edit } : null;
  const root = document.getElementById("view-cameras");
  const detail = el("div", { class: "camera-detail" });
  root.replaceChildren(listView(), detail);
  if (!cameraId) return;
  const cam = state.cameras.get(cameraId) ?? { id: cameraId, name: cameraId };
  const [frame, scene] = await Promise.all([frameBox(cameraId), loadScene(cameraId)]);
  if (current?.cameraId !== cameraId) return; // the operator moved on meanwhile
  const title = el("h2", {}, cam.name ?? cameraId, " ",
    el("span", { class: `badge cam-${cameraStatus(cam)}` }, t(`cam.${cameraStatus(cam)}`)));
  const links = el("div", { class: "tool-row" },
    el("a", { class: `button${edit ? "" : " active"}`, href: `#/cameras/${encodeURIComponent(cameraId)}` }, t("cam.view")),
    el("a", { class: `button${edit ? " active" : ""}`, href: `#/cameras/${encodeURIComponent(cameraId)}/edit` }, t("cam.edit")));
  detail.replaceChildren(title, links, frame.box);
  if (edit) {
    detail.append(makeEditor(cameraId, scene ?? emptyScene(cameraId), frame));
  } else {
    drawScene(frame.svg, scene, frame.size);
    detail.append(sceneLegend(scene));
  }
}

/** Keep the list's health dots current. */
export function initCameras() {
  on("camera", () => {
    const list = document.querySelector("#view-cameras .camera-list");
    if (list) list.replaceWith(listView());
  });
}
