// The case panel: evidence, SLA clocks counting, suggested staff with ETA, operator actions,
// dispatches and the timeline. Re-renders when the live feed says the open case changed.
import { ApiError, blobUrl, get, post, serverNow } from "./api.js";
import { distanceM, straightEtaS } from "./datum.js";
import { el, esc, fmtDistance, fmtDuration, fmtTime } from "./format.js";
import { categoryName, t } from "./i18n.js";
import { toast } from "./notify.js";
import { ACTIONS_BY_STATE, effectiveSla, emit, on, slaClocks, state, upsertCase } from "./store.js";

const panel = () => document.getElementById("case-panel");
const body = () => document.getElementById("case-body");
let detail = null;
let objectUrls = [];

/** Open the panel for ``caseId`` (fetches the full case). */
export async function openCase(caseId) {
  state.openCaseId = caseId;
  panel().hidden = false;
  document.body.classList.add("panel-open");
  await reload();
}

export function closeCase() {
  state.openCaseId = null;
  detail = null;
  panel().hidden = true;
  document.body.classList.remove("panel-open");
  releaseUrls();
}

async function reload() {
  const id = state.openCaseId;
  if (id === null) return;
  try {
    const [item, staff] = await Promise.all([get(`/cases/${id}`), get("/staff")]);
    for (const s of staff.data) state.staff.set(s.id, s);
    if (state.openCaseId !== id) return;
    const isOtherCase = !detail || detail.id !== item.id;
    detail = item;
    upsertCase(item);
    render(isOtherCase);
  } catch (err) {
    toast(`${t("action.failed")}: ${err.message}`, { kind: "error" });
  }
}

function releaseUrls() {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls = [];
}

function render(withEvidence) {
  const root = body();
  const keepEvidence = !withEvidence && root.querySelector(".evidence");
  const evidence = keepEvidence || evidenceSection();
  root.replaceChildren(header(), meta(), slaSection(), evidence, actionsSection(), staffSection(),
    dispatchSection(), timelineSection());
  tickClocks();
}

function header() {
  const item = detail;
  const sla = effectiveSla(item);
  const category = categoryName(state.categories.get(item.category_code), item.category_code);
  return el("div", { class: "panel-head" },
    el("div", { class: "panel-title" }, el("b", { class: "case-code" }, item.code),
      el("span", { class: "muted" }, ` #${item.id}`)),
    el("div", { class: "panel-badges" },
      el("span", { class: `badge state-badge state-${item.state}`, "data-state": item.state }, t(`state.${item.state}`)),
      el("span", { class: `badge sla-badge sla-${sla}`, "data-sla": sla }, t(`legend.${sla}`)),
      el("span", { class: "badge category" }, category)));
}

function openOffer() {
  return (detail.dispatches ?? []).find((d) => d.status === "offered") ?? null;
}

function assignee() {
  const item = detail;
  if (item.assigned_staff_id) return state.staff.get(item.assigned_staff_id)?.name ?? item.assigned_staff_id;
  const offer = openOffer();
  if (!offer) return "—";
  return `${state.staff.get(offer.staff_id)?.name ?? offer.staff_id} (${t("staff.offered")})`;
}

