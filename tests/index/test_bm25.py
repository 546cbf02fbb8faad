"""BM25 computed outside FTS5 must equal FTS5's own bm25() on a real index, and the hybrid
pool must skip only terms found in most passages while still scoring them."""

from __future__ import annotations

import math

import pytest

from index.query import lexical
from index.query.bm25 import Bm25, bm25_scores
from index.query.request import SearchRequest
from index.query.search import POOL_TERM_SHARE
from index.storage.reader import read_varints

QUERIES = ["养老保险基金监管", "失业保险金的领取期限", "multi-pillar pension reform",
           "employer contributions", "نظارت بر صندوق بازنشستگی", "بیمه بیکاری", "工伤 pension"]


def test_varints_round_trip_sqlite_encoding():
    assert read_varints(bytes([0x05, 0x81, 0x00, 0xFF, 0x7F])) == [5, 128, 16383]
    assert read_varints(b"") == []


def test_bm25_matches_fts5_on_the_fixture_index(searcher):
    store = searcher.gen.store
    bm25 = Bm25(store)
    n_rows, avg_len = store.fts_totals()
    health = store.health()
    assert n_rows == health["rows"]
    assert avg_len > 1
    compared = 0
    all_ids = [int(i) for i in health["ids"]]
    for query in QUERIES:
        terms = lexical.query_terms(query)
        match = lexical.fts_query(terms)
        assert bm25.available(terms)
        fts = dict(store.lexical_for(match, all_ids))
        ours = bm25.scores(terms, all_ids, store.term_docs(list(terms)))
        assert set(ours) == set(fts), query  # the same passages hold a term
        for pid, score in fts.items():
            assert ours[pid] == pytest.approx(score, rel=1e-9, abs=1e-12)
            compared += 1
    assert compared > 20


def test_bm25_formula_idf_floor_and_absent_rows():
    rows = {1: ("a b a", 3), 2: ("c", 1)}
    got = bm25_scores(["a", "zzz"], rows, {"a": 3}, n_rows=4, avg_len=2.0)
    idf = max(math.log((4 - 3 + 0.5) / (3 + 0.5)), 1e-6)  # a term in most rows: floored
    norm = 1.2 * (1 - 0.75 + 0.75 * 3 / 2.0)
    assert got == {1: pytest.approx(idf * 2 * 2.2 / (2 + norm))}


def test_common_terms_leave_the_pool_but_keep_their_score(searcher):
    store = searcher.gen.store
    n = store.stats_passages()
    plan = searcher.plan("社会保险基金监管")  # its own terms and their translations
    terms, docs = plan.terms, plan.term_docs
    assert set(lexical.query_terms("社会保险基金监管")) <= set(terms)
    common = [t for t in terms if docs.get(t, 0) > POOL_TERM_SHARE * n]
    selective = searcher._selective(plan)
    assert set(selective) | set(common) == set(terms)
    assert not set(selective) & set(common)
    hits = searcher.result_set(SearchRequest(q="社会保险基金监管", k=5), depth=5)[:5]
    assert hits
    full = Bm25(store).scores(terms, [c.id for c in hits], docs, plan.weights)
    for cand in hits:
        assert cand.lexical == pytest.approx(full.get(cand.id, 0.0))
