// Filter controls: options from GET /api/documents plus the facets of the current results.

import { fillSelect, renderChips } from "./render.js";

function docOptions(documents, counts) {
  const options = documents.map((d) => ({ value: String(d.id ?? d.doc_id), label: d.title || d.id || d.doc_id }));
  for (const id of Object.keys(counts || {})) options.push({ value: id, label: id }); // deduped by fillSelect
  return options.map((o) => ({ ...o, count: counts ? counts[o.value] ?? 0 : undefined }));
}

function valueOptions(documents, field, counts) {
  const values = new Set(Object.keys(counts || {}));
  for (const d of documents) {
    for (const v of [].concat(d[field] ?? [])) if (v) values.add(String(v));
  }
  return [...values].map((v) => ({ value: v, label: v, count: counts ? counts[v] ?? 0 : undefined }));
}

/**
 * Show the filter selects, dates and language chips for a state.
 * Args: ui (the controls), state, facets (of the shown results, or null before a search),
 * documents (GET /api/documents), onToggleLanguage(code).
 */
export function showFilters(ui, state, facets, documents, onToggleLanguage) {
  const f = (name) => (facets ? facets[name] || {} : null);
  fillSelect(ui.selects.document, docOptions(documents, f("doc")), state.document);
  fillSelect(ui.selects.type, valueOptions(documents, "doc_type", f("doc_type")), state.type);
  fillSelect(ui.selects.issuer, valueOptions(documents, "issuer", f("issuer")), state.issuer);
  fillSelect(ui.selects.topic, valueOptions(documents, "topics", f("topic")), state.topic);
  for (const [key, field] of Object.entries(ui.dates)) field.value = state[key];
  // Every language the collection holds gets a chip; counts only once there are results.
  const langCounts = {};
  for (const d of documents) if (d.language) langCounts[d.language] = facets ? 0 : null;
  Object.assign(langCounts, f("language") || {});
  renderChips(ui.chips, langCounts, state.lang, onToggleLanguage);
}
