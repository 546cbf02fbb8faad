"""Hybrid search over one generation: dense (FAISS) + lexical (FTS5 BM25), fused by score.

Both halves see the same metadata filters. Every candidate in the union of the two
pools gets both scores (dense by reconstructing its vector, lexical by a rowid-restricted
MATCH), so fusion never has to guess a missing score. The result set is the fused pool
after a relevance floor; `total`, facets and pages are all computed over that same set.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from index import lexical
from index.batching import batcher_for
from index.bm25 import Bm25
from index.fusion import FusionParams, fuse
from index.generation import Generation
from index.vectors import search_vectors
from ingest.clean import normalize_for_model
from ingest.language import script_of

QUERY_CACHE_SIZE = 4096
# A query term found in more than this share of the passages does not widen the lexical
# pool (its BM25 still counts for every candidate). Its idf is at most log(0.9/0.1) = 2.2,
# and FTS5 would walk its whole doclist: 200 ms for 保险 (70% of 100k passages).
POOL_TERM_SHARE = 0.1
LANG_SCRIPT = {"zh": "han", "en": "latin", "fa": "arabic"}
FACET_FIELDS = {"language": "language", "doc_type": "doc_type", "issuer": "issuer",
                "doc": "doc_id", "topic": "topics"}


@dataclass
class SearchRequest:
    query: str
    languages: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    doc_types: list[str] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    date_from: str | None = None
    date_to: str | None = None
    k: int = 10
    offset: int = 0
    mode: str = "hybrid"  # "hybrid" | "dense" | "lexical"
    floor: bool = True  # drop weak dense-only candidates from the result set

    def filters(self) -> dict[str, list[str]]:
        return {"language": self.languages, "doc": self.docs, "doc_type": self.doc_types,
                "issuer": self.issuers, "topic": self.topics}


@dataclass
class Candidate:
    id: int
    dense: float
    lexical: float
    fused: float
    row: dict[str, Any] = field(default_factory=dict)
    also_in: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SearchResult:
    hits: list[Candidate]
    total: int
    facets: dict[str, dict[str, int]]
    took_ms: float
    generation: str
    terms: tuple[str, ...] = ()
    query_vector: np.ndarray | None = None


class Searcher:
    """Searches one loaded generation with one embedder; safe to share between threads."""

    def __init__(self, generation: Generation, embedder: Any, params: FusionParams | None = None):
        self.gen = generation
        self.embedder = embedder
        self.params = params or FusionParams()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qlock = threading.Lock()
        self._batcher = batcher_for(embedder)
        self._bm25 = Bm25(generation.store)

    def _embed_query(self, query: str) -> np.ndarray:
        """Query vector, from a small LRU cache (staff repeat and refine queries).

        The model sees `normalize_for_model(query)`, so variants a user cannot see (ZWNJ
        or a space, Arabic or Persian yeh/kaf, Persian digits, full-width letters) give the
        same vector.
        """
        query = normalize_for_model(query)
        with self._qlock:
            vec = self._qcache.get(query)
            if vec is not None:
                self._qcache.move_to_end(query)
                return vec
        vec = self._batcher.embed(query)
        self._remember(query, vec)
        return vec

    def _remember(self, query: str, vec: np.ndarray) -> None:
        with self._qlock:
            self._qcache[query] = vec
            while len(self._qcache) > QUERY_CACHE_SIZE:
                self._qcache.popitem(last=False)

    def prime_queries(self, queries: list[str]) -> None:
        """Embed many queries in one batched call (evaluation, benchmarks)."""
        queries = [normalize_for_model(q) for q in queries]
        for query, vec in zip(queries, self.embedder.encode_queries(queries)):
            self._remember(query, vec)

    def search(self, req: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        terms = lexical.query_terms(req.query)
        pool = self.candidates(req, terms)
        # Hybrid candidates carry their rows from fusion; dense- or lexical-only ones not.
        rows = self.gen.store.pool_rows([c.id for c in pool if not c.row])
        for c in pool:
            c.row = c.row or rows[c.id]
        pool = collapse_duplicates(pool)
        facets = count_facets(pool)
        hits = pool[req.offset : req.offset + req.k]
        full = self.gen.store.passages([c.id for c in hits])
        for c in hits:
            c.row = full[c.id]
        return SearchResult(hits, len(pool), facets, (time.perf_counter() - started) * 1e3,
                            self.gen.id, terms, self._embed_query(req.query))

    def candidates(self, req: SearchRequest, terms: tuple[str, ...]) -> list[Candidate]:
        """The fused, sorted result set (before duplicate collapsing)."""
        p = self.params
        filters = req.filters()
        filtered = any(filters.values()) or req.date_from or req.date_to
        within = self.gen.store.filter_ids(filters, req.date_from, req.date_to) if filtered else None
        if within is not None and not within:
            return []
        pool_size = max(p.dense_pool, req.offset + req.k)
        dense_hits: list[tuple[int, float]] = []
        qvec = self._embed_query(req.query)
        if req.mode != "lexical":
            dense_hits = search_vectors(self.gen.vectors, qvec, pool_size, within)
        match = lexical.fts_query(terms)
        exact = self._bm25.available(terms)
        if req.mode == "hybrid" and exact:
            # Every candidate gets its full BM25 below; the pool itself only needs the
            # selective terms (a term in most passages would make FTS5 walk them all).
            match_pool = lexical.fts_query(self._selective(terms))
        else:
            match_pool = match
        lex_hits: list[tuple[int, float]] = []
        if match_pool and req.mode != "dense":
            lex_hits = self.gen.store.lexical(match_pool, max(p.lexical_pool,
                                                              req.offset + req.k),
                                              filters, req.date_from, req.date_to)
        if req.mode == "dense":
            return [Candidate(i, s, 0.0, s) for i, s in dense_hits]
        if req.mode == "lexical":
            return [Candidate(i, 0.0, s, s) for i, s in lex_hits]
        return self._fuse(req.query, qvec, dense_hits, lex_hits,
                          terms if exact else None, match, req.floor)

    def _selective(self, terms: tuple[str, ...]) -> tuple[str, ...]:
        """Terms found in at most POOL_TERM_SHARE of the passages (see the constant)."""
        n = self.gen.store.stats_passages()
        docs = self.gen.store.term_docs(list(terms))
        return tuple(t for t in terms if docs.get(t, 0) <= POOL_TERM_SHARE * n)

    def _fuse(self, query: str, qvec: np.ndarray, dense_hits: list[tuple[int, float]],
              lex_hits: list[tuple[int, float]], terms: tuple[str, ...] | None,
              match: str | None, floor: bool = True) -> list[Candidate]:
        """Fuse dense and lexical scores over the union of both pools.

        With `terms` (term statistics present) every candidate's BM25 is computed here,
        equal to FTS5's; without, lexical-pool scores come from FTS5 and the rest from a
        rowid-restricted MATCH.
        """
        dense = dict(dense_hits)
        lex = dict(lex_hits)
        ids = list(dict.fromkeys([i for i, _ in dense_hits] + [i for i, _ in lex_hits]))
        if not ids:
            return []
        missing_dense = [i for i in ids if i not in dense]
        if missing_dense:
            vecs = np.vstack([self.gen.vectors.reconstruct(int(i)) for i in missing_dense])
            dense.update(zip(missing_dense, (vecs @ qvec).tolist()))
        if terms:
            lex = self._bm25.scores(terms, ids)
        elif match and lex and (missing_lex := [i for i in ids if i not in lex]):
            lex.update(self.gen.store.lexical_for(match, missing_lex))
        rows = self.gen.store.pool_rows(ids)  # kept on the candidates for search()
        langs = {i: row["language"] for i, row in rows.items()}
        qscripts = script_of(query)
        script_ok = np.array([not qscripts or bool(scripts_of_lang(langs.get(i)) & qscripts)
                              for i in ids])
        d = np.array([dense[i] for i in ids], dtype=np.float64)
        lx = np.array([lex.get(i, 0.0) for i in ids], dtype=np.float64)
        fused = fuse(d, lx, script_ok, self.params)
        cand_langs = [langs.get(i) or "und" for i in ids]
        keep = (relevance_floor(d, lx * script_ok, cand_langs, self.params) if floor
                else np.ones(len(ids), bool))
        order = np.argsort(-fused, kind="stable")
        return [Candidate(ids[j], float(d[j]), float(lx[j]), float(fused[j]),
                          rows.get(ids[j], {}))
                for j in order if keep[j]]


def scripts_of_lang(lang: str | None) -> set[str]:
    if lang in LANG_SCRIPT:
        return {LANG_SCRIPT[lang]}
    return set(LANG_SCRIPT.values())  # mixed or unknown: any script may match


def relevance_floor(dense: np.ndarray, lexical_ok: np.ndarray, langs: list[str],
                    params: FusionParams) -> np.ndarray:
    """Which candidates form the result set: a lexical match, or a cosine close to the best
    one *in its own language* and not far below the best overall.

    Cross-language cosines run lower than same-language ones, so one global margin would
    drop every Persian and Chinese answer to an English query; a per-language margin keeps
    the best answers in each language the corpus holds.
    """
    if dense.size == 0:
        return np.zeros(0, dtype=bool)
    best_by_lang: dict[str, float] = {}
    for lang, score in zip(langs, dense):
        best_by_lang[lang] = max(best_by_lang.get(lang, -1.0), float(score))
    lang_best = np.array([best_by_lang[lang] for lang in langs])
    near = (dense >= lang_best - params.dense_margin) & (
        dense >= dense.max() - params.cross_margin)
    return near | (lexical_ok > 0)


def collapse_duplicates(pool: list[Candidate]) -> list[Candidate]:
    """Keep the best-ranked passage of each duplicate group; the others become `also_in`."""
    kept: dict[int, Candidate] = {}
    out = []
    for c in pool:
        group = c.row.get("dup_group", c.id)
        if group in kept:
            first = kept[group]
            first.also_in.append({"passage_id": c.id, "doc_id": c.row["doc_id"],
                                  "title": c.row["title"]})
            continue
        kept[group] = c
        out.append(c)
    return out


def count_facets(pool: list[Candidate]) -> dict[str, dict[str, int]]:
    """Facet counts over exactly the hits of the result set."""
    facets: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for c in pool:
        for name, column in FACET_FIELDS.items():
            value = c.row.get(column)
            for v in value if isinstance(value, list) else [value]:
                if v:
                    facets[name][str(v)] += 1
    return {name: dict(counter.most_common()) for name, counter in facets.items()}
