"""Hybrid search over one generation: dense + lexical candidates, fused by score.

Both halves see the same metadata filters. Every candidate in the union of the two pools
gets both scores (dense from its stored vector, lexical with FTS5's BM25 formula computed
over its stored tokens, index/query/bm25.py), so fusion never guesses a missing score.
The result set is the fused pool after a relevance floor; `total`, facets and pages are
all computed over that same set. What a query derives (terms, document frequencies, the
query vector without the generation's language axes) is computed once, in `plan`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.model.protocol import Embedder
from index.query import lexical
from index.query.bm25 import Bm25
from index.query.crosslingual import Expansion, QueryTranslator
from index.query.fusion import FusionParams, fuse
from index.query.page import apply_filters, readable_list
from index.query.present import present_hits
from index.query.language_axes import (axes_from_manifest, cosines_without_axes,
                                       on_floor_scale, remove_axes, shipped_axes)
from index.query.query_vectors import QueryVectors
from index.query.relevance import (RelevanceParams, chinese_word_share, idf_coverage,
                                   letters_per_token, query_language, relevant)
from index.query.request import SearchRequest
from index.query.results import (LANG_SCRIPT, Candidate, collapse_duplicates, count_facets,
                                 relevance_floor, scripts_of_lang)
from index.storage.protocol import ServedGeneration
from ingest.language import script_of

# A term in more than this share of the passages does not widen the lexical pool (its BM25
# still counts): idf <= 2.2, and FTS5 would walk its doclist (200 ms: 保险, 70% of 100k).
POOL_TERM_SHARE = 0.1


@dataclass
class QueryPlan:
    """What a search derives from its query, once (terms own and translated, weighted)."""

    text: str
    terms: tuple[str, ...]
    term_docs: dict[str, int]
    vector: np.ndarray
    weights: dict[str, float] = field(default_factory=dict)  # term -> BM25 weight (1: own)
    expansion: Expansion | None = None

    def target_scripts(self) -> set[str]:
        """Scripts the query's lexical evidence is in: its own, and its translations'."""
        found = set(script_of(self.text))
        if self.expansion:
            found |= {LANG_SCRIPT[tr.lang] for trs in self.expansion.sources.values()
                      for tr in trs if tr.lang in LANG_SCRIPT}
        return found


@dataclass
class SearchPage:
    """One page of a search, presented: what the API returns and the CLI prints."""

    query: str
    total: int
    offset: int
    k: int
    took_ms: float
    generation: str
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "offset": self.offset, "k": self.k,
                "took_ms": round(self.took_ms, 2), "generation": self.generation,
                "hits": self.hits, "facets": self.facets}


class Searcher:
    """Searches one loaded generation with one embedder; safe to share between threads."""

    def __init__(self, generation: ServedGeneration, embedder: Embedder,
                 params: FusionParams | None = None, crosslingual: bool = True):
        self.gen = generation
        self.store = generation.store
        self.embedder = embedder
        self.params = params or FusionParams()
        self._bm25 = Bm25(generation.store)
        self._translator = shared_translator() if crosslingual else None
        self._pools: list[list[int] | None] | None = None
        self.relevance = RelevanceParams()
        self._axes = axes_from_manifest(generation.manifest)  # removed from queries too
        self._vectors = QueryVectors(embedder, self._axes)
        model = generation.manifest.get("model", {}).get("fingerprint", "")
        self._query_axes = (shipped_axes(model) if self._axes is None and self.params.query_axes
                            else None)  # removed at query time: _cosines

    def prime_queries(self, queries: list[str]) -> None:
        """Embed many queries in one batched call (evaluation, benchmarks)."""
        self._vectors.prime(queries)

    def plan(self, query: str) -> QueryPlan:
        if self._translator is None:
            terms = lexical.query_terms(query)
            return QueryPlan(query, terms, self.store.term_docs(list(terms)),
                             self._vectors.get(query), dict.fromkeys(terms, 1.0))
        expansion = self._translator.expand(query)
        return QueryPlan(query, expansion.terms, self.store.term_docs(list(expansion.terms)),
                         self._vectors.get(query), expansion.weights, expansion)

    def search(self, req: SearchRequest) -> SearchPage:
        """The page of hits `req` asks for, presented (clauses, highlights, neighbours).

        `total` and the facets count the filtered result set; the list is collapsed per
        document and shows every language's best answer first (index/query/page.py).
        """
        started = time.perf_counter()
        plan = self.plan(req.q)
        pool = apply_filters(self.result_set(req, plan, depth=req.offset + req.k), req)
        hits = readable_list(pool, req)[req.offset : req.offset + req.k]
        full = self.store.passages([c.id for c in hits])
        for c in hits:
            c.row = full[c.id]
        presented = present_hits(self.store, plan, hits)
        return SearchPage(req.q, len(pool), req.offset, req.k,
                          (time.perf_counter() - started) * 1e3, self.gen.id, presented,
                          count_facets(pool))

    def result_set(self, req: SearchRequest, plan: QueryPlan | None = None, depth: int = 0,
                   floor: bool = True) -> list[Candidate]:
        """The query's whole ranked result set, duplicates collapsed, before any filter:
        filters select from it (page.apply_filters), so a facet's count is what its filter
        returns. Pools are at least `depth` deep overall and in each language.

        `floor=False` keeps weak dense-only candidates (evaluation needs the full ranking).
        """
        plan = plan or self.plan(req.q)
        pool = self.candidates(req.mode, plan, depth, floor)
        # Hybrid candidates carry their rows from fusion; dense- or lexical-only ones not.
        rows = self.store.pool_rows([c.id for c in pool if not c.row])
        for c in pool:
            c.row = c.row or rows[c.id]
        return collapse_duplicates(pool)

    def candidates(self, mode: str, plan: QueryPlan, depth: int = 0,
                   floor: bool = True) -> list[Candidate]:
        """The fused, sorted result set (before duplicate collapsing)."""
        p = self.params
        dense: dict[int, float] = {}
        if mode != "lexical":
            k, vector = max(p.dense_pool, depth), remove_axes(plan.vector, self._query_axes)
            for within in self._language_pools():
                dense.update(self.store.dense_search(vector, k, within))
        exact = self._bm25.available(plan.terms)
        pool_terms = self._selective(plan) if mode == "hybrid" and exact else plan.terms
        # Every candidate gets its full BM25 in fusion; the pool itself only needs the
        # selective terms (a term in most passages would make FTS5 walk them all).
        match_pool = lexical.fts_query(pool_terms)
        lex: dict[int, float] = {}
        if match_pool and mode != "dense":
            k = max(p.lexical_pool, depth)
            lex = dict(self.store.lexical_pools(match_pool, k, self._pool_languages()))
        dense_hits = sorted(dense.items(), key=lambda kv: -kv[1])
        lex_hits = sorted(lex.items(), key=lambda kv: -kv[1])
        if mode == "dense":
            ids = [i for i, _ in dense_hits]
            raw, rank = self._cosines(ids, dict(dense_hits), plan.vector)
            return [Candidate(ids[j], float(raw[j]), 0.0, float(rank[j]))
                    for j in np.argsort(-rank, kind="stable")]
        if mode == "lexical":
            return [Candidate(i, 0.0, s, s) for i, s in lex_hits]
        return self._fuse(plan, dense_hits, lex_hits, exact, floor)

    def _pool_languages(self) -> list[str]:
        """Languages with a pool of their own beside the overall one (if several): an
        answer in a language the model ranks lower still reaches the result set."""
        langs = sorted(self.gen.manifest.get("counts", {}).get("by_language", {}))
        return langs if len(langs) > 1 else []

    def _language_pools(self) -> list[list[int] | None]:
        """The ids each dense pool searches within (None: all), computed once."""
        if self._pools is None:
            self._pools = [None] + [self.store.filter_ids({"lang": [lang]})
                                    for lang in self._pool_languages()]
        return self._pools

    def _selective(self, plan: QueryPlan) -> tuple[str, ...]:
        """Terms found in at most POOL_TERM_SHARE of the passages (see the constant)."""
        n = self.store.stats_passages()
        return tuple(t for t in plan.terms if plan.term_docs.get(t, 0) <= POOL_TERM_SHARE * n)

    def _fuse(self, plan: QueryPlan, dense_hits: list[tuple[int, float]],
              lex_hits: list[tuple[int, float]], exact: bool, floor: bool = True
              ) -> list[Candidate]:
        """Fuse dense and lexical scores over the union of both pools.

        With term statistics (`exact`) every candidate's BM25 is computed here, equal to
        FTS5's; without, lexical-pool scores come from FTS5 and the rest from a
        rowid-restricted MATCH.
        """
        dense, lex = dict(dense_hits), dict(lex_hits)
        ids = list(dict.fromkeys([i for i, _ in dense_hits] + [i for i, _ in lex_hits]))
        if not ids:
            return []
        d, rank = self._cosines(ids, dense, plan.vector)
        match = lexical.fts_query(plan.terms)
        matched: dict[int, set[str]] = {}
        if exact and plan.terms:
            lex = self._bm25.scores(plan.terms, ids, plan.term_docs, plan.weights, matched)
        elif match and lex and (missing_lex := [i for i in ids if i not in lex]):
            lex.update(self.store.lexical_for(match, missing_lex))
        rows = self.store.pool_rows(ids)  # kept on the candidates for result_set()
        langs = {i: row["language"] for i, row in rows.items()}
        qscripts = plan.target_scripts()
        script_ok = np.array([not qscripts or bool(scripts_of_lang(langs.get(i)) & qscripts)
                              for i in ids])
        lx = np.array([lex.get(i, 0.0) for i in ids], dtype=np.float64)
        fused = fuse(rank, lx, script_ok, self.params)
        cand_langs = [langs.get(i) or "und" for i in ids]
        keep = (self._relevant(plan, ids, d, cand_langs, matched, lx * script_ok > 0) if floor
                else np.ones(len(ids), bool))
        order = np.argsort(-fused, kind="stable")
        return [Candidate(ids[j], float(d[j]), float(lx[j]), float(fused[j]),
                          rows.get(ids[j], {}))
                for j in order if keep[j]]

    def _cosines(self, ids: list[int], known: dict[int, float], vector: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(raw cosines, cosines to rank by) of the candidates: the same, unless the
        language axes are removed at query time (exactly, from the raw stored vectors)."""
        if self._query_axes is None:
            missing = [i for i in ids if i not in known]
            known.update(zip(missing, self.store.dense_scores(missing, vector)))
            raw = np.array([known[i] for i in ids], dtype=np.float64)
            return raw, raw
        dots = self.store.dense_dots(ids, np.vstack([vector, self._query_axes]))
        return dots[:, 0].astype(np.float64), cosines_without_axes(dots, vector, self._query_axes)

    def _relevant(self, plan: QueryPlan, ids: list[int], dense: np.ndarray, langs: list[str],
                  matched: dict[int, set[str]], lexical_ok: np.ndarray) -> np.ndarray:
        """The result set: an absolute, per-language-pair cosine floor, lowered for
        passages holding enough of the query's terms (index/query/relevance.py; a query of
        non-words keeps literal matches only), and near the best cosine of its language
        (results.relevance_floor). A query with nothing relevant gets an empty set."""
        coverage = self._coverage(plan, ids, matched)
        qlang = query_language(plan.text)  # floors are on the scale of cosines without axes:
        scaled = dense if self._axes is None else on_floor_scale(dense, langs, qlang)
        keep = relevant(scaled, coverage, langs, qlang, self.relevance,
                        letters_per_token(plan.text, self.embedder.count_tokens),
                        chinese_word_share(plan.text))
        return keep & relevance_floor(dense, lexical_ok, langs, self.params)

    def _coverage(self, plan: QueryPlan, ids: list[int], matched: dict[int, set[str]]
                  ) -> np.ndarray:
        """Share of the query's idf mass each candidate holds: of its own terms, or of
        their translations into one language, whichever is more."""
        translated = plan.expansion.sources if plan.expansion else {}
        n = self.store.stats_passages()
        best = np.zeros(len(ids))
        by_lang: dict[str, list[str]] = {}
        for t in plan.terms:
            if t in translated:  # a passage is in one language: its share of those terms
                by_lang.setdefault(translated[t][0].lang, []).append(t)
        for group in ([t for t in plan.terms if t not in translated], *by_lang.values()):
            if not group:
                continue
            hits = np.array([[t in matched.get(i, ()) for i in ids] for t in group], dtype=bool)
            docs = np.array([plan.term_docs.get(t, 0) for t in group], dtype=np.float64)
            best = np.maximum(best, idf_coverage(hits, docs, n))
        return best


_translator_lock = threading.Lock()
_translator: QueryTranslator | None = None


def shared_translator() -> QueryTranslator:
    """One translator per process: the term bank and CC-CEDICT load once, lazily."""
    global _translator
    with _translator_lock:
        if _translator is None:
            _translator = QueryTranslator()
        return _translator
