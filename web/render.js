// DOM builders for result cards, language chips and filter selects. No HTML strings.

import { appendHighlighted, contextWindow, el, langDir, langLabel, langTag, stripBidi, textEl } from "./text.js";

function langBadge(code) {
  const badge = el("span", "badge lang-badge");
  badge.appendChild(el("span", "visually-hidden", "Language: "));
  const name = el("span", "", langLabel(code));
  const tag = langTag(code);
  if (tag) name.lang = tag;
  name.dir = langDir(code);
  badge.appendChild(name);
  return badge;
}

function crumbs(path, lang) {
  const list = el("ol", "crumbs field");
  list.dir = "auto";
  if (lang) list.lang = lang;
  list.setAttribute("aria-label", "Section");
  // No dir on the items: dir="auto" on the list must see their text to pick its direction.
  for (const part of path) list.appendChild(el("li", "field", stripBidi(part)));
  return list;
}

function metaLine(hit, lang) {
  const meta = el("p", "meta");
  const parts = [
    [hit.doc_type, ""],
    [hit.issuer, lang],
    [hit.published, ""],
  ].filter(([v]) => v);
  parts.forEach(([value, l], i) => {
    if (i) meta.appendChild(el("span", "sep", " · "));
    meta.appendChild(textEl("span", value, { lang: l }));
  });
  return meta;
}

/** Fill the passage element: the window around the clause, or the whole passage. */
function fillPassage(box, hit, whole) {
  box.replaceChildren();
  const clause = hit.clause ? [hit.clause.start, hit.clause.end] : null;
  const win = contextWindow(hit.text, hit.clause);
  const [from, to] = whole ? [0, win.length] : [win.from, win.to];
  if (from > 0) box.appendChild(el("span", "ellipsis", "… "));
  appendHighlighted(box, hit.text, { clause, highlights: hit.highlights, from, to });
  if (to < win.length) box.appendChild(el("span", "ellipsis", " …"));
  return win.clipped;
}

function passageBlock(hit, lang, id) {
  const wrap = el("div", "passage-wrap");
  const box = el("p", "passage field");
  box.id = id;
  box.dir = "auto";
  if (lang) box.lang = lang;
  wrap.appendChild(box);
  const clipped = fillPassage(box, hit, false);
  if (clipped) {
    const toggle = el("button", "linkish expand", "Show the whole passage");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", id);
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      fillPassage(box, hit, open);
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Show less" : "Show the whole passage";
    });
    wrap.appendChild(toggle);
  }
  return wrap;
}

/** A link that opens a passage in its document; app.js handles the click (data-open). */
export function openLink(links, docId, passageId, children) {
  const a = document.createElement("a");
  a.href = links.href(docId, passageId);
  a.dataset.open = "1";
  a.dataset.doc = docId;
  a.dataset.passage = String(passageId);
  for (const child of children) a.appendChild(child);
  return a;
}

function parallelsBlock(hit, links) {
  const box = el("div", "parallels");
  box.appendChild(el("span", "label", "Same clause in: "));
  const list = el("ul", "inline-list");
  for (const p of hit.parallels) {
    const tag = langTag(p.language);
    const name = el("span", "", langLabel(p.language));
    if (tag) name.lang = tag;
    name.dir = langDir(p.language);
    const a = openLink(links, p.doc_id, p.passage_id, [name]);
    a.title = stripBidi(p.title);
    a.appendChild(el("span", "visually-hidden", ": "));
    a.appendChild(textEl("span", p.title, { cls: "visually-hidden", lang: tag }));
    const li = el("li");
    li.appendChild(a);
    list.appendChild(li);
  }
  box.appendChild(list);
  return box;
}

function alsoInBlock(hit, links) {
  const box = el("div", "also-in");
  box.appendChild(el("span", "label", "Also in: "));
  const list = el("ul", "inline-list");
  for (const other of hit.also_in) {
    const li = el("li");
    li.appendChild(openLink(links, other.doc_id, other.passage_id, [textEl("span", other.title)]));
    list.appendChild(li);
  }
  box.appendChild(list);
  return box;
}

function scoresBlock(scores, translations) {
  const details = el("details", "scores");
  details.appendChild(el("summary", "", "Explain score"));
  const dl = el("dl");
  const fmt = (v) => (typeof v === "number" ? v.toFixed(4) : "—");
  for (const [name, key] of [["Semantic (dense)", "dense"], ["Lexical", "lexical"], ["Fused", "fused"]]) {
    dl.appendChild(el("dt", "", name));
    dl.appendChild(el("dd", "", fmt(scores?.[key])));
  }
  if (translations?.length) {
    dl.appendChild(el("dt", "", "Translated terms"));
    const dd = el("dd", "translations");
    translations.forEach((t, i) => {
      if (i) dd.appendChild(document.createTextNode("; "));
      dd.appendChild(textEl("span", t.source, {}));
      dd.appendChild(document.createTextNode(" → "));
      dd.appendChild(textEl("span", t.term, { lang: langTag(t.language) }));
    });
    dl.appendChild(dd);
  }
  details.appendChild(dl);
  return details;
}

