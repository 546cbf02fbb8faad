"""BM25 of given passages computed here, with FTS5's own formula and statistics.

Why: asking FTS5 for the score of 100 specific passages (`MATCH ... AND rowid IN (...)`)
still walks the whole doclist of every query term. A common Chinese term (保险 is in 70%
of the passages of a social-security corpus) made that 175 ms per search at 100k
passages. The same number comes from the passages' stored token text, their token counts
(FTS5's docsize table), the table's average length (its averages record) and the term
document frequencies written at build time: about a millisecond.

The formula is FTS5's bm25() with its defaults: k1 = 1.2, b = 0.75, one column of weight
1, idf = log((N - df + 0.5) / (df + 0.5)) floored at 1e-6, and a term counted once per
occurrence. Scores are returned positive (FTS5's bm25() is negated for ORDER BY).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from index.storage.protocol import SearchStore

K1 = 1.2
B = 0.75
# FTS5's unicode61 tokenizer: runs of letters and numbers (L*, N*), case-folded.
FTS_TOKEN = re.compile(r"[^\W_]+")


def fts_tokens(text: str) -> list[str]:
    """Tokens of `text` as FTS5's unicode61 tokenizer (remove_diacritics 0) sees them."""
    return FTS_TOKEN.findall(text.lower())


def single_token_terms(terms: Sequence[str]) -> bool:
    """Whether every term is one FTS5 token (else FTS5 would match it as a phrase)."""
    return all(len(fts_tokens(t)) == 1 for t in terms)


def bm25_scores(terms: Sequence[str], rows: Mapping[int, tuple[str, int]],
                docs: Mapping[str, int], n_rows: int, avg_len: float,
                weights: Mapping[str, float] | None = None,
                matched: dict[int, set[str]] | None = None) -> dict[int, float]:
    """Positive BM25 of each row (id -> (token text, token count)) that holds a term.

    Rows without any of the terms are left out, as FTS5's MATCH leaves them out. With
    `weights` (by term; 1 when absent) each term's part is multiplied by its weight: a
    translated term counts for less than the user's own (index/query/crosslingual.py).
    `matched`, when given, receives the tokens each scored row holds (relevance test).
    """
    idf: dict[str, float] = {}
    for term in terms:
        w = weights.get(term, 1.0) if weights else 1.0
        for t in fts_tokens(term):
            df = docs.get(t, 0)
            weighted = w * max(math.log((n_rows - df + 0.5) / (df + 0.5)), 1e-6)
            idf[t] = max(idf.get(t, 0.0), weighted)
    out: dict[int, float] = {}
    avg_len = avg_len or 1.0
    if not idf:
        return out
    # The stored text is the analyser's tokens joined by single spaces, each one FTS5
    # token (lexical.index_text). With every space doubled, each occurrence of a token
    # stands alone between its own two spaces, so str.count finds them all: C-speed, where
    # a regex alternation scanned every position in Python's engine (a third of the
    # GIL-held time of a search under 8 concurrent requests).
    needles = {t: f" {t} " for t in idf}
    for rid, (text, length) in rows.items():
        spaced = f" {text.lower().replace(' ', '  ')} "
        counts = {t: f for t, needle in needles.items() if (f := spaced.count(needle))}
        if not counts:
            continue
        if matched is not None:
            matched[rid] = set(counts)
        norm = K1 * (1 - B + B * length / avg_len)
        out[rid] = sum(idf[t] * f * (K1 + 1) / (f + norm) for t, f in counts.items())
    return out


class Bm25:
    """FTS5-equal BM25 for chosen passages of one generation's store."""

    def __init__(self, store: SearchStore) -> None:
        self.store = store

    def available(self, terms: Sequence[str]) -> bool:
        """Term statistics exist (built since they were added) and every term is one token."""
        return bool(self.store.stats_passages()) and single_token_terms(terms)

    def scores(self, terms: Sequence[str], ids: Sequence[int], docs: Mapping[str, int],
               weights: Mapping[str, float] | None = None,
               matched: dict[int, set[str]] | None = None) -> dict[int, float]:
        """Positive BM25 of the given passages that hold a term (as a MATCH would score);
        `docs` are the terms' document frequencies (the store's term_docs)."""
        n_rows, avg_len = self.store.fts_totals()
        return bm25_scores(terms, self.store.fts_rows(ids), docs, n_rows, avg_len, weights,
                           matched)
