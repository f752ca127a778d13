// Talks to the smartscene API on the same origin. The token lives in sessionStorage (one tab,
// gone when the tab closes). The server's clock is estimated from the Date header so SLA clocks
// count against server time, not the wall PC's.

const TOKEN_KEY = "smartscene.token";
const ROLE_KEY = "smartscene.role";
let clockOffsetMs = 0;
let offsetLoMs = -Infinity; // the server clock's offset lies in [lo, hi]; each Date header narrows it
let offsetHiMs = Infinity;

/** An API error with the HTTP status and the API's stable error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function role() {
  return sessionStorage.getItem(ROLE_KEY);
}

export function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ROLE_KEY);
}

/** Server "now" in ms since the epoch. */
export function serverNow() {
  return Date.now() + clockOffsetMs;
}

function noteServerDate(response) {
  // Date has 1 s resolution: the server's clock read D..D+1 s when it answered, a little before now.
  const parsed = Date.parse(response.headers.get("Date") ?? "");
  if (Number.isNaN(parsed)) return;
  const now = Date.now();
  const lo = parsed - now;
  const hi = parsed + 1250 - now; // + latency allowance
  const a = Math.max(offsetLoMs, lo);
  const b = Math.min(offsetHiMs, hi);
  [offsetLoMs, offsetHiMs] = a <= b ? [a, b] : [lo, hi]; // disjoint: a clock was reset, start over
  clockOffsetMs = (offsetLoMs + offsetHiMs) / 2;
}

/** OAuth2 password flow: POST /auth/token with a form; keeps the token. */
export async function login(username, password) {
  const body = new URLSearchParams({ username, password, grant_type: "password" });
  const response = await fetch("/auth/token", { method: "POST", body });
  noteServerDate(response);
  if (!response.ok) throw await toError(response);
  const data = await response.json();
  sessionStorage.setItem(TOKEN_KEY, data.access_token);
  sessionStorage.setItem(ROLE_KEY, data.role);
  return data;
}

async function toError(response) {
  let code = `http_${response.status}`;
  let message = response.statusText;
  try {
    const data = await response.json();
    code = data.code || code;
    message = data.message || (typeof data.detail === "string" ? data.detail : message);
    if (Array.isArray(data.details) && data.details.length) {
      message += `: ${data.details.map((d) => d.msg ?? JSON.stringify(d)).join("; ")}`;
    }
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(response.status, code, message);
}

/** Call the API with the bearer token; JSON in and out. 401 fires "smartscene:unauthorized". */
export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  noteServerDate(response);
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("smartscene:unauthorized"));
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, body ?? {});
export const put = (path, body) => request("PUT", path, body);

/** GET ``path`` and return null instead of throwing when the server has no such route (404). */
export async function getOptional(path) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  }
}

/** Fetch a protected binary (evidence, frames) into an object URL an <img>/<video> can show. */
export async function blobUrl(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) throw await toError(response);
  return URL.createObjectURL(await response.blob());
}

/** Build a query string from an object, skipping empty values; arrays repeat the key. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
