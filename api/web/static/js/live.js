// The live feed: WebSocket first (/live/ws), Server-Sent Events if the socket cannot open
// (/live/sse), and polling of /cases as the last resort. Messages are
// {"id", "topic": "case-updates"|"camera-health"|"staff-positions", "data"}; a reconnect passes
// last_event_id so nothing is missed.
import { get, query, token } from "./api.js";
import { emit, state, upsertCase } from "./store.js";

const TOPICS = ["case-updates", "camera-health", "staff-positions"];
const CONTROL = ["hello", "resync", "ping"]; // feed control messages
const POLL_MS = 1500;
const RETRY_SOCKET_MS = 30000;
let lastEventId = null;
let socket = null;
let source = null;
let pollTimer = null;
let retryTimer = null;
let stopped = false;
let backoffMs = 1000;
const pendingCases = new Map();

function setMode(mode) {
  state.liveMode = mode;
  emit("live", mode);
}

/** Apply one feed message (also used by tests through window.smartscene). */
export function handleMessage(message) {
  if (!message || !(TOPICS.includes(message.topic) || CONTROL.includes(message.topic))) return;
  if (message.id !== undefined && message.id !== null) lastEventId = message.id;
  const data = message.data || {};
  if (message.topic === "resync") emit("resync", data); // messages were lost: reload over REST
  if (message.topic === "case-updates" && data.case_id !== undefined) refreshCase(data.case_id);
  else if (message.topic === "staff-positions") updateStaff(data);
  else if (message.topic === "camera-health") updateCamera(data);
}

function refreshCase(caseId) {
  if (pendingCases.has(caseId)) return; // one fetch at a time per case; the last one wins
  const run = get(`/cases/${caseId}`)
    .then((item) => upsertCase(item, { live: true }))
    .catch((err) => console.warn("case refresh failed", caseId, err))
    .finally(() => pendingCases.delete(caseId));
  pendingCases.set(caseId, run);
}

function updateStaff(data) {
  const id = data.staff_id ?? data.id;
  if (!id) return;
  const before = state.staff.get(id) ?? { id, name: id };
  const item = { ...before, ...data, id };
  state.staff.set(id, item);
  emit("staff", item);
}

function updateCamera(data) {
  const id = data.camera_id ?? data.id;
  if (!id) return;
  const before = state.cameras.get(id) ?? { id, name: id };
  const item = {
    ...before,
    health: data.health ?? data.status ?? before.health,
    health_detail: data.detail ?? before.health_detail,
    last_frame_at: data.last_frame_at ?? before.last_frame_at,
  };
  state.cameras.set(id, item);
  emit("camera", item);
}

function feedUrl(path) {
  return `${path}${query({ token: token(), last_event_id: lastEventId })}`;
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function openSocket() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  let opened = false;
  try {
    socket = new WebSocket(`${proto}//${location.host}${feedUrl("/live/ws")}`);
  } catch {
    openSse();
    return;
  }
  socket.onopen = () => {
    opened = true;
    backoffMs = 1000;
    stopPolling();
    setMode("ws");
  };
  socket.onmessage = (event) => handleMessage(parse(event.data));
  socket.onclose = () => {
    socket = null;
    if (stopped) return;
    if (!opened) openSse(); // no socket endpoint (or a proxy that refuses upgrades)
    else scheduleSocket(backoffMs);
    backoffMs = Math.min(backoffMs * 2, 15000);
  };
}

function openSse() {
  if (typeof EventSource === "undefined") {
    startPolling();
    return;
  }
  let opened = false;
  source = new EventSource(feedUrl("/live/sse"));
  const onEvent = (event) => {
    const message = parse(event.data);
    if (message && !message.topic) message.topic = event.type;
    handleMessage(message);
  };
  source.onopen = () => {
    opened = true;
    stopPolling();
    setMode("sse");
  };
  source.onmessage = onEvent;
  for (const topic of [...TOPICS, ...CONTROL]) source.addEventListener(topic, onEvent);
  source.onerror = () => {
    if (source) source.close(); // reopen ourselves so the URL carries the newest last_event_id
    source = null;
    if (stopped) return;
    if (opened) setTimeout(() => { if (!stopped && !socket && !source) openSse(); }, 2000);
    else startPolling();
  };
}

async function pollOnce() {
  const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const page = await get(`/cases${query({ limit: 200, since })}`);
  for (const item of page.data) {
    const before = state.cases.get(item.id);
    if (!before || before.version !== item.version || before.sla_status !== item.sla_status) {
      upsertCase(item, { live: true });
    }
  }
}

function startPolling() {
  setMode("poll");
  if (!pollTimer) {
    const tick = () => pollOnce().catch((err) => console.warn("poll failed", err));
    pollTimer = setInterval(tick, POLL_MS);
    tick();
  }
  scheduleSocket(RETRY_SOCKET_MS);
}

function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
  if (source && state.liveMode === "ws") {
    source.close();
    source = null;
  }
}

function scheduleSocket(delayMs) {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (!stopped && !socket && state.liveMode !== "sse") openSocket();
  }, delayMs);
}

/** Start the feed (WebSocket -> SSE -> polling). */
export function startLive() {
  stopped = false;
  setMode("off");
  openSocket();
}

/** Stop everything (logout). */
export function stopLive() {
  stopped = true;
  if (socket) socket.close();
  if (source) source.close();
  socket = null;
  source = null;
  stopPolling();
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  setMode("off");
}
