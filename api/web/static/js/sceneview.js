// A camera frame with the scene's zones and lines drawn over it as SVG. Geometry is relative
// (0-1, origin top left, y down) as in scenes/config.py; the SVG uses the frame's pixel size as
// its viewBox so shapes and labels keep their proportions.
import { blobUrl } from "./api.js";
import { el } from "./format.js";
import { t } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const PLACEHOLDER_SIZE = [1600, 900];

export function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

/** Build the frame box: an <img> (or a placeholder) and an SVG overlay. */
export async function frameBox(cameraId) {
  const box = el("div", { class: "frame-box" });
  const svg = svgEl("svg", { class: "scene-svg", preserveAspectRatio: "none" });
  let size = PLACEHOLDER_SIZE;
  try {
    const url = await blobUrl(`/cameras/${encodeURIComponent(cameraId)}/frame`);
    const img = el("img", { class: "frame-img", alt: cameraId, src: url });
    await img.decode();
    size = [img.naturalWidth || size[0], img.naturalHeight || size[1]];
    box.append(img);
  } catch {
    box.append(el("div", { class: "frame-placeholder" }, el("span", {}, t("cam.no_frame"))));
    box.classList.add("no-frame");
  }
  box.style.aspectRatio = `${size[0]} / ${size[1]}`;
  box.style.maxWidth = `calc((100vh - 240px) * ${size[0] / size[1]})`; // whole frame on screen
  svg.setAttribute("viewBox", `0 0 ${size[0]} ${size[1]}`);
  box.append(svg);
  return { box, svg, size };
}

function arrowHead(a, b, size) {
  // A small triangle at the middle of the line pointing to the counted side.
  const [w, h] = size;
  const ax = a[0] * w, ay = a[1] * h, bx = b[0] * w, by = b[1] * h;
  const mx = (ax + bx) / 2, my = (ay + by) / 2;
  const len = Math.hypot(bx - ax, by - ay) || 1;
  const ux = (bx - ax) / len, uy = (by - ay) / len;
  return { mx, my, ux, uy, nx: -uy, ny: ux };
}

function directionMarker(line, size) {
  if (line.direction === "any") return null;
  const { mx, my, ux, uy, nx, ny } = arrowHead(line.a, line.b, size);
  // Facing from a to b on screen (y down), "left_to_right" moves to the right-hand side: +n.
  const sign = line.direction === "left_to_right" ? 1 : -1;
  const s = Math.max(size[0], size[1]) * 0.02;
  const tip = [mx + sign * nx * s * 1.6, my + sign * ny * s * 1.6];
  const p1 = [mx + ux * s * 0.6, my + uy * s * 0.6];
  const p2 = [mx - ux * s * 0.6, my - uy * s * 0.6];
  return svgEl("polygon", { points: [tip, p1, p2].map((p) => p.join(",")).join(" "), class: "line-arrow" });
}

/** Draw zones and lines of ``scene`` into ``svg``; ``selected`` is {kind, id} or null. */
export function drawScene(svg, scene, size, selected = null) {
  svg.replaceChildren();
  const [w, h] = size;
  const fontPx = Math.max(12, Math.round(w / 60));
  for (const zone of scene?.zones ?? []) {
    const isSel = selected?.kind === "zone" && selected.id === zone.id;
    const g = svgEl("g", { class: `zone${isSel ? " selected" : ""}`, "data-zone-id": zone.id });
    g.append(svgEl("polygon", { points: zone.polygon.map(([x, y]) => `${x * w},${y * h}`).join(" ") }));
    const [cx, cy] = zone.polygon.reduce(([sx, sy], [x, y]) => [sx + x, sy + y], [0, 0]).map((v) => v / zone.polygon.length);
    const label = svgEl("text", { x: cx * w, y: cy * h, "font-size": fontPx, "text-anchor": "middle" });
    label.textContent = zone.name || zone.id;
    g.append(label);
    svg.append(g);
  }
  for (const line of scene?.lines ?? []) {
    const isSel = selected?.kind === "line" && selected.id === line.id;
    const g = svgEl("g", { class: `line${isSel ? " selected" : ""}`, "data-line-id": line.id });
    g.append(svgEl("line", { x1: line.a[0] * w, y1: line.a[1] * h, x2: line.b[0] * w, y2: line.b[1] * h }));
    g.append(svgEl("circle", { cx: line.a[0] * w, cy: line.a[1] * h, r: fontPx * 0.35, class: "line-start" }));
    const arrow = directionMarker(line, size);
    if (arrow) g.append(arrow);
    const label = svgEl("text", { x: line.b[0] * w + 6, y: line.b[1] * h - 6, "font-size": fontPx });
    label.textContent = line.name || line.id;
    g.append(label);
    svg.append(g);
  }
}

/** The camera's scene summary as a small legend under the frame. */
export function sceneLegend(scene) {
  if (!scene) return el("p", { class: "muted" }, t("cam.no_scene"));
  return el("p", { class: "muted scene-legend" },
    `${scene.name || scene.id} · ${t("cam.zones")} ${scene.zones.length} · ${t("cam.lines")} ${scene.lines.length} · ${t("cam.rules")} ${scene.rules.length}`);
}
