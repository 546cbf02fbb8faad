"""Hybrid search on the shipped corpus: the known-answer set, cross-lingual hits, Persian and
Chinese variants, hostile query syntax, and filters/facets that agree with the hits."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from index.build import build_index
from index.generation import load_generation
from index.present import present_hits
from index.search import SearchRequest, Searcher
from ingest.clean import normalize

REPO = Path(__file__).resolve().parents[2]
KNOWN = [json.loads(line) for line in
         (REPO / "corpus" / "known_answers.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]


@pytest.fixture(scope="session")
def corpus_searcher(tmp_path_factory, embedder):
    """A real index of the whole shipped corpus/ (built once per session)."""
    index_dir = tmp_path_factory.mktemp("corpus-index") / "index"
    build_index(REPO / "corpus", index_dir, embedder)
    loaded = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    yield Searcher(loaded, embedder)
    loaded.close()


def answer_rank(searcher, item, languages=(), k=10):
    """1-based rank of the first hit from the expected doc holding the expected text,
    and that hit presented (with its clause)."""
    want = normalize(item["expected_text"])
    docs = {item["expected_doc"], *item.get("also_ok", [])}
    result = searcher.search(SearchRequest(item["query"], k=k, languages=list(languages)))
    for rank, (cand, hit) in enumerate(zip(result.hits, present_hits(searcher, result)), 1):
        in_doc = cand.row["doc_id"] in docs or any(a["doc_id"] in docs for a in cand.also_in)
        if in_doc and want in normalize(cand.row["text"]):
            return rank, hit
    return None, None


def doc_language(searcher, doc_id):
    return searcher.gen.store.one("SELECT language FROM documents WHERE id = ?", (doc_id,))[0]


def test_known_answers_per_language(corpus_searcher):
    """Same-language answers: all in the top 10, >= 70% in the top 3 per language, and the
    returned clause holds the expected text for >= 50% (measured: zh 6/11; the others
    pick an enumerated item of the right article). Cross-language answers (an English
    or Persian question answered by a Chinese law) are checked under their language's chip:
    >= 60% in the top 10 (measured 6/10; the misses are listed in the issue note)."""
    same, cross = defaultdict(list), []
    for item in KNOWN:
        lang = doc_language(corpus_searcher, item["expected_doc"])
        if lang == item["lang"]:
            same[item["lang"]].append(answer_rank(corpus_searcher, item))
        else:
            cross.append(answer_rank(corpus_searcher, item, languages=[lang])[0])
    assert set(same) == {"zh", "en", "fa"}
    for lang, found in same.items():
        ranks = [r for r, _ in found]
        assert None not in ranks, (lang, ranks)
        assert sum(r <= 3 for r in ranks) >= 0.7 * len(ranks), (lang, ranks)
        clause_ok = [normalize(hit["text"][hit["clause"]["start"]:hit["clause"]["end"]])
                     for _, hit in found]
        wants = [normalize(i["expected_text"]) for i in KNOWN if i["lang"] == lang
                 and doc_language(corpus_searcher, i["expected_doc"]) == lang]
        hits = sum(w in c or c in w for w, c in zip(wants, clause_ok))
        print(f"clause holds the expected text: {lang} {hits}/{len(wants)}")
        assert hits >= 0.5 * len(wants), (lang, hits, len(wants))
    assert sum(r is not None for r in cross) >= 0.6 * len(cross), cross


def test_english_query_finds_persian_and_chinese(corpus_searcher):
    q = "supervision of the social insurance fund"
    result = corpus_searcher.search(SearchRequest(q, k=10))
    assert {"zh", "fa", "en"} <= set(result.facets["language"])
    for lang, word in (("fa", "صندوق"), ("zh", "基金")):
        top = corpus_searcher.search(SearchRequest(q, languages=[lang], k=3)).hits
        assert top and all(h.row["language"] == lang for h in top)
        assert any(word in normalize(h.row["text"]) for h in top), lang


@pytest.mark.parametrize("variants", [
    ("تأمین اجتماعی می‌شود", "تأمین اجتماعی میشود", "تأمین اجتماعی می شود"),
    ("سیستم‌های امنیت اجتماعی", "سیستمهای امنیت اجتماعی", "سيستمهاي امنيت اجتماعي"),
    ("سال ۲۰۲۳", "سال ٢٠٢٣", "سال 2023"),
])
def test_persian_variants_find_the_same_passages(corpus_searcher, variants):
    tops = [[h.id for h in corpus_searcher.search(SearchRequest(v, k=5, languages=["fa"])).hits]
            for v in variants]
    assert tops[0] and all(t == tops[0] for t in tops)


def test_chinese_fullwidth_and_halfwidth_match(corpus_searcher):
    a = corpus_searcher.search(SearchRequest("第２３条 医疗保险", k=5))
    b = corpus_searcher.search(SearchRequest("第23条 医疗保险", k=5))
    assert [h.id for h in a.hits] == [h.id for h in b.hits]


@pytest.mark.parametrize("query", [
    'NEAR(pension fund) OR "supervision', '养老 AND (基金 OR "监管")', '*', '"', 'NOT',
    '^start {col}: value - minus', "'; DROP TABLE passages; --", "\u202e بیمه \u202c",
])
def test_fts5_syntax_is_searched_as_text(corpus_searcher, query):
    result = corpus_searcher.search(SearchRequest(query, k=5))
    assert result.total >= 0  # results or none, never an error


def test_filters_and_facets_agree_with_hits(corpus_searcher):
    base = corpus_searcher.search(SearchRequest("基本医疗保险 medical insurance", k=100))
    assert base.total == len(base.hits) or base.total > 100
    for name, field in (("language", "language"), ("doc_type", "doc_type"), ("doc", "doc_id")):
        assert sum(base.facets[name].values()) == base.total
    value, count = next(iter(base.facets["doc_type"].items()))
    filtered = corpus_searcher.search(SearchRequest("基本医疗保险 medical insurance",
                                                    doc_types=[value], k=100))
    assert filtered.hits and all(h.row["doc_type"] == value for h in filtered.hits)
    assert sum(filtered.facets["doc_type"].values()) == filtered.total
    dated = corpus_searcher.search(SearchRequest("养老保险", date_from="2020-01-01", k=50))
    assert all((h.row["published"] or h.row["effective"] or "") >= "2020-01-01"
               for h in dated.hits)


def test_hits_carry_explain_and_heading_path(corpus_searcher):
    result = corpus_searcher.search(SearchRequest("养老保险基金监管", k=5))
    hit = present_hits(corpus_searcher, result)[0]
    assert hit["title"] and hit["heading_path"]
    assert hit["scores"]["fused"] >= 0 and hit["scores"]["dense"] > 0
