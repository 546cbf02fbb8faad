// Thin client for the policykb JSON API (see docs/CONTRACTS.md).

const KEY_STORAGE = "policykb.searchKey";

/** An API failure carrying the server's JSON `detail` (or a network message). */
export class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

function searchKey() {
  // localStorage can throw (disabled storage, opaque origins); a missing key is fine.
  try {
    return window.localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/** Turn FastAPI's `detail` (a string, or a list of validation errors) into one line. */
export function detailMessage(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => (d && typeof d === "object" ? [d.loc?.slice(1).join("."), d.msg].filter(Boolean).join(": ") : String(d)))
      .join("; ");
  }
  if (detail && typeof detail === "object") return JSON.stringify(detail);
  return "";
}

/**
 * GET a JSON resource under /api. Args: path ("/search"), params (URLSearchParams or null),
 * signal (AbortSignal). Returns the parsed JSON; throws ApiError (or AbortError).
 */
export async function getJSON(path, params = null, signal = undefined) {
  const url = "/api" + path + (params && [...params].length ? "?" + params.toString() : "");
  const headers = { Accept: "application/json" };
  const key = searchKey();
  if (key) headers["X-API-Key"] = key; // never in the URL: URLs end up in logs and history
  let response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("Could not reach the search server. Check that it is running.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    if (err.name === "AbortError") throw err;
  }
  if (!response.ok) {
    let message = detailMessage(body?.detail) || `The server answered ${response.status} ${response.statusText}`.trim();
    if (response.status === 401 || response.status === 403) {
      message += ` (this server needs a search key: store it in localStorage as "${KEY_STORAGE}")`;
    }
    throw new ApiError(message, response.status);
  }
  if (body === null) throw new ApiError("The server sent a reply that is not JSON.", response.status);
  return body;
}

export const api = {
  search: (params, signal) => getJSON("/search", params, signal),
  documents: (signal) => getJSON("/documents", null, signal),
  document: (id, signal) => getJSON("/documents/" + encodeURIComponent(id), null, signal),
  passage: (id, signal) => getJSON("/passages/" + encodeURIComponent(id), null, signal),
  health: (signal) => getJSON("/health", null, signal),
};

/** The list inside a list response, whatever its key ({"documents": [...]} or a bare list). */
export function listOf(body, key) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body[key])) return body[key];
  if (body && Array.isArray(body.items)) return body.items;
  return [];
}
