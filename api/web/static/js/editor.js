// Zone/line editor on a camera frame: draw polygons and directed lines, drag vertices, rename,
// delete, and save the whole scene with PUT /cameras/{id}/scene (rules are kept as they are).
import { ApiError, put } from "./api.js";
import { el } from "./format.js";
import { t } from "./i18n.js";
import { toast } from "./notify.js";
import { drawScene, svgEl } from "./sceneview.js";

const CLOSE_PX = 6;

/** Attach an editor to a frame box; returns the control panel element. */
export function makeEditor(cameraId, scene, frame) {
  const ed = { cameraId, scene: structuredClone(scene), frame, tool: "select", draft: [], selected: null };
  const controls = el("div", { class: "editor-controls" });
  ed.controls = controls;
  frame.svg.classList.add("editing");
  frame.svg.addEventListener("click", (event) => onClick(ed, event));
  frame.svg.addEventListener("dblclick", (event) => { event.preventDefault(); finish(ed); });
  frame.svg.addEventListener("pointerdown", (event) => startDrag(ed, event));
  renderControls(ed);
  redraw(ed);
  return controls;
}

function rel(ed, event) {
  const box = ed.frame.svg.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)].map((v) => Math.round(v * 10000) / 10000);
}

function nearPx(ed, p, q) {
  const box = ed.frame.svg.getBoundingClientRect();
  return Math.hypot((p[0] - q[0]) * box.width, (p[1] - q[1]) * box.height) < CLOSE_PX;
}

function onClick(ed, event) {
  if (ed.dragged) { ed.dragged = false; return; }
  const p = rel(ed, event);
  if (ed.tool === "polygon") {
    const last = ed.draft[ed.draft.length - 1];
    if (last && nearPx(ed, last, p)) return; // second click of a double-click
    ed.draft.push(p);
  } else if (ed.tool === "line") {
    ed.draft.push(p);
    if (ed.draft.length === 2) finish(ed);
  } else {
    const target = event.target.closest("[data-zone-id], [data-line-id]");
    ed.selected = target ? (target.dataset.zoneId ? { kind: "zone", id: target.dataset.zoneId } : { kind: "line", id: target.dataset.lineId }) : null;
    renderControls(ed);
  }
  redraw(ed);
}

function nextId(items, prefix) {
  const ids = new Set(items.map((i) => i.id));
  let n = items.length + 1;
  while (ids.has(`${prefix}-${n}`)) n += 1;
  return `${prefix}-${n}`;
}

function finish(ed) {
  if (ed.tool === "polygon" && ed.draft.length >= 3) {
    const id = nextId(ed.scene.zones, "zone");
    ed.scene.zones.push({ id, name: "", polygon: ed.draft });
    ed.selected = { kind: "zone", id };
  } else if (ed.tool === "line" && ed.draft.length === 2) {
    const id = nextId(ed.scene.lines, "line");
    const direction = ed.controls.querySelector("select[name=new-direction]")?.value ?? "any";
    ed.scene.lines.push({ id, name: "", a: ed.draft[0], b: ed.draft[1], direction });
    ed.selected = { kind: "line", id };
  } else {
    return;
  }
  ed.draft = [];
  ed.tool = "select";
  renderControls(ed);
  redraw(ed);
}

function selectedItem(ed) {
  if (!ed.selected) return null;
  const list = ed.selected.kind === "zone" ? ed.scene.zones : ed.scene.lines;
  return list.find((i) => i.id === ed.selected.id) ?? null;
}

function redraw(ed) {
  drawScene(ed.frame.svg, ed.scene, ed.frame.size, ed.selected);
  const [w, h] = ed.frame.size;
  const r = Math.max(w, h) * 0.006;
  if (ed.draft.length) {
    const pts = ed.draft.map(([x, y]) => `${x * w},${y * h}`).join(" ");
    ed.frame.svg.append(svgEl("polyline", { points: pts, class: "draft" }));
    for (const [x, y] of ed.draft) ed.frame.svg.append(svgEl("circle", { cx: x * w, cy: y * h, r, class: "draft-vertex" }));
  }
  const item = selectedItem(ed);
  if (item && ed.tool === "select") {
    const points = ed.selected.kind === "zone" ? item.polygon : [item.a, item.b];
    points.forEach(([x, y], index) => ed.frame.svg.append(svgEl("circle", { cx: x * w, cy: y * h, r: r * 1.4, class: "handle", "data-index": index })));
  }
}

