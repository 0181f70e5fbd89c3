// api.js - calls allotd's REST API with the signed-in user's token: JSON in and out, errors
// as Error objects carrying the API's status, code and message; lists read page by page.
import { current, recover } from "./session.js";

export const PAGE = 1000; // the API's largest page

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// One request: the parsed JSON (or text for a text/plain answer). A 401 refreshes the token
// once and tries again.
export async function call(method, path, body, retried = false) {
  const s = current();
  const headers = s ? { Authorization: "Bearer " + s.access_token } : {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 401 && s && !retried && (await recover(s.access_token))) {
    return call(method, path, body, true);
  }
  const type = resp.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await resp.json() : await resp.text();
  if (!resp.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(resp.status, e.code || "http", e.message || `HTTP ${resp.status}`);
  }
  return data;
}

export const get = (path) => call("GET", path);

function withPage(path, limit, offset) {
  return `${path}${path.includes("?") ? "&" : "?"}limit=${limit}&offset=${offset}`;
}

// Every item of a list: the first page, then the others at once. `first(items, total)` is
// told the first page as soon as it is there (a view shows it before the rest arrives).
export async function getAll(path, first) {
  const page = await get(withPage(path, PAGE, 0));
  if (first) first(page.items, page.total);
  if (page.total <= page.items.length) return page.items;
  const rest = [];
  for (let off = PAGE; off < page.total; off += PAGE) rest.push(get(withPage(path, PAGE, off)));
  const pages = await Promise.all(rest);
  return page.items.concat(...pages.map((p) => p.items));
}

// How many items a list has (one item read).
export async function count(path) {
  return (await get(withPage(path, 1, 0))).total;
}
