"""Result pages on the shipped corpus: facet counts equal what their filter returns, at most
a few passages per document with the rest one click away, and every language's best answer
on the first page."""

from __future__ import annotations

import pytest

from index.query.page import PER_DOCUMENT
from index.query.request import SearchRequest

QUERIES = ["pension fund supervision", "养老保险基金监管", "نظارت بر صندوق بازنشستگی",
           "unemployment insurance benefits"]
FILTER_OF_FACET = {"language": "lang", "doc_type": "type", "issuer": "issuer", "doc": "doc",
                   "topic": "topic"}


@pytest.mark.parametrize("query", QUERIES)
def test_every_facet_count_is_what_its_filter_returns(corpus_searcher, query):
    page = corpus_searcher.search(SearchRequest(q=query, k=10))
    assert page.total > 0
    checked = 0
    for facet, counts in page.facets.items():
        for value, count in counts.items():
            filtered = corpus_searcher.search(
                SearchRequest(q=query, k=10, **{FILTER_OF_FACET[facet]: [value]}))
            assert filtered.total == count, (facet, value)
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("query", QUERIES)
def test_a_document_shows_at_most_a_few_passages_and_says_how_many_more(corpus_searcher,
                                                                         query):
    page = corpus_searcher.search(SearchRequest(q=query, k=10))
    per_doc: dict[str, int] = {}
    for hit in page.hits:
        per_doc[hit["doc_id"]] = per_doc.get(hit["doc_id"], 0) + 1
    assert max(per_doc.values()) <= PER_DOCUMENT
    for hit in page.hits:
        if hit["more_from_document"]:
            expanded = corpus_searcher.search(SearchRequest(q=query, k=100, doc=[hit["doc_id"]]))
            shown = sum(h["doc_id"] == hit["doc_id"] for h in page.hits)
            assert expanded.total == shown + hit["more_from_document"]
            assert len(expanded.hits) == expanded.total  # a document's own list is whole


@pytest.mark.parametrize("query", QUERIES)
def test_first_page_carries_every_language_of_the_result_set(corpus_searcher, query):
    page = corpus_searcher.search(SearchRequest(q=query, k=10))
    assert {h["language"] for h in page.hits} == set(page.facets["language"])


def test_pages_neither_repeat_nor_skip(corpus_searcher):
    query = "pension fund supervision"
    first = corpus_searcher.search(SearchRequest(q=query, k=5))
    second = corpus_searcher.search(SearchRequest(q=query, k=5, offset=5))
    both = [h["passage_id"] for h in first.hits + second.hits]
    assert len(both) == len(set(both))
    ten = corpus_searcher.search(SearchRequest(q=query, k=5, offset=0))
    assert [h["passage_id"] for h in ten.hits] == [h["passage_id"] for h in first.hits]
