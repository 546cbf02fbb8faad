// policykb search page: search-as-you-type, filters, URL state, open-in-context.

import { api, listOf } from "./api.js";
import { closeContext, forgetDocuments, initContext, isContextOpen, openContext } from "./context.js";
import { showFilters } from "./filters.js";
import { hitCard } from "./render.js";
import { MAX_OFFSET, apiParams, emptyState, hasFilters, pageQuery, readUrl, searchKey } from "./state.js";
import { el, stripBidi } from "./text.js";

const DEBOUNCE_MS = 250;
const COMMIT_PAUSE_MS = 1500; // typing after a pause this long starts a new history entry
const SLOW_MS = 300; // only say "Searching…" when a search is not near-instant

const $ = (id) => document.getElementById(id);
const input = $("q");
const ui = {
  chips: $("lang-chips"), status: $("status"), error: $("error"), empty: $("empty"), hits: $("hits"),
  pager: $("pager"), prev: $("prev-page"), next: $("next-page"), pageInfo: $("page-info"), results: $("results"),
  selects: { document: $("f-doc"), type: $("f-type"), issuer: $("f-issuer"), topic: $("f-topic") },
  dates: { date_from: $("f-from"), date_to: $("f-to") },
};

let state = emptyState();
let view = null; // {doc, passage} while the context dialog shows a passage
let viewPushed = false; // the dialog has its own history entry (close = history.back())
let allDocuments = [];
let lastResponse = null;
let shownKey = null; // searchKey of what the page shows (null: nothing yet)
let controller = null;
let generation = null;
let debounceTimer = 0;
let lastInputAt = 0;
let newEntryNext = true; // the next as-you-type search gets its own history entry
const hitsById = new Map();

const links = { href: (doc, passage) => pageQuery(state, { doc, passage }) || "/" };

const BASE_TITLE = document.title;

function updateTitle() {
  const q = stripBidi(state.q.trim());
  document.title = q ? `${q} · policykb` : BASE_TITLE;
}

/** Write the URL for the current state: "push" a new history entry or "replace" this one. */
function commitUrl(mode) {
  updateTitle();
  const url = location.pathname + pageQuery(state, view);
  if (url === location.pathname + location.search) return;
  history[mode === "push" ? "pushState" : "replaceState"]({ policykb: true, view: !!view }, "", url);
}

function setStatus(...parts) {
  ui.status.replaceChildren(
    ...parts.map((part) => (typeof part === "string" ? document.createTextNode(part) : part)),
  );
}

function quoted(q) {
  const b = document.createElement("bdi");
  b.textContent = stripBidi(q);
  return [document.createTextNode("“"), b, document.createTextNode("”")];
}

function showError(message) {
  ui.error.hidden = !message;
  ui.error.textContent = message ? `Search failed: ${message}` : "";
}

// ---- filters -------------------------------------------------------------------------

function renderFilters() {
  const facets = state.q.trim() && lastResponse ? lastResponse.facets || {} : null;
  showFilters(ui, state, facets, allDocuments, toggleLanguage);
}

function toggleLanguage(code) {
  const on = state.lang.includes(code);
  state.lang = on ? state.lang.filter((c) => c !== code) : [...state.lang, code];
  commitSearch();
}

// ---- results -------------------------------------------------------------------------

/** Record what the results area shows (styling hook; tests wait on it). */
function setShown(kind, q = "") {
  ui.results.dataset.state = kind;
  ui.results.dataset.query = q;
}

function renderEmpty() {
  setShown("empty");
  ui.hits.replaceChildren();
  hitsById.clear();
  ui.pager.hidden = true;
  ui.empty.hidden = false;
  showError("");
  setStatus("");
}

function renderResults(res) {
  ui.empty.hidden = true;
  hitsById.clear();
  const cards = res.hits.map((hit, i) => {
    hitsById.set(String(hit.passage_id), hit);
    return hitCard(hit, res.offset + i + 1, links);
  });
  ui.hits.replaceChildren(...cards);
  ui.hits.start = res.offset + 1;
  const total = res.total ?? res.hits.length;
  setShown(total ? "results" : "no-results", state.q);
  if (!total) {
    const hint = hasFilters(state) ? " Try removing some filters." : " Try other words or another language.";
    setStatus("No results for ", ...quoted(state.q), "." + hint);
  } else {
    const range = total > res.hits.length ? `, showing ${res.offset + 1}–${res.offset + res.hits.length}` : "";
    setStatus(`${total} ${total === 1 ? "result" : "results"} for `, ...quoted(state.q), `${range}.`);
  }
  ui.pager.hidden = total <= res.k && res.offset === 0;
  ui.prev.disabled = res.offset <= 0;
  ui.next.disabled = res.offset + res.hits.length >= total || res.offset + res.k > MAX_OFFSET;
  ui.pageInfo.textContent = `Page ${Math.floor(res.offset / res.k) + 1} of ${Math.max(1, Math.ceil(total / res.k))}`;
}

