// session.js - the signed-in user's tokens: kept in sessionStorage (this tab only), refreshed
// with the refresh token before the access token expires, dropped on sign-out. Listeners hear
// every change (sign-in, sign-out), so that nothing is kept across users.
const KEY = "allot.session";
const listeners = new Set();
let timer = null;

export function current() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function announce() {
  for (const fn of listeners) fn(current());
}

// POST /api/v1/token without a token: the answer's JSON, or an Error with the API's message
// and .status.
async function tokenRequest(body) {
  const resp = await fetch("/api/v1/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error((data.error && data.error.message) || `HTTP ${resp.status}`);
    err.status = resp.status;
    err.code = data.error && data.error.code;
    throw err;
  }
  return data;
}

function keep(t) {
  const s = {
    access_token: t.access_token,
    refresh_token: t.refresh_token || null,
    subject: t.subject || null,
    expires_at: Date.now() + (t.expires_in || 3600) * 1000,
    lifetime_ms: (t.expires_in || 3600) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  schedule();
  announce();
}

// Refreshes at 80% of the access token's life; a refresh that fails signs out.
function schedule() {
  clearTimeout(timer);
  const s = current();
  if (!s || !s.refresh_token) return;
  const wait = Math.max(1000, s.expires_at - Date.now() - s.lifetime_ms * 0.2);
  timer = setTimeout(() => refresh().catch(() => drop()), wait);
}

// One refresh at a time: a refresh token is good once, so requests that meet a 401 together
// share the refresh under way.
let refreshing = null;

export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const s = current();
      if (!s || !s.refresh_token) throw new Error("no refresh token");
      keep(await tokenRequest({ grant_type: "refresh_token", refresh_token: s.refresh_token }));
    })().finally(() => (refreshing = null));
  }
  return refreshing;
}

export async function signIn(username, password) {
  keep(await tokenRequest({ grant_type: "password", username, password }));
}

// Single sign-on: allotd's /sso/start gives the provider's URL (opened in a new window) and a
// device code, polled until the browser's part is done. `opened(url)` is told the URL.
export async function signInSso(opened) {
  const resp = await fetch("/api/v1/sso/start", { method: "POST" });
  const start = await resp.json().catch(() => ({}));
  if (resp.status === 409) throw new Error("single sign-on is not configured on this allotd");
  if (!resp.ok) throw new Error((start.error && start.error.message) || `HTTP ${resp.status}`);
  opened(start.url);
  window.open(start.url, "_blank", "noopener");
  const until = Date.now() + (start.expires_in || 600) * 1000;
  const every = Math.max(1, start.interval || 2) * 1000;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, every));
    try {
      keep(await tokenRequest({
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        device_code: start.device_code,
      }));
      return;
    } catch (e) {
      if (e.code !== "authorization_pending") throw e;
    }
  }
  throw new Error("the single sign-on was not finished in time");
}

function drop() {
  clearTimeout(timer);
  sessionStorage.removeItem(KEY);
  announce();
}

// Revokes the session at allotd (best effort), then forgets it here.
export async function signOut() {
  const s = current();
  if (s) {
    await fetch("/api/v1/token/revoke", {
      method: "POST",
      headers: { Authorization: "Bearer " + s.access_token },
    }).catch(() => {});
  }
  drop();
}

// A 401 from the API to a request sent with `used` (an access token): one refresh (none
// when the session has a newer token already), else sign-out. True when the caller may try
// again.
export async function recover(used) {
  const s = current();
  if (s && s.access_token !== used) return true;
  try {
    await refresh();
    return true;
  } catch {
    drop();
    return false;
  }
}

schedule();
