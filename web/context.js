// "Open in context": the whole document in a dialog, the passage highlighted and in view.

import { api } from "./api.js";
import { appendHighlighted, codePoints, el, langLabel, langTag, stripBidi, textEl } from "./text.js";
import { openLink } from "./render.js";

const dialog = document.getElementById("context");
const titleEl = document.getElementById("ctx-title");
const metaEl = document.getElementById("ctx-meta");
const parallelsEl = document.getElementById("ctx-parallels");
const statusEl = document.getElementById("ctx-status");
const bodyEl = document.getElementById("ctx-body");

const documents = new Map(); // doc id -> document JSON; documents do not change under a page
let controller = null;
let opener = null;
let onClosed = () => {};

/** Wire the dialog once. Args: closed() is called after it closes (Escape, button, URL). */
export function initContext(closed) {
  onClosed = closed;
  document.getElementById("ctx-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    controller?.abort();
    const back = opener;
    opener = null;
    if (back?.isConnected) back.focus();
    onClosed();
  });
}

/** Drop cached documents (the index was rebuilt: offsets may have moved). */
export function forgetDocuments() {
  documents.clear();
}

export function isContextOpen() {
  return dialog.open;
}

/** Close the dialog (the "close" event still reports back; callers clear their view first). */
export function closeContext() {
  if (dialog.open) dialog.close();
}

function setStatus(text, isError = false) {
  statusEl.textContent = text;
  statusEl.classList.toggle("error-text", isError);
}

function renderMeta(doc, lang) {
  metaEl.replaceChildren();
  const parts = [[langLabel(doc.language), ""], [doc.doc_type, ""], [doc.issuer, lang], [doc.published, ""]];
  parts.filter(([value]) => value).forEach(([value, l], i) => {
    if (i) metaEl.appendChild(el("span", "sep", " · "));
    metaEl.appendChild(textEl("span", value, { lang: l }));
  });
}

function renderParallels(parallels, links) {
  parallelsEl.replaceChildren();
  if (!parallels?.length) return;
  parallelsEl.appendChild(el("span", "label", "Same clause in: "));
  const list = el("ul", "inline-list");
  for (const p of parallels) {
    const li = el("li");
    const name = textEl("span", `${langLabel(p.language)}: ${p.title || p.doc_id}`, { lang: langTag(p.language) });
    li.appendChild(openLink(links, p.doc_id, p.passage_id, [name]));
    list.appendChild(li);
  }
  parallelsEl.appendChild(list);
}

/**
 * Render the document text with the target passage wrapped in a highlighted element.
 * Returns the target element (or null when the passage is not in this document).
 */
function renderText(doc, passage, hit, lang) {
  const box = el("div", "doc-text field");
  box.dir = "auto";
  if (lang) box.lang = lang;
  const cp = codePoints(doc.text || "");
  if (!passage) {
    box.appendChild(document.createTextNode(stripBidi(cp.slice(0, cp.length))));
    bodyEl.replaceChildren(box);
    return null;
  }
  box.appendChild(document.createTextNode(stripBidi(cp.slice(0, passage.start))));
  const target = el("span", "passage-target");
  target.id = "ctx-target";
  target.tabIndex = -1;
  target.dataset.passage = String(passage.id);
  const text = cp.slice(passage.start, passage.end);
  const fromHit = hit && String(hit.passage_id) === String(passage.id);
  appendHighlighted(target, text, fromHit ? { clause: [hit.clause.start, hit.clause.end], highlights: hit.highlights } : {});
  box.appendChild(target);
  box.appendChild(document.createTextNode(stripBidi(cp.slice(passage.end, cp.length))));
  bodyEl.replaceChildren(box);
  return target;
}

/** Centre a passage that fits; a taller one starts at the top so its beginning shows. */
function reveal(target) {
  const fits = target.getBoundingClientRect().height < bodyEl.clientHeight * 0.8;
  target.scrollIntoView({ block: fits ? "center" : "start" });
}

async function loadDocument(docId, signal) {
  if (!documents.has(docId)) documents.set(docId, await api.document(docId, signal));
  return documents.get(docId);
}

async function findParallels(passageId, hit, signal) {
  if (hit && String(hit.passage_id) === String(passageId)) return hit.parallels;
  try {
    const passage = await api.passage(passageId, signal);
    return passage.parallels || [];
  } catch (err) {
    if (err.name === "AbortError") throw err;
    return []; // parallels are a nicety; the document itself is what was asked for
  }
}

/**
 * Open a document with one passage highlighted and scrolled into view.
 * Args: docId, passageId (or null), hit (the search hit the user came from, or null),
 * links ({href}). Resolves when rendered.
 */
export async function openContext(docId, passageId, hit, links) {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  if (!dialog.open) {
    opener = document.activeElement;
    dialog.showModal();
  }
  titleEl.textContent = stripBidi(hit?.title || "");
  metaEl.replaceChildren();
  parallelsEl.replaceChildren();
  bodyEl.replaceChildren();
  dialog.setAttribute("aria-busy", "true");
  setStatus("Loading the document…");
  try {
    const doc = await loadDocument(docId, signal);
    const passage = (doc.passages || []).find((p) => String(p.id) === String(passageId));
    const lang = langTag(doc.language);
    titleEl.textContent = stripBidi(doc.title || doc.id);
    titleEl.lang = lang;
    renderMeta(doc, lang);
    const target = renderText(doc, passage, hit, lang);
    if (target) {
      const n = doc.passages.indexOf(passage) + 1;
      setStatus(`Showing passage ${n} of ${doc.passages.length}, highlighted.`);
      reveal(target);
      target.focus({ preventScroll: true });
    } else {
      setStatus(passageId != null ? "That passage is no longer in this document; showing the whole text." : "");
      bodyEl.focus();
    }
    if (passageId != null) {
      renderParallels(await findParallels(passageId, hit, signal), links);
      if (target) reveal(target); // the parallels row took room from the text pane
    }
  } catch (err) {
    if (err.name === "AbortError") return;
    setStatus(`Could not open the document: ${err.message}`, true);
  } finally {
    if (!signal.aborted) dialog.removeAttribute("aria-busy");
  }
}
