// Safe text rendering: code-point offsets -> text nodes and <mark> elements, never HTML.

// Bidi embedding/override/isolate controls would reorder the UI around a field; each field is
// isolated with dir="auto" + unicode-bidi: isolate and these controls are dropped on display.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
const SURROGATE = /[\uD800-\uDFFF]/;

export const LANG_NAMES = { en: "English", zh: "中文", fa: "فارسی" };
const LANG_DIR = { fa: "rtl" };

/** Remove bidi control characters from a string meant for display. */
export function stripBidi(value) {
  return String(value ?? "").replace(BIDI_CONTROLS, "");
}

/** The `lang` attribute value for an API language code, or "" when it is not a real language. */
export function langTag(code) {
  return code in LANG_NAMES ? code : "";
}

/** A human label for a language code ("fa" -> "فارسی", "mixed" -> "Mixed"). */
export function langLabel(code) {
  if (code in LANG_NAMES) return LANG_NAMES[code];
  if (!code) return "Unknown";
  return code === "und" ? "Undetermined" : code.charAt(0).toUpperCase() + code.slice(1);
}

/** Direction of a language's own name, for badges and chips. */
export function langDir(code) {
  return LANG_DIR[code] || "ltr";
}

/**
 * Create an element holding one text field: isolated, dir="auto", optional lang.
 * Args: tag, text, options {cls, lang}. Returns the element.
 */
export function textEl(tag, text, { cls = "", lang = "" } = {}) {
  const el = document.createElement(tag);
  el.dir = "auto";
  el.classList.add("field");
  if (cls) el.classList.add(...cls.split(" "));
  if (lang) el.lang = lang;
  el.textContent = stripBidi(text);
  return el;
}

/** Plain element with classes and (trusted, UI) text. */
export function el(tag, cls = "", text = "") {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text) node.textContent = text;
  return node;
}

/**
 * Return slice(start, end) taking Unicode code-point offsets (the API's unit), plus length.
 * Fast path when the text has no astral characters (UTF-16 index == code point index).
 */
export function codePoints(text) {
  const s = String(text ?? "");
  if (!SURROGATE.test(s)) {
    return { length: s.length, slice: (a, b) => s.slice(a, b) };
  }
  const cps = Array.from(s);
  return { length: cps.length, slice: (a, b) => cps.slice(a, b).join("") };
}

function cpLength(s) {
  return SURROGATE.test(s) ? Array.from(s).length : s.length;
}

function clampRange(range, length) {
  if (!Array.isArray(range) || range.length < 2) return null;
  const start = Math.max(0, Math.min(length, Number(range[0]) | 0));
  const end = Math.max(0, Math.min(length, Number(range[1]) | 0));
  return end > start ? [start, end] : null;
}

/** Sort ranges and merge those that overlap or touch: "社会"+"保险" reads as one <mark>. */
function mergeRanges(ranges) {
  const out = [];
  for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * Split [from, to) of a text into segments flagged by the clause and highlight ranges.
 * Args: length (code points), clause [s, e] or null, highlights [[s, e]...], from, to.
 * Returns [{start, end, clause: bool, mark: bool}], covering [from, to) in order.
 */
export function segment(length, clause, highlights, from = 0, to = length) {
  const c = clause ? clampRange(clause, length) : null;
  const marks = mergeRanges((highlights || []).map((h) => clampRange(h, length)).filter(Boolean));
  const cuts = new Set([from, to]);
  for (const [s, e] of c ? [c, ...marks] : marks) {
    if (s > from && s < to) cuts.add(s);
    if (e > from && e < to) cuts.add(e);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [start, end] = [points[i], points[i + 1]];
    out.push({
      start,
      end,
      clause: !!c && start >= c[0] && end <= c[1],
      mark: marks.some(([s, e]) => start >= s && end <= e),
    });
  }
  return out;
}

/**
 * Append `text[from:to]` to `parent` with highlights as <mark> and the clause wrapped in
 * <span class="clause">. Offsets are code points into `text`.
 */
export function appendHighlighted(parent, text, { clause = null, highlights = [], from, to } = {}) {
  const cp = codePoints(text);
  const lo = from ?? 0;
  const hi = to ?? cp.length;
  let clauseEl = null;
  for (const seg of segment(cp.length, clause, highlights, lo, hi)) {
    const str = stripBidi(cp.slice(seg.start, seg.end));
    let node = document.createTextNode(str);
    if (seg.mark) {
      const mark = document.createElement("mark");
      mark.appendChild(node);
      node = mark;
    }
    if (seg.clause) {
      if (!clauseEl) {
        clauseEl = el("span", "clause");
        parent.appendChild(clauseEl);
      }
      clauseEl.appendChild(node);
    } else {
      clauseEl = null;
      parent.appendChild(node);
    }
  }
  return parent;
}

/**
 * Choose a window of the passage around the clause so long passages stay readable.
 * Returns {from, to, clipped} in code points, snapped to whitespace where possible.
 */
export function contextWindow(text, clause, radius = 260) {
  const cp = codePoints(text);
  const c = clause ? clampRange([clause.start, clause.end], cp.length) : null;
  if (!c || cp.length <= c[1] - c[0] + 2 * radius) {
    return { from: 0, to: cp.length, clipped: false, length: cp.length };
  }
  let from = Math.max(0, c[0] - radius);
  let to = Math.min(cp.length, c[1] + radius);
  if (from > 0) {
    const head = cp.slice(from, c[0]);
    const ws = head.search(/\s/);
    if (ws >= 0 && ws < 40) from += cpLength(head.slice(0, ws + 1));
  }
  if (to < cp.length) {
    const tail = cp.slice(c[1], to);
    const cut = Math.max(tail.lastIndexOf(" "), tail.lastIndexOf("\n"));
    if (cut >= 0 && tail.length - cut < 40) to -= cpLength(tail.slice(cut + 1));
  }
  return { from, to, clipped: from > 0 || to < cp.length, length: cp.length };
}