/** "N more from this document": a button asking app.js (event policykb:more) to show
 * every result passage of the document (the document filter). */
function moreFromDocument(hit) {
  const n = hit.more_from_document;
  const button = el("button", "linkish more-from-doc", `${n} more from this document`);
  button.type = "button";
  button.addEventListener("click", () => {
    button.dispatchEvent(new CustomEvent("policykb:more", { bubbles: true, detail: hit.doc_id }));
  });
  return button;
}

/**
 * Build one result card. Args: hit (API search hit), index (position on the page),
 * links ({href(docId, passageId)}). Returns an <li>.
 */
export function hitCard(hit, index, links) {
  const lang = langTag(hit.language);
  const li = el("li", "hit");
  li.dataset.passage = String(hit.passage_id);
  li.dataset.language = hit.language || "";
  const card = el("article", "card");
  const titleId = `hit-${index}-title`;
  card.setAttribute("aria-labelledby", titleId);

  const head = el("header", "card-head");
  const title = textEl("h3", hit.title || hit.doc_id, { cls: "card-title", lang });
  title.id = titleId;
  head.append(title, langBadge(hit.language));
  card.appendChild(head);
  if (hit.heading_path?.length) card.appendChild(crumbs(hit.heading_path, lang));
  card.appendChild(metaLine(hit, lang));
  card.appendChild(passageBlock(hit, lang, `hit-${index}-passage`));

  const actions = el("div", "card-actions");
  const open = openLink(links, hit.doc_id, hit.passage_id, [document.createTextNode("Open in context")]);
  open.classList.add("btn", "open-context");
  open.setAttribute("aria-describedby", titleId);
  actions.appendChild(open);
  if (hit.parallels?.length) actions.appendChild(parallelsBlock(hit, links));
  card.appendChild(actions);
  if (hit.also_in?.length) card.appendChild(alsoInBlock(hit, links));
  if (hit.more_from_document > 0) card.appendChild(moreFromDocument(hit));
  card.appendChild(scoresBlock(hit.scores, hit.translations));
  li.appendChild(card);
  return li;
}

function chipButton(code, onToggle) {
  const chip = el("button", "chip");
  chip.type = "button";
  chip.dataset.lang = code;
  const name = el("span", "chip-name", langLabel(code));
  if (langTag(code)) name.lang = code;
  name.dir = langDir(code);
  chip.append(name, el("span", "chip-count"), el("span", "visually-hidden"));
  chip.addEventListener("click", () => onToggle(code));
  return chip;
}

/**
 * Render the language chips, updating buttons in place so keyboard focus survives.
 * Args: box, counts ({code: n}; null n = no search yet), selected (codes), onToggle(code).
 */
export function renderChips(box, counts, selected, onToggle) {
  const codes = [...new Set([...Object.keys(counts || {}), ...selected])];
  const existing = new Map([...box.children].map((c) => [c.dataset.lang, c]));
  for (const [code, chip] of existing) if (!codes.includes(code)) chip.remove();
  codes.forEach((code, i) => {
    const chip = existing.get(code) || chipButton(code, onToggle);
    chip.setAttribute("aria-pressed", String(selected.includes(code)));
    const n = counts?.[code];
    const [, count, said] = chip.children;
    count.hidden = n === null;
    count.textContent = n === null ? "" : String(n ?? 0);
    said.textContent = n === null ? "" : n === 1 ? " result" : " results";
    // Move only when out of place: moving a focused button would drop its focus.
    if (box.children[i] !== chip) box.insertBefore(chip, box.children[i] || null);
  });
}

/**
 * Fill a <select> with "Any" plus options. Args: select, options ([{value, label, count}]),
 * selected value. The selected value is kept even when the current results lack it.
 */
export function fillSelect(select, options, selected) {
  const seen = new Map();
  for (const o of options) if (o.value && !seen.has(o.value)) seen.set(o.value, o);
  if (selected && !seen.has(selected)) seen.set(selected, { value: selected, label: selected });
  const any = el("option", "", "Any");
  any.value = "";
  const items = [...seen.values()].sort((a, b) => (b.count ?? -1) - (a.count ?? -1) || String(a.label).localeCompare(String(b.label)));
  select.replaceChildren(any);
  for (const o of items) {
    const opt = document.createElement("option");
    opt.value = o.value;
    opt.textContent = stripBidi(o.label) + (o.count != null ? ` (${o.count})` : "");
    select.appendChild(opt);
  }
  select.value = selected || "";
}
