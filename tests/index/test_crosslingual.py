"""Cross-lingual lexical evidence on the real fixture index: an English or Persian question
reaches Chinese articles through translated terms, which highlight in the hit's language."""

from __future__ import annotations

import pytest

from index.query.crosslingual import QueryTranslator
from index.query.request import SearchRequest
from index.query.search import Searcher


@pytest.fixture(scope="module")
def monolingual(searcher):
    """The same generation and model, searching with the query's own terms only."""
    return Searcher(searcher.gen, searcher.embedder, crosslingual=False)


@pytest.mark.parametrize("query", ["pension insurance", "بیمه بازنشستگی"])
def test_translated_terms_find_chinese_articles_lexically(searcher, monolingual, query):
    req = SearchRequest(q=query, mode="lexical", lang=["zh"], k=5)
    assert monolingual.search(req).total == 0  # no shared token with a Chinese article
    page = searcher.search(req)
    assert page.total > 0
    hit = page.hits[0]
    marked = [hit["text"][s:e] for s, e in hit["highlights"]]
    assert any("养老" in m for m in marked), marked  # the translation, highlighted
    assert hit["translations"], hit  # explain: which translations matched, and from what
    assert all(t["language"] == "zh" and t["term"] in hit["text"] and t["source"]
               for t in hit["translations"])


def test_chinese_question_reaches_english_passages(searcher, monolingual):
    req = SearchRequest(q="养老金 多支柱", mode="lexical", lang=["en"], k=5)
    assert searcher.search(req).total > monolingual.search(req).total


def test_expansion_weights_translations_below_the_query_terms():
    expansion = QueryTranslator().expand("unemployment insurance benefits")
    own = {"unemployment", "insurance", "benefits"}
    assert own <= set(expansion.terms)
    translated = [t for t in expansion.terms if t not in own]
    assert "失业保险" in translated or "失业" in translated
    assert all(0 < expansion.weights[t] <= 1.0 for t in translated)
    assert all(expansion.sources[t] for t in translated)  # each says where it came from
    assert all(len(t) > 1 for t in translated if "\u4e00" <= t[0] <= "\u9fff")


def test_admin_term_bank_extends_translation(tmp_path):
    extra = tmp_path / "extra.tsv"
    extra.write_text("en\tzh\tfa\tdomain\nzorblat allowance\t佐布拉特津贴\tکمک زوربلات\tlocal\n",
                     encoding="utf-8")
    expansion = QueryTranslator(extra_banks=[extra], use_dictionary=False).expand(
        "zorblat allowance")
    assert any(t.startswith("佐布拉特") or t == "津贴" for t in expansion.terms), expansion.terms