function meta() {
  const item = detail;
  const rows = [
    [t("panel.location"), item.lon === null ? "—" : `${item.lon.toFixed(6)}, ${item.lat.toFixed(6)} (WGS84)`],
    [t("panel.camera"), item.camera_id ?? "—"],
    [t("panel.first_seen"), fmtTime(item.first_seen_at, { date: true })],
    [t("panel.events"), String(item.event_count)],
    [t("panel.assigned"), assignee()],
  ];
  return el("dl", { class: "meta" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function slaSection() {
  const clocks = slaClocks(detail).map((clock) =>
    el("div", { class: "sla-clock", dataset: { due: clock.due, done: clock.done ?? "" } },
      el("span", { class: "sla-name" }, t(`sla.${clock.name}`)),
      el("span", { class: "sla-value" }, "")));
  return el("section", {}, el("h3", {}, t("panel.sla")), clocks.length ? clocks : el("p", { class: "muted" }, "—"));
}

/** Update every SLA countdown in the open panel (called each second). */
export function tickClocks() {
  const now = serverNow();
  for (const node of document.querySelectorAll("#case-body .sla-clock")) {
    const due = Date.parse(node.dataset.due);
    const done = node.dataset.done ? Date.parse(node.dataset.done) : null;
    const value = node.querySelector(".sla-value");
    node.classList.remove("sla-on_time", "sla-warning", "sla-breached", "sla-done");
    if (done !== null) {
      node.classList.add(done <= due ? "sla-done" : "sla-breached");
      value.textContent = `${t("sla.done")} ${fmtTime(node.dataset.done)}`;
      continue;
    }
    const left_s = (due - now) / 1000;
    node.classList.add(left_s < 0 ? "sla-breached" : left_s < 120 ? "sla-warning" : "sla-on_time");
    value.textContent = left_s < 0
      ? `${t("sla.over")} ${fmtDuration(-left_s)}`
      : `${t("sla.left")} ${fmtDuration(left_s)}`;
  }
  if (detail) {
    const badge = document.querySelector("#case-body .sla-badge");
    const sla = effectiveSla(detail);
    if (badge && badge.dataset.sla !== sla) {
      badge.className = `badge sla-badge sla-${sla}`;
      badge.dataset.sla = sla;
      badge.textContent = t(`legend.${sla}`);
    }
  }
}

function evidenceSection() {
  releaseUrls();
  const box = el("div", { class: "evidence-items" });
  const items = detail.evidence ?? [];
  if (!items.length) box.append(el("p", { class: "muted" }, t("panel.no_evidence")));
  for (const ev of items) {
    const isVideo = ev.kind === "clip" || String(ev.media_type).startsWith("video/");
    const media = isVideo
      ? el("video", { controls: true, muted: true, preload: "metadata", "data-evidence-id": ev.id })
      : el("img", { alt: ev.kind, "data-evidence-id": ev.id });
    box.append(el("figure", {}, media, el("figcaption", {}, `${ev.kind} · ${fmtTime(ev.created_at)}`)));
    blobUrl(`/evidence/${ev.id}`)
      .then((url) => { objectUrls.push(url); media.src = url; })
      .catch((err) => media.replaceWith(el("div", { class: "evidence-missing" },
        err instanceof ApiError && err.status === 404 ? t("err.missing") : err.message)));
  }
  return el("section", { class: "evidence" }, el("h3", {}, t("panel.evidence")), box);
}

function actionsSection() {
  const allowed = ACTIONS_BY_STATE[detail.state] ?? [];
  const note = el("input", { type: "text", class: "action-note", placeholder: t("panel.note"), maxlength: "4000" });
  const buttons = allowed
    .filter((a) => a !== "dispatch" && a !== "reassign")
    .map((action) => el("button", {
      type: "button", class: `action-btn action-${action}`, "data-action": action,
      onclick: () => runAction(action, note.value),
    }, t(`action.${action}`)));
  if (allowed.includes("dispatch")) {
    buttons.unshift(el("button", { type: "button", class: "action-btn primary", "data-action": "auto_dispatch",
      onclick: () => act(() => post(`/cases/${detail.id}/auto-dispatch`)) }, t("action.auto_dispatch")));
  }
  return el("section", {}, el("h3", {}, t("panel.actions")), note, el("div", { class: "action-row" }, buttons));
}

async function runAction(action, note) {
  const id = detail.id;
  if (action === "merge") {
    const target = window.prompt(t("action.merge_prompt"));
    if (!target) return;
    await act(() => post(`/cases/${id}/merge`, { into_case_id: Number(target), note, expected_version: detail.version }));
    return;
  }
  const payload = { note, expected_version: detail.version };
  if (action === "extend") {
    const minutes = Number(window.prompt(t("action.extend_prompt"), "30"));
    if (!minutes) return;
    payload.extra_minutes = minutes;
  }
  await act(() => post(`/cases/${id}/actions/${action}`, payload));
}

async function act(call) {
  try {
    await call();
    toast(t("action.done"), { kind: "ok", ms: 2500 });
  } catch (err) {
    const missing = err instanceof ApiError && (err.status === 404 || err.status === 405);
    toast(`${t("action.failed")}: ${missing ? t("err.missing") : err.message}`, { kind: "error" });
  }
  await reload();
}

/** Staff ranked by straight-line ETA to the case (available first). */
export function suggestStaff(item, staffList) {
  if (item.lon === null || item.lon === undefined) return [];
  return staffList
    .filter((s) => s.lon !== null && s.lon !== undefined && s.status !== "off_shift")
    .map((s) => {
      const metres = distanceM(s.lon, s.lat, item.lon, item.lat);
      return { staff: s, metres, eta_s: straightEtaS(metres) };
    })
    .sort((a, b) => (a.staff.status === "available" ? 0 : 1) - (b.staff.status === "available" ? 0 : 1) || a.eta_s - b.eta_s);
}

function staffSection() {
  const allowed = ACTIONS_BY_STATE[detail.state] ?? [];
  const verb = allowed.includes("reassign") ? "reassign" : allowed.includes("dispatch") ? "dispatch" : null;
  const ranked = suggestStaff(detail, [...state.staff.values()]).slice(0, 6);
  const rows = ranked.map(({ staff, metres, eta_s }) => el("li", { class: "staff-row", "data-staff-id": staff.id },
    el("span", { class: `dot staff-${staff.status}` }),
    el("span", { class: "staff-name" }, staff.name),
    el("span", { class: "muted" }, t(`staff.${staff.status}`)),
    el("span", { class: "eta", title: t("staff.straight") }, `${t("staff.eta")} ${fmtDuration(eta_s)} · ${fmtDistance(metres)}`),
    verb && staff.id !== detail.assigned_staff_id && staff.id !== openOffer()?.staff_id
      ? el("button", { type: "button", class: "action-btn dispatch-btn", "data-action": verb,
        onclick: () => act(() => post(`/cases/${detail.id}/dispatch`, { staff_id: staff.id })) }, t(`action.${verb}`))
      : null));
  return el("section", {}, el("h3", {}, t("panel.suggest")),
    rows.length ? el("ul", { class: "staff-list" }, rows) : el("p", { class: "muted" }, t("panel.no_staff")));
}

function dispatchSection() {
  const rows = (detail.dispatches ?? []).map((d) => el("li", {},
    `${fmtTime(d.offered_at)} · ${state.staff.get(d.staff_id)?.name ?? d.staff_id} · ${d.status}`,
    d.eta_s ? ` · ${t("staff.eta")} ${fmtDuration(d.eta_s)}` : ""));
  return el("section", {}, el("h3", {}, t("panel.dispatches")), rows.length ? el("ul", { class: "plain" }, rows) : el("p", { class: "muted" }, "—"));
}

function timelineSection() {
  const rows = (detail.timeline ?? []).map((e) => el("li", { "data-action": e.action },
    el("time", {}, fmtTime(e.at)),
    el("span", { class: "tl-action" }, t(`action.${e.action}`) === `action.${e.action}` ? e.action : t(`action.${e.action}`)),
    el("span", { class: "muted" }, `${e.from_state ? `${t(`state.${e.from_state}`)} → ` : ""}${t(`state.${e.to_state}`)} · ${e.actor_type}:${e.actor_id}`)));
  return el("section", {}, el("h3", {}, t("panel.timeline")), el("ol", { class: "timeline" }, rows));
}

/** Wire the panel: close button, live refresh of the open case. */
export function initPanel() {
  document.getElementById("case-close").addEventListener("click", closeCase);
  on("open-case", (id) => openCase(id));
  on("case", ({ item }) => {
    if (state.openCaseId === item.id && detail && item.version !== detail.version) reload();
  });
  window.addEventListener("smartscene:lang", () => { if (detail) render(false); });
  window.smartscene = Object.assign(window.smartscene ?? {}, { openCase, suggestStaff, esc });
  emit("panel-ready", true);
}
