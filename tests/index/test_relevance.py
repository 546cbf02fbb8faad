"""The result-set rule (index/query/relevance.py): constructed pools, then the real model on
the fixture index: gibberish gets nothing, known answers stay."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.model.embed import default_token_counter
from index.query.relevance import (RelevanceParams, floor_of, idf_coverage,
                                   letters_per_token, query_language,
                                   relevant)
from index.query.request import SearchRequest

P = RelevanceParams()


def test_coverage_weighs_terms_by_idf():
    # Three terms: one in half the passages, one in 1 of 1000, one the index lacks.
    docs = np.array([500.0, 1.0, 0.0])
    hits = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
    cov = idf_coverage(hits, docs, 1000)
    assert cov[2] == 0.0
    assert cov[0] < 0.01  # the common term is almost none of the query
    assert 0.4 < cov[1] < 0.6  # the rare term, but not the word the index lacks


def test_coverage_without_terms_is_zero():
    assert idf_coverage(np.zeros((0, 4), dtype=bool), np.zeros(0), 10).tolist() == [0.0] * 4


def test_same_language_needs_a_higher_cosine_than_cross_language():
    same, cross = floor_of("zh", "zh", P), floor_of("en", "zh", P)
    assert same > cross
    between = (same + cross) / 2
    keep = relevant(np.array([between, between]), np.zeros(2), ["zh", "zh"], "zh", P)
    assert not keep[0]
    keep = relevant(np.array([between]), np.zeros(1), ["zh"], "en", P)
    assert keep[0]


def test_lexical_coverage_lowers_the_floor():
    cos = floor_of("fa", "fa", P) - P.lexical_drop / 2
    # One candidate per pool: in one pool the others would be neighbours of the kept ones.
    assert [relevant(np.array([cos]), np.array([c]), ["fa"], "fa", P)[0]
            for c in (0.0, P.min_coverage, 1.0)] == [False, True, True]
    # Coverage never rescues a cosine below the lowered floor.
    low = floor_of("fa", "fa", P) - P.lexical_drop - 0.01
    assert not relevant(np.array([low]), np.ones(1), ["fa"], "fa", P)[0]


def test_a_relevant_passage_brings_its_near_ties_in_the_query_language():
    floor, margin = floor_of("fa", "fa", P), P.neighbour_margin["fa"]
    cos = np.array([floor + 0.01, floor + 0.01 - margin, floor - 0.05, floor + 0.01 - margin])
    strict_cross = replace(P, cross={**P.cross, "fa": 0.99})  # no Chinese answer
    keep = relevant(cos, np.zeros(4), ["fa", "fa", "fa", "zh"], "fa", strict_cross)
    # The tie joins; a passage far below does not, nor a tie in another language.
    assert keep.tolist() == [True, True, False, False]
    # Neighbours of nothing: a pool without a relevant passage stays empty.
    assert not relevant(cos[1:], np.zeros(3), ["fa"] * 3, "fa", P).any()


def test_crowded_languages_get_no_neighbours():
    # Chinese cosines crowd: a margin there doubled the result sets (RelevanceParams).
    assert P.neighbour_margin.get("zh", 0.0) == 0.0
    floor = floor_of("zh", "zh", P)
    cos = np.array([floor + 0.001, floor - 0.001])
    assert relevant(cos, np.zeros(2), ["zh", "zh"], "zh", P).tolist() == [True, False]


def test_non_words_get_no_neighbours():
    cos = np.array([0.95, 0.949])
    keep = relevant(cos, np.array([1.0, 0.0]), ["en", "en"], "en", P, letters=1.5)
    assert keep.tolist() == [True, False]


def test_non_words_keep_only_literal_matches():
    count = default_token_counter()
    assert letters_per_token("zzzzqqqxxx", count) <= P.max_letters_nonword["en"]
    assert letters_per_token("unemployment insurance benefits", count) > P.max_letters_nonword[
        "en"]
    assert letters_per_token("养老保险", count) == float("inf")  # Han: the test says nothing
    cos = np.full(3, 0.95)
    cov = np.array([0.0, 0.0, 1.0])
    langs = ["en", "zh", "en"]
    assert relevant(cos, cov, langs, "en", P, letters=1.5).tolist() == [False, False, True]
    assert relevant(cos, cov, langs, "en", P, letters=4.0).all()


def test_unknown_query_language_gets_the_strictest_floor():
    assert query_language("990068412") == "und"
    strictest = max(*P.cross.values(), *P.same.values())
    assert floor_of("und", "zh", P) == strictest
    assert floor_of("zh", "und", P) == strictest


def test_empty_pool():
    assert relevant(np.zeros(0), np.zeros(0), [], "en", P).shape == (0,)


@pytest.mark.parametrize("query", ["zzzzqqqxxx", "asdfjkl qwerty", "chocolate cake recipe",
                                   "世界杯决赛比分", "بهترین رستوران تهران"])
def test_nonsense_gets_no_results(searcher, query):
    pool = searcher.result_set(SearchRequest(q=query), floor=False)
    assert len(pool) > 50  # the unfiltered pool is full: the rule is what empties it
    page = searcher.search(SearchRequest(q=query, k=10))
    assert page.total == 0 and page.hits == [] and not any(page.facets.values())


@pytest.mark.parametrize("query, doc_fragment", [
    ("住房公积金的监督管理", "住房公积金"),
    ("社会保险基金监管", "社会保险法"),
    ("multi-pillar pension system", "multi_pillar"),
    ("روابط کلیدی امنیت اجتماعی", "fa_key_relationships"),
])
def test_known_answers_stay(searcher, query, doc_fragment):
    page = searcher.search(SearchRequest(q=query, k=5))
    kept_docs = [h["doc_id"] for h in page.hits]
    assert any(doc_fragment in d for d in kept_docs), kept_docs