/** Fetch and show results for the current state (history is the caller's business). */
async function runSearch() {
  const key = searchKey(state);
  controller?.abort();
  controller = null;
  if (!key) {
    ui.hits.setAttribute("aria-busy", "false");
    ui.results.classList.remove("is-loading");
    shownKey = key;
    lastResponse = null;
    renderEmpty();
    renderFilters();
    return;
  }
  controller = new AbortController();
  const { signal } = controller;
  ui.hits.setAttribute("aria-busy", "true");
  ui.results.classList.add("is-loading");
  setShown("loading", state.q);
  const slow = setTimeout(() => setStatus("Searching…"), SLOW_MS);
  try {
    const res = await api.search(apiParams(state), signal);
    if (generation !== null && res.generation !== generation) forgetDocuments();
    generation = res.generation ?? null;
    lastResponse = res;
    shownKey = key;
    showError("");
    renderResults(res);
  } catch (err) {
    if (err.name === "AbortError") return;
    lastResponse = null;
    shownKey = null;
    ui.hits.replaceChildren();
    ui.pager.hidden = true;
    ui.empty.hidden = true;
    showError(err.message);
    setStatus(""); // the alert above says it
    setShown("error", state.q);
  } finally {
    clearTimeout(slow);
    if (!signal.aborted) {
      ui.hits.setAttribute("aria-busy", "false");
      ui.results.classList.remove("is-loading");
      renderFilters();
    }
  }
}

/** A deliberate search (Enter, a filter, a page): new history entry, search at once. */
function commitSearch({ keepOffset = false } = {}) {
  clearTimeout(debounceTimer);
  state.q = input.value;
  if (!keepOffset) state.offset = 0;
  commitUrl("push");
  newEntryNext = true;
  if (searchKey(state) !== shownKey) runSearch();
  else renderFilters();
}

function onInput() {
  const now = Date.now();
  if (now - lastInputAt > COMMIT_PAUSE_MS) newEntryNext = true;
  lastInputAt = now;
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => {
    state.q = input.value;
    state.offset = 0;
    commitUrl(newEntryNext ? "push" : "replace");
    newEntryNext = false;
    if (searchKey(state) !== shownKey) runSearch();
  }, DEBOUNCE_MS);
}

// ---- context view --------------------------------------------------------------------

function openFromLink(a) {
  const next = { doc: a.dataset.doc, passage: a.dataset.passage };
  const inDialog = isContextOpen();
  view = next;
  commitUrl(inDialog ? "replace" : "push");
  if (!inDialog) viewPushed = true;
  openContext(next.doc, next.passage, hitsById.get(next.passage) || null, links);
}

function onContextClosed() {
  if (!view) return;
  view = null;
  if (viewPushed) {
    viewPushed = false;
    history.back();
  } else {
    commitUrl("replace");
  }
}

// ---- wiring --------------------------------------------------------------------------

/** Show what the URL asks for (page load, back/forward). */
async function applyUrl() {
  const read = readUrl(location.search);
  state = read.state;
  input.value = state.q;
  updateTitle();
  const searching = searchKey(state) !== shownKey ? runSearch() : null;
  if (!searching) renderFilters();
  const same = read.view && view && read.view.doc === view.doc && String(read.view.passage) === String(view.passage);
  view = read.view;
  if (!view) {
    viewPushed = false;
    closeContext();
  } else if (!same || !isContextOpen()) {
    const wanted = view;
    await searching; // a shared link's passage is usually among the hits: reuse its highlights
    if (view === wanted) openContext(view.doc, view.passage, hitsById.get(String(view.passage)) || null, links);
  }
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

function wire() {
  input.addEventListener("input", onInput);
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    commitSearch();
  });
  for (const [key, select] of Object.entries(ui.selects)) {
    select.addEventListener("change", () => {
      state[key] = select.value;
      commitSearch();
    });
  }
  for (const [key, field] of Object.entries(ui.dates)) {
    field.addEventListener("change", () => {
      state[key] = field.value;
      commitSearch();
    });
  }
  $("clear-filters").addEventListener("click", () => {
    state = { ...emptyState(), q: input.value, k: state.k };
    commitSearch();
  });
  for (const [button, step] of [[ui.prev, -1], [ui.next, 1]]) {
    button.addEventListener("click", () => {
      state.offset = Math.max(0, state.offset + step * state.k);
      commitSearch({ keepOffset: true });
      ui.results.focus({ preventScroll: true });
      ui.results.scrollIntoView({ block: "start" });
    });
  }
  ui.hits.addEventListener("policykb:more", (e) => {
    state.document = e.detail;
    commitSearch();
  });
  for (const example of document.querySelectorAll("[data-example]")) {
    example.addEventListener("click", () => {
      input.value = example.dataset.example;
      commitSearch();
    });
  }
  document.addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest("a[data-open]") : null;
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    openFromLink(a);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target) || isContextOpen()) return;
    e.preventDefault();
    input.focus();
    input.select();
  });
  window.addEventListener("popstate", applyUrl);
  initContext(onContextClosed);
}

async function loadDocuments() {
  try {
    allDocuments = listOf(await api.documents(), "documents");
    renderFilters();
  } catch {
    allDocuments = []; // filters still fill from the facets of each search
  }
}

async function loadHealth() {
  const box = $("health");
  try {
    const h = await api.health();
    const parts = [];
    for (const [key, label] of [["documents", "documents"], ["passages", "passages"]]) {
      if (typeof h[key] === "number") parts.push(`${h[key]} ${label}`);
    }
    const model = h.model_id || h.model;
    if (typeof model === "string") parts.push(`model ${model}`);
    box.replaceChildren(el("span", "", `Search service: ${h.status || "ok"}${parts.length ? " · " + parts.join(" · ") : ""}`));
  } catch (err) {
    box.replaceChildren(el("span", "error-text", `Search service unavailable: ${err.message}`));
  }
}

// On narrow screens the filters start folded so results come first.
if (window.matchMedia("(max-width: 48rem)").matches) $("filters-details").open = false;
wire();
applyUrl();
history.replaceState({ policykb: true, view: !!view }, "", location.href);
loadDocuments();
loadHealth();
