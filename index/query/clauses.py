"""Best clause and highlight offsets inside a passage.

A passage is what we index; the clause (one or two sentences) is what staff read. The
clause is chosen by matched query terms (lexical side) and, when sentence vectors are
available, by sentence-level similarity to the query (semantic side). All offsets are code
points into the passage text; highlights come from matching in the normalised text and
mapping back, so ZWNJ variants and full-width characters highlight the right characters.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from ingest.text.markers import ARTICLE_OPENING, ITEM_START
from ingest.text.normalize import normalize_with_map

LATIN_OR_ARABIC = re.compile(r"[A-Za-z0-9\u0600-\u06ff]")
ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN = re.compile(r"[a-z0-9\u0600-\u06ff]")
# The rest of a word after a term's match (normalised text is lower case): "system" marks
# all of "systems", a Persian stem (بیم, the index's form of بیمه) all of "بیمه‌های".
WORD_REST = re.compile(r"[a-z0-9\u0600-\u06ff]*")


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A normalised term as a pattern. A Persian term may have a space between any two of
    its letters, since the same compound is written with a space, a ZWNJ or nothing: a
    query for "چندستونی" highlights "چند ستونی" and counts it for the clause."""
    if ARABIC.match(term):
        return re.compile(" ?".join(re.escape(ch) for ch in term))
    return re.compile(re.escape(term))


def _occurrences(term: str, norm: str):
    """Matches of a term in normalised text; Latin/Persian terms only at a word start."""
    for m in term_pattern(term).finditer(norm):
        i = m.start()
        if LATIN_OR_ARABIC.match(term) and i > 0 and LATIN_OR_ARABIC.match(norm[i - 1]):
            continue  # "pension" not in "suspension"
        if " " in m.group() and LATIN_OR_ARABIC.match(norm, m.end()):
            continue  # a spaced compound ends with its last word: "نظارت بر" not in "نظارت برای"
        yield m


def term_occurrences(text: str, terms: tuple[str, ...] | list[str]
                     ) -> dict[str, list[tuple[int, int]]]:
    """Original-text spans of each (normalised) term's occurrences, from one pass of the
    normaliser over the whole text (clause choice and highlights share it)."""
    if not terms:
        return {}
    norm, mapping = normalize_with_map(text)
    out: dict[str, list[tuple[int, int]]] = {}
    for term in sorted(set(terms), key=len, reverse=True):
        latin = bool(LATIN.match(term[-1]))
        # A Latin term matches at a word start; its span runs to the word's end, so
        # "system" marks all of "systems" rather than stopping mid-word.
        out[term] = [(mapping[m.start()],
                      mapping[(WORD_REST.match(norm, m.end()).end()  # type: ignore[union-attr]
                               if latin else m.end()) - 1] + 1)
                     for m in _occurrences(term, norm)]
    return out


def term_spans(text: str, terms: tuple[str, ...] | list[str],
               occurrences: dict[str, list[tuple[int, int]]] | None = None
               ) -> list[tuple[int, int]]:
    """Original-text spans of every occurrence of each (normalised) term, non-overlapping."""
    if occurrences is None:
        occurrences = term_occurrences(text, terms)
    found = [span for spans in occurrences.values() for span in spans]
    found.sort(key=lambda span: (span[0], -span[1]))  # at one start, the longest term
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s < merged[-1][1]:
            continue
        merged.append((s, e))
    return merged


# A sentence that states an article's rule: its opening ("第十四条 ...") or the lead-in of
# an enumeration ("...有下列情形之一的，应当认定为工伤："). When the query's terms fit it as
# well as one of its items, the rule is the answer and the item only one case of it.
LEAD_IN_END = re.compile(r"[：:]\s*$")
RULE_PRIOR = 0.15
# Sentence vectors come from one pass over the passage (late chunking), so sentences of a
# passage differ by a few hundredths in cosine; this scale makes 0.02 worth 0.1 of term
# coverage: enough to separate sentences with equal terms, never enough to outvote a term.
SEMANTIC_SCALE = 5.0


def term_coverage(sentence: str, terms: tuple[str, ...] | list[str],
                  weights: dict[str, float] | None = None) -> float:
    """Share of the query's terms found in the sentence, in [0, 1], each term weighted by
    its rarity in the index (inverse document frequency; length when no weights are given).
    Distinct terms, not matched characters: a sentence that repeats one term twice does
    not beat one holding two different terms, and the rare term of a query (监管 beside
    保险) decides more than the common one."""
    return coverage_within(term_occurrences(sentence, terms), 0, len(sentence), terms,
                           weights)


def coverage_within(occurrences: dict[str, list[tuple[int, int]]], start: int, end: int,
                    terms: tuple[str, ...] | list[str],
                    weights: dict[str, float] | None = None) -> float:
    """term_coverage of text[start:end], from the whole text's term occurrences."""
    if not terms:
        return 0.0
    total = found = 0.0
    for term in set(terms):
        weight = weights.get(term, len(term)) if weights else len(term)
        total += weight
        if any(start <= s and e <= end for s, e in occurrences.get(term, ())):
            found += weight
    return found / total if total else 0.0



def enumeration_items(text: str, sentences: list[tuple[int, int]], i: int) -> list[int]:
    """Indexes of the enumerated items that follow sentence i when it is a lead-in
    (ends with a colon); empty otherwise."""
    s, e = sentences[i]
    if not LEAD_IN_END.search(text[s:e]):
        return []
    items = []
    for j in range(i + 1, len(sentences)):
        if not ITEM_START.match(text, sentences[j][0]):
            break
        items.append(j)
    return items


def best_clause(text: str, terms: tuple[str, ...] | list[str], sentences: list[tuple[int, int]],
                sentence_scores: list[float] | None = None,
                weights: dict[str, float] | None = None,
                occurrences: dict[str, list[tuple[int, int]]] | None = None) -> tuple[int, int]:
    """The sentence that best answers the query.

    Score = share of the query's terms it holds, weighted by `weights` (lexical side) + a
    prior for the sentence that states an article's rule (its opening, or the lead-in of a
    list) + its similarity to the query relative to the passage's best sentence (semantic
    side, scaled by SEMANTIC_SCALE). A lead-in stands for its list, so its similarity is at least the mean
    of its items': a question about the list as a whole gets the rule, a question that one
    item answers better still gets that item. Ties go to the earlier sentence.
    """
    sentences = sentences or [(0, len(text))]
    if occurrences is None:
        occurrences = term_occurrences(text, terms)
    score = np.array([coverage_within(occurrences, s, e, terms, weights) for s, e in sentences])
    items = [enumeration_items(text, sentences, i) for i in range(len(sentences))]
    rule = [bool(ARTICLE_OPENING.match(text, s)) or bool(items[i])
            for i, (s, _) in enumerate(sentences)]
    score += RULE_PRIOR * np.array(rule)
    if sentence_scores and len(sentence_scores) == len(sentences):
        sem = np.asarray(sentence_scores, dtype=np.float64)
        sem = np.array([max(sem[i], float(np.mean(sem[items[i]]))) if items[i] else sem[i]
                        for i in range(len(sem))])
        score += SEMANTIC_SCALE * (sem - sem.max())
    return sentences[int(np.argmax(score))]
