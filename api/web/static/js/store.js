// The console's shared state and a tiny publish/subscribe, so the map, the list and the case
// panel all redraw from the same data whether it came from a page load or the live feed.
import { serverNow } from "./api.js";

export const OPEN_STATES = new Set([
  "reported", "filed", "dispatched", "accepted", "en_route", "on_site", "handled",
  "verified", "returned", "reworked", "parked", "self_handled",
]);

// Operator actions allowed per state (mirrors dispatch/states.py TRANSITIONS; the server decides).
const NOTES = ["extend", "escalate"];
export const ACTIONS_BY_STATE = {
  reported: ["file", "reject", "void", "self_handle", "merge"],
  filed: ["dispatch", "void", "self_handle", "park", "merge", ...NOTES],
  dispatched: ["reassign", "return", "merge", ...NOTES],
  accepted: ["reassign", "return", ...NOTES],
  en_route: ["reassign", ...NOTES],
  on_site: ["park", ...NOTES],
  handled: ["verify", "fail_verification"],
  verified: ["close"],
  self_handled: ["close"],
  returned: ["dispatch", "void", ...NOTES],
  reworked: ["dispatch", ...NOTES],
  parked: ["unpark", "dispatch", ...NOTES],
};

export const state = {
  config: null,
  cases: new Map(),
  staff: new Map(),
  cameras: new Map(),
  categories: new Map(),
  areas: null,
  openCaseId: null,
  liveMode: "off",
  beeps: 0,
};

const listeners = new Map();

/** Subscribe to ``topic``; returns an unsubscribe function. */
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic).delete(fn);
}

export function emit(topic, detail) {
  for (const fn of listeners.get(topic) ?? []) {
    try {
      fn(detail);
    } catch (err) {
      console.error("listener for", topic, "failed", err);
    }
  }
}

/** Store a case (full CasePublic); emits "case" with whether it is new or newly breached. */
export function upsertCase(item, { live = false } = {}) {
  const before = state.cases.get(item.id);
  const merged = { ...(before ?? {}), ...item };
  state.cases.set(item.id, merged);
  const status = effectiveSla(merged);
  const wasBreached = before ? effectiveSla(before) === "breached" : false;
  emit("case", {
    item: merged,
    isNew: live && !before,
    breached: live && status === "breached" && !wasBreached && Boolean(before),
  });
  return merged;
}

/** The clocks of a case: name, due time, done time. */
export function slaClocks(item) {
  return [
    { name: "arrive", due: item.arrive_due_at, done: item.on_site_at },
    { name: "resolve", due: item.resolve_due_at, done: item.handled_at },
    { name: "handling", due: item.handling_due_at, done: item.handled_at },
  ].filter((c) => c.due);
}

/** The server's SLA status, raised to "breached" as soon as a running clock passes its due time. */
export function effectiveSla(item) {
  if (!OPEN_STATES.has(item.state)) return item.sla_status || "on_time";
  const now = serverNow();
  for (const clock of slaClocks(item)) {
    if (!clock.done && Date.parse(clock.due) < now) return "breached";
  }
  return item.sla_status || "on_time";
}

export function isOpen(item) {
  return OPEN_STATES.has(item.state);
}
