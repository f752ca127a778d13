// Small formatting helpers shared by the views.
import { currentLang } from "./i18n.js";

/** Escape text for innerHTML. */
export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A timestamp in the operator's language and time zone ("" for none). */
export function fmtTime(iso, { date = false } = {}) {
  if (!iso) return "";
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (date) Object.assign(options, { year: "numeric", month: "2-digit", day: "2-digit" });
  return new Date(iso).toLocaleString(currentLang() === "en" ? "en-GB" : "zh-CN", options);
}

/** Seconds as [-]h:mm:ss or [-]m:ss. */
export function fmtDuration(seconds) {
  const sign = seconds < 0 ? "-" : "";
  let s = Math.floor(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${sign}${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

/** Metres as "850 m" or "1.2 km". */
export function fmtDistance(metres) {
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(1)} km`;
}

/** Create an element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
