"""Hybrid search on the shipped corpus: the known-answer set, cross-lingual hits, Persian and
Chinese variants, hostile query syntax, and filters/facets that agree with the hits."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from index.query.present import term_weights
from index.query.request import SearchRequest
from ingest.text.normalize import normalize

REPO = Path(__file__).resolve().parents[2]
KNOWN = [json.loads(line) for line in
         (REPO / "corpus" / "known_answers.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]


def answer_rank(searcher, item, languages=(), k=10):
    """1-based rank of the first hit from the expected doc holding the expected text, and
    that hit presented (with its clause). An answer collapsed behind a shown card's "N more
    from this document" counts at that card's rank: it is one click away."""
    want = normalize(item["expected_text"])
    docs = {item["expected_doc"], *item.get("also_ok", [])}
    page = searcher.search(SearchRequest(q=item["query"], k=k, lang=list(languages)))

    def holds(hit):
        in_doc = hit["doc_id"] in docs or any(a["doc_id"] in docs for a in hit["also_in"])
        return in_doc and want in normalize(hit["text"])

    for rank, hit in enumerate(page.hits, 1):
        if holds(hit):
            return rank, hit
    for rank, hit in enumerate(page.hits, 1):
        if hit["more_from_document"] and hit["doc_id"] in docs:
            more = searcher.search(SearchRequest(q=item["query"], k=100, lang=list(languages),
                                                 doc=[hit["doc_id"]]))
            found = next((h for h in more.hits if holds(h)), None)
            if found:
                return rank, found
    return None, None


def doc_language(searcher, doc_id):
    return searcher.store.document(doc_id)["language"]


def clause_holds(item, hit) -> bool:
    """The returned clause holds the expected sentence (or is a piece of it)."""
    want = normalize(item["expected_text"])
    clause = normalize(hit["text"][hit["clause"]["start"]:hit["clause"]["end"]])
    return want in clause or clause in want


def test_known_answers_per_language(corpus_searcher):
    """Same-language answers: all in the top 10, >= 70% in the top 3 per language, and the
    returned clause holds the expected sentence (measured: zh 11/11, en 6/6, fa 8/8).
    Cross-language answers (an English or Persian question answered by a Chinese law, a
    Chinese question answered by an English or Persian seed) are checked under their
    language's chip: all 14 in the top 10 or one "more from this document" click away
    (measured 14/14; before cross-lingual terms and the result-set rules: 10 of 14), and the
    clause of every one found holds the expected sentence."""
    same, cross = defaultdict(list), []
    for item in KNOWN:
        lang = doc_language(corpus_searcher, item["expected_doc"])
        if lang == item["lang"]:
            same[item["lang"]].append((item, *answer_rank(corpus_searcher, item)))
        else:
            cross.append((item, *answer_rank(corpus_searcher, item, languages=[lang])))
    assert set(same) == {"zh", "en", "fa"}
    for lang, found in same.items():
        ranks = [r for _, r, _ in found]
        assert None not in ranks, (lang, ranks)
        assert sum(r <= 3 for r in ranks) >= 0.7 * len(ranks), (lang, ranks)
        missed = [item["id"] for item, _, hit in found if not clause_holds(item, hit)]
        print(f"clause misses the expected sentence: {lang} {missed}")
        assert not missed, (lang, missed)
    assert all(r is not None for _, r, _ in cross), cross
    assert all(clause_holds(item, hit) for item, r, hit in cross if r is not None)


def test_english_query_finds_persian_and_chinese(corpus_searcher):
    q = "supervision of the social insurance fund"
    result = corpus_searcher.search(SearchRequest(q=q, k=10))
    assert {"zh", "fa", "en"} <= set(result.facets["language"])
    for lang, word in (("fa", "صندوق"), ("zh", "基金")):
        top = corpus_searcher.search(SearchRequest(q=q, lang=[lang], k=3)).hits
        assert top and all(h["language"] == lang for h in top)
        assert any(word in normalize(h["text"]) for h in top), lang


@pytest.mark.parametrize("variants", [
    ("تأمین اجتماعی می‌شود", "تأمین اجتماعی میشود", "تأمین اجتماعی می شود"),
    ("سیستم‌های امنیت اجتماعی", "سیستمهای امنیت اجتماعی", "سيستمهاي امنيت اجتماعي"),
    ("سال ۲۰۲۳", "سال ٢٠٢٣", "سال 2023"),
])
def test_persian_variants_find_the_same_passages(corpus_searcher, variants):
    tops = [[h["passage_id"]
             for h in corpus_searcher.search(SearchRequest(q=v, k=5, lang=["fa"])).hits]
            for v in variants]
    assert tops[0] and all(t == tops[0] for t in tops)


def test_chinese_fullwidth_and_halfwidth_match(corpus_searcher):
    a = corpus_searcher.search(SearchRequest(q="第２３条 医疗保险", k=5))
    b = corpus_searcher.search(SearchRequest(q="第23条 医疗保险", k=5))
    assert [h["passage_id"] for h in a.hits] == [h["passage_id"] for h in b.hits]


@pytest.mark.parametrize("query", [
    'NEAR(pension fund) OR "supervision', '养老 AND (基金 OR "监管")', '*', '"', 'NOT',
    '^start {col}: value - minus', "'; DROP TABLE passages; --", "\u202e بیمه \u202c",
])
def test_fts5_syntax_is_searched_as_text(corpus_searcher, query):
    result = corpus_searcher.search(SearchRequest(q=query, k=5))
    assert result.total >= 0  # results or none, never an error


def test_filters_and_facets_agree_with_hits(corpus_searcher):
    base = corpus_searcher.search(SearchRequest(q="基本医疗保险 medical insurance", k=100))
    assert base.total == len(base.hits) or base.total > 100
    for name in ("language", "doc_type", "doc"):
        assert sum(base.facets[name].values()) == base.total
    value, count = next(iter(base.facets["doc_type"].items()))
    filtered = corpus_searcher.search(SearchRequest(q="基本医疗保险 medical insurance",
                                                    type=[value], k=100))
    assert filtered.hits and all(h["doc_type"] == value for h in filtered.hits)
    assert sum(filtered.facets["doc_type"].values()) == filtered.total
    dated = corpus_searcher.search(SearchRequest(q="养老保险", date_from="2020-01-01", k=50))
    docs = [corpus_searcher.store.document(h["doc_id"]) for h in dated.hits]
    assert all((d["published"] or d["effective"] or "") >= "2020-01-01" for d in docs)


def test_hits_carry_explain_and_heading_path(corpus_searcher):
    result = corpus_searcher.search(SearchRequest(q="养老保险基金监管", k=5))
    hit = result.hits[0]
    assert hit["title"] and hit["heading_path"]
    assert hit["scores"]["fused"] >= 0 and hit["scores"]["dense"] > 0


def test_term_weights_favour_rare_terms(corpus_searcher):
    """Clause choice weights a query's terms by rarity: 监管 (supervision) is in few
    passages, 保险 (insurance) in most; a term the index lacks counts as found once."""
    store, terms = corpus_searcher.store, ["监管", "保险", "zzzunseen"]
    w = term_weights(terms, store.term_docs(terms), store.stats_passages())
    assert w["监管"] > w["保险"] > 0
    assert w["zzzunseen"] >= w["监管"]
