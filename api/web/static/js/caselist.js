// The case list: filters (state, category, area, time range), cursor paging, live row updates.
import { get, query } from "./api.js";
import { el, fmtTime } from "./format.js";
import { categoryName, t } from "./i18n.js";
import { OPEN_STATES, effectiveSla, emit, on, state, upsertCase } from "./store.js";

const ALL_STATES = [...OPEN_STATES, "closed", "voided", "rejected"];
let nextCursor = null;
let shown = new Map();

function filters() {
  const form = document.getElementById("case-filters");
  const data = new FormData(form);
  const toIso = (v) => (v ? new Date(v).toISOString() : "");
  return {
    state: data.getAll("state").filter(Boolean),
    category: data.get("category"),
    district_id: data.get("district_id"),
    since: toIso(data.get("since")),
    until: toIso(data.get("until")),
  };
}

function row(item) {
  const sla = effectiveSla(item);
  const category = categoryName(state.categories.get(item.category_code), item.category_code);
  return el("tr", { "data-case-id": item.id, class: `sla-row-${sla}`, onclick: () => emit("open-case", item.id) },
    el("td", {}, item.code),
    el("td", {}, category),
    el("td", {}, el("span", { class: `badge state-badge state-${item.state}` }, t(`state.${item.state}`))),
    el("td", {}, el("span", { class: `badge sla-badge sla-${sla}` }, t(`legend.${sla}`))),
    el("td", {}, state.staff.get(item.assigned_staff_id)?.name ?? item.assigned_staff_id ?? "—"),
    el("td", {}, fmtTime(item.first_seen_at, { date: true })));
}

/** Load the first (or next) page with the current filters. */
export async function loadCases(more = false) {
  const tbody = document.querySelector("#case-table tbody");
  if (!more) {
    nextCursor = null;
    shown = new Map();
    tbody.replaceChildren();
  }
  const page = await get(`/cases${query({ ...filters(), limit: 50, cursor: more ? nextCursor : null })}`);
  for (const item of page.data) {
    upsertCase(item);
    const tr = row(item);
    shown.set(item.id, tr);
    tbody.append(tr);
  }
  nextCursor = page.next_cursor;
  document.getElementById("case-more").hidden = !nextCursor;
  document.getElementById("case-count").textContent = t("cases.count", { n: page.count });
  if (!page.count) tbody.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("cases.none"))));
}

function fillSelects() {
  const stateSel = document.querySelector('#case-filters select[name="state"]');
  stateSel.replaceChildren(...ALL_STATES.map((s) => el("option", { value: s }, t(`state.${s}`))));
  const catSel = document.querySelector('#case-filters select[name="category"]');
  catSel.replaceChildren(el("option", { value: "" }, t("cases.all")),
    ...[...state.categories.values()].map((c) => el("option", { value: c.code }, categoryName(c, c.code))));
  const areaSel = document.querySelector('#case-filters select[name="district_id"]');
  const areas = (state.areas?.features ?? []).filter((f) => !["grid", "cell"].includes(f.properties.kind));
  areaSel.replaceChildren(el("option", { value: "" }, t("cases.all")),
    ...areas.map((f) => el("option", { value: f.properties.id }, f.properties.name ?? f.properties.id)));
}

/** Wire the filter form and live updates of shown rows. */
export function initCaseList() {
  const form = document.getElementById("case-filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadCases().catch((err) => console.warn(err));
  });
  document.getElementById("case-more").addEventListener("click", () => loadCases(true));
  on("case", ({ item }) => {
    const tr = shown.get(item.id);
    if (tr) {
      const fresh = row(item);
      tr.replaceWith(fresh);
      shown.set(item.id, fresh);
    }
  });
  on("reference-data", fillSelects);
  window.addEventListener("smartscene:lang", fillSelects);
}
