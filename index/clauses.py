"""Best clause and highlight offsets inside a passage.

A passage is what we index; the clause (one or two sentences) is what staff read. The
clause is chosen by matched query terms (lexical side) and, when sentence vectors are
available, by sentence-level similarity to the query (semantic side). All offsets are code
points into the passage text; highlights come from matching in the normalised text and
mapping back, so ZWNJ variants and full-width characters highlight the right characters.
"""

from __future__ import annotations

import re

from ingest.clean import normalize_with_map

SENTENCE_END = re.compile(r"[。！？；!?؟;]+|\.(?=\s|$)|\n+")
LATIN_OR_ARABIC = re.compile(r"[A-Za-z0-9\u0600-\u06ff]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trailing punctuation included, whitespace excluded."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out or [(0, len(text))]


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
            if LATIN_OR_ARABIC.match(term) and i > 0 and norm[i - 1].isalnum():
                continue
            found.append((mapping[i], mapping[j - 1] + 1))
    found.sort()
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s < merged[-1][1]:
            continue  # longer terms were added first; skip overlaps
        merged.append((s, e))
    return merged


def best_clause(text: str, spans: list[tuple[int, int]],
                sentence_scores: list[float] | None = None) -> tuple[int, int]:
    """The sentence with the most matched characters, the highest similarity breaking ties."""
    sentences = sentence_spans(text)
    best, best_score = sentences[0], float("-inf")
    for idx, (s, e) in enumerate(sentences):
        matched = sum(min(e, he) - max(s, hs) for hs, he in spans if hs < e and he > s)
        lexical = matched / max(1, e - s) ** 0.5
        semantic = sentence_scores[idx] if sentence_scores else 0.0
        score = lexical + 4.0 * semantic
        if score > best_score:
            best, best_score = (s, e), score
    return best
