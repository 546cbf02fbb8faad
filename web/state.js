// Search state <-> page URL <-> API query string.
//
// The page URL uses `doc` + `passage` for the open-in-context view (shareable links to a
// clause), so the document *filter* travels as `document` in the page URL and becomes the
// API's `doc` parameter only in apiParams().

export const PAGE_SIZE = 10;
export const MAX_OFFSET = 1000; // the API refuses deeper pages
const FILTERS = ["type", "issuer", "topic", "date_from", "date_to"];

/** An empty search state. */
export function emptyState() {
  return { q: "", lang: [], document: "", type: "", issuer: "", topic: "", date_from: "", date_to: "", offset: 0, k: PAGE_SIZE };
}

function toInt(value, fallback, min, max) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/**
 * Read the search state and the context view from a query string.
 * Returns {state, view: {doc, passage} | null}.
 */
export function readUrl(search) {
  const p = new URLSearchParams(search);
  const state = emptyState();
  state.q = p.get("q") || "";
  state.lang = [...new Set(p.getAll("lang").filter(Boolean))];
  state.document = p.get("document") || "";
  for (const key of FILTERS) state[key] = p.get(key) || "";
  state.k = toInt(p.get("k"), PAGE_SIZE, 1, 100);
  state.offset = toInt(p.get("offset"), 0, 0, MAX_OFFSET);
  const doc = p.get("doc");
  const passage = p.get("passage");
  const view = doc || passage ? { doc: doc || "", passage: passage || null } : null;
  return { state, view };
}

/** The page query string (with leading "?", or "" when empty) for a state and view. */
export function pageQuery(state, view = null) {
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  for (const code of state.lang) p.append("lang", code);
  if (state.document) p.set("document", state.document);
  for (const key of FILTERS) if (state[key]) p.set(key, state[key]);
  if (state.offset) p.set("offset", String(state.offset));
  if (state.k !== PAGE_SIZE) p.set("k", String(state.k));
  if (view?.doc) p.set("doc", view.doc);
  if (view?.passage != null) p.set("passage", String(view.passage));
  const s = p.toString();
  return s ? "?" + s : "";
}

/** Query parameters for GET /api/search. */
export function apiParams(state) {
  const p = new URLSearchParams();
  p.set("q", state.q.trim());
  for (const code of state.lang) p.append("lang", code);
  if (state.document) p.set("doc", state.document);
  for (const key of FILTERS) if (state[key]) p.set(key, state[key]);
  p.set("k", String(state.k));
  p.set("offset", String(state.offset));
  return p;
}

/** A key identifying the results a state asks for (equal keys = same results). */
export function searchKey(state) {
  return state.q.trim() ? apiParams(state).toString() : "";
}

/** Whether any filter (besides the query and paging) is set. */
export function hasFilters(state) {
  return state.lang.length > 0 || !!state.document || FILTERS.some((key) => state[key]);
}
