"""Best clause and highlight offsets inside a passage.

A passage is what we index; the clause (one or two sentences) is what staff read. The
clause is chosen by matched query terms (lexical side) and, when sentence vectors are
available, by sentence-level similarity to the query (semantic side). All offsets are code
points into the passage text; highlights come from matching in the normalised text and
mapping back, so ZWNJ variants and full-width characters highlight the right characters.
"""

from __future__ import annotations

import re

import numpy as np

from ingest.clean import normalize_with_map

LATIN_OR_ARABIC = re.compile(r"[A-Za-z0-9\u0600-\u06ff]")


def term_spans(text: str, terms: tuple[str, ...] | list[str]) -> list[tuple[int, int]]:
    """Original-text spans of every occurrence of each (normalised) term, non-overlapping."""
    if not terms:
        return []
    norm, mapping = normalize_with_map(text)
    found: list[tuple[int, int]] = []
    for term in sorted(set(terms), key=len, reverse=True):
        for m in re.finditer(re.escape(term), norm):
            i, j = m.start(), m.end()
            # Latin/Persian terms must start at a word boundary ("pension" not in "suspension").
            if LATIN_OR_ARABIC.match(term) and i > 0 and LATIN_OR_ARABIC.match(norm[i - 1]):
                continue
            found.append((mapping[i], mapping[j - 1] + 1))
    found.sort()
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s < merged[-1][1]:
            continue  # longer terms were added first; skip overlaps
        merged.append((s, e))
    return merged


def best_clause(text: str, spans: list[tuple[int, int]], sentences: list[tuple[int, int]],
                sentence_scores: list[float] | None = None) -> tuple[int, int]:
    """The sentence that best answers the query: its similarity to the query (semantic
    side) plus the share of its characters matching query terms (lexical side), each
    scaled to [0, 1] across the passage's sentences so neither side drowns the other."""
    sentences = sentences or [(0, len(text))]
    lexical = np.array([
        sum(min(e, he) - max(s, hs) for hs, he in spans if hs < e and he > s)
        / max(1, e - s) ** 0.5 for s, e in sentences])
    score = lexical / lexical.max() if lexical.max() > 0 else np.zeros(len(sentences))
    if sentence_scores and len(sentence_scores) == len(sentences):
        sem = np.asarray(sentence_scores, dtype=np.float64)
        if sem.max() - sem.min() > 1e-6:
            score = score + (sem - sem.min()) / (sem.max() - sem.min())
    return sentences[int(np.argmax(score))]