function startDrag(ed, event) {
  const handle = event.target.closest(".handle");
  const item = selectedItem(ed);
  if (!handle || !item) return;
  const index = Number(handle.dataset.index);
  ed.frame.svg.setPointerCapture(event.pointerId);
  const move = (e) => {
    const p = rel(ed, e);
    if (ed.selected.kind === "zone") item.polygon[index] = p;
    else item[index === 0 ? "a" : "b"] = p;
    ed.dragged = true;
    redraw(ed);
  };
  const up = () => {
    ed.frame.svg.removeEventListener("pointermove", move);
    ed.frame.svg.removeEventListener("pointerup", up);
  };
  ed.frame.svg.addEventListener("pointermove", move);
  ed.frame.svg.addEventListener("pointerup", up);
}

function toolButton(ed, tool) {
  return el("button", { type: "button", class: `tool-btn${ed.tool === tool ? " active" : ""}`, "data-tool": tool,
    onclick: () => { ed.tool = tool; ed.draft = []; renderControls(ed); redraw(ed); } }, t(`ed.${tool}`));
}

function directionSelect(name, value, onchange) {
  return el("select", { name, onchange },
    ["any", "left_to_right", "right_to_left"].map((d) => el("option", { value: d, selected: d === value }, t(`ed.${d}`))));
}

function selectionForm(ed) {
  const item = selectedItem(ed);
  if (!item) return null;
  const rename = (key) => (event) => { item[key] = event.target.value.trim(); redraw(ed); };
  return el("div", { class: "selection-form" },
    el("label", {}, t("ed.id"), el("input", { name: "item-id", value: item.id, onchange: (e) => {
      const old = item.id;
      item.id = e.target.value.trim() || old;
      ed.selected.id = item.id;
      redraw(ed);
    } })),
    el("label", {}, t("ed.name"), el("input", { name: "item-name", value: item.name ?? "", oninput: rename("name") })),
    ed.selected.kind === "line"
      ? el("label", {}, t("ed.direction"), directionSelect("item-direction", item.direction, (e) => { item.direction = e.target.value; redraw(ed); }))
      : null,
    el("button", { type: "button", class: "danger", "data-tool": "delete", onclick: () => {
      const key = ed.selected.kind === "zone" ? "zones" : "lines";
      ed.scene[key] = ed.scene[key].filter((i) => i !== item);
      ed.selected = null;
      renderControls(ed);
      redraw(ed);
    } }, t("ed.delete")));
}

function renderControls(ed) {
  const drawing = ed.tool === "polygon" || ed.tool === "line";
  ed.controls.replaceChildren(
    el("div", { class: "tool-row" },
      toolButton(ed, "select"), toolButton(ed, "polygon"), toolButton(ed, "line"),
      ed.tool === "line" ? directionSelect("new-direction", "left_to_right", () => {}) : null,
      drawing ? el("button", { type: "button", "data-tool": "finish", onclick: () => finish(ed) }, t("ed.finish")) : null,
      drawing ? el("button", { type: "button", "data-tool": "cancel", onclick: () => { ed.draft = []; ed.tool = "select"; renderControls(ed); redraw(ed); } }, t("ed.cancel")) : null,
      el("button", { type: "button", class: "primary", "data-tool": "save", onclick: () => save(ed) }, t("ed.save"))),
    el("p", { class: "muted hint" }, ed.tool === "polygon" ? t("ed.hint_polygon") : ed.tool === "line" ? t("ed.hint_line") : ""),
    selectionForm(ed) ?? "",
    el("div", { class: "save-status", role: "status" }));
}

async function save(ed) {
  const status = ed.controls.querySelector(".save-status");
  try {
    const saved = await put(`/cameras/${encodeURIComponent(ed.cameraId)}/scene`, ed.scene);
    const config = saved?.config ?? saved;
    if (config && Array.isArray(config.zones)) ed.scene = structuredClone(config);
    status.textContent = t("ed.saved");
    status.className = "save-status ok";
    toast(t("ed.saved"), { kind: "ok", ms: 2500 });
  } catch (err) {
    const missing = err instanceof ApiError && (err.status === 404 || err.status === 405);
    status.textContent = `${t("ed.save_failed")}: ${missing ? t("err.missing") : err.message}`;
    status.className = "save-status error";
  }
  redraw(ed);
}
