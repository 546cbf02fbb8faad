"""The storage seam's contract, run against both backends: SQLite + FAISS (the reference)
and Milvus (Milvus Lite, started here on a file; the fixture index published to it).

Every method must answer as `LocalStore` does, and search through either backend must give
the same pages. Nothing is mocked: the real model, a real local build, a real Milvus.
"""

from __future__ import annotations

import pytest

from index.query.bm25 import Bm25
from index.query.lexical import fts_query, query_terms
from index.query.request import SearchRequest
from index.query.search import Searcher
from index.storage import backends, reader
from index.storage.protocol import pools_one_by_one

QUERIES = ["pension insurance", "住房公积金", "social security contributions",
           "بیمه تامین اجتماعی", "employer contribution rate"]


@pytest.fixture(scope="session")
def milvus_config(tmp_path_factory, fixture_index):
    pytest.importorskip("pymilvus")
    uri = str(tmp_path_factory.mktemp("milvus") / "milvus.db")
    config = backends.BackendConfig("milvus", fixture_index, milvus_uri=uri,
                                    milvus_prefix="contract")
    backends.publish(config)
    return config


@pytest.fixture(scope="session")
def reference(fixture_index, embedder):
    loaded = backends.load(backends.BackendConfig(index_dir=fixture_index),
                           model_id=embedder.model_id, dim=embedder.dim)
    yield loaded
    loaded.close()


@pytest.fixture(scope="session", params=["local", "milvus"])
def served(request, reference, embedder):
    """The fixture generation as each backend serves it."""
    if request.param == "local":
        yield reference
        return
    config = request.getfixturevalue("milvus_config")
    loaded = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
    yield loaded
    loaded.close()


def test_same_generation_and_manifest(served, reference):
    assert served.id == reference.id
    assert served.manifest["model"] == reference.manifest["model"]
    assert served.manifest["splitter"] == reference.manifest["splitter"]


def test_rows_documents_and_sentences(served, reference):
    ref, got = reference.store, served.store
    ids = ref.passage_ids()
    assert got.passages(ids) == ref.passages(ids)
    assert got.pool_rows(ids) == ref.pool_rows(ids)
    assert got.fts_rows(ids) == ref.fts_rows(ids)
    assert got.sentences(ids) == ref.sentences(ids)
    assert got.documents() == ref.documents()
    assert got.passages_by_document() == ref.passages_by_document()
    for doc in ref.documents():
        assert got.document(doc["id"]) == ref.document(doc["id"])
        assert got.document_passages(doc["id"]) == ref.document_passages(doc["id"])
    assert got.document("no-such-doc") is None
    positions = [(r["doc_id"], r["ordinal"]) for r in ref.passages(ids[:20]).values()]
    assert got.neighbours(positions) == ref.neighbours(positions)


def test_statistics(served, reference):
    ref, got = reference.store, served.store
    assert got.fts_totals() == pytest.approx(ref.fts_totals())
    assert got.stats_passages() == ref.stats_passages()
    terms = ["insurance", "住房", "公积金", "بیمه", "not-a-term-anywhere"]
    assert got.term_docs(terms) == ref.term_docs(terms)


@pytest.mark.parametrize("filters,dates", [
    ({"lang": ["zh"]}, (None, None)), ({"lang": ["en", "fa"]}, (None, None)),
    ({"topic": ["pension"]}, (None, None)), ({"type": ["law"]}, (None, None)),
    ({"doc": ['no"such\\doc']}, (None, None)), ({}, ("2010-01-01", None)),
    ({"lang": ["zh"]}, (None, "2015-12-31")),
])
def test_filters(served, reference, filters, dates):
    assert sorted(served.store.filter_ids(filters, *dates)) == sorted(
        reference.store.filter_ids(filters, *dates))


@pytest.mark.parametrize("query", QUERIES)
def test_lexical_scores_equal_fts5(served, reference, query):
    """Lexical candidates: the same passages with FTS5's BM25, filtered or not."""
    match = fts_query(query_terms(query))
    for filters in (None, {"lang": ["en"]}):
        want = dict(reference.store.lexical(match, 50, filters))
        got = dict(served.store.lexical(match, 50, filters))
        assert got.keys() == want.keys()
        assert [got[i] for i in want] == pytest.approx([want[i] for i in want], rel=1e-4)
    ids = reference.store.passage_ids()
    docs = served.store.term_docs(list(query_terms(query)))
    exact = Bm25(reference.store).scores(query_terms(query), ids, docs)
    assert dict(served.store.lexical_for(match, ids)) == pytest.approx(exact, rel=1e-4)


@pytest.mark.parametrize("query", QUERIES)
def test_lexical_pools_are_each_languages_top_and_the_overall_top(served, reference, query):
    """One request for the pools search draws equals the overall top and each language's
    top asked for one by one (a small limit, so the per-language pools add passages)."""
    match = fts_query(query_terms(query))
    for languages in ([], ["en", "fa", "zh"], ["fa"]):
        want = dict(pools_one_by_one(reference.store, match, 3, languages))
        got = dict(served.store.lexical_pools(match, 3, languages))
        assert got.keys() == want.keys()
        assert [got[i] for i in want] == pytest.approx([want[i] for i in want], rel=1e-4)


def test_language_pools_add_passages_beyond_the_overall_top(reference):
    """The check above is not vacuous: some query's language pools reach past the top 3."""
    match = fts_query(query_terms("pension 养老保险 بیمه"))  # terms in all three languages
    pools = dict(reference.store.lexical_pools(match, 3, ["en", "fa", "zh"]))
    assert len(pools) > 3
    assert pools == dict(pools_one_by_one(reference.store, match, 3, ["en", "fa", "zh"]))


def test_language_selectors_kept_between_searches(reference, embedder, monkeypatch):
    """A kept FAISS selector answers as a fresh one, and a new id list gets its own."""
    monkeypatch.setattr(reader, "SELECTOR_KEPT_FROM", 0)
    query = embedder.encode_queries(["pension insurance contributions"])[0]
    store = reference.store
    zh, en = store.filter_ids({"lang": ["zh"]}), store.filter_ids({"lang": ["en"]})
    first = store.dense_search(query, 5, zh)
    assert store.dense_search(query, 5, zh) == first
    assert store.dense_search(query, 5, list(zh)) == first
    english = store.dense_search(query, 5, en)
    assert {i for i, _ in english} <= set(en) and not {i for i, _ in english} & set(zh)


def test_dense_scores(served, reference, embedder):
    query = embedder.encode_queries(["pension insurance contributions"])[0]
    want, got = reference.store.dense_search(query, 20), served.store.dense_search(query, 20)
    assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)
    ids = [i for i, _ in want]
    assert served.store.dense_scores(ids, query) == pytest.approx(
        reference.store.dense_scores(ids, query), abs=1e-5)
    within = reference.store.filter_ids({"lang": ["zh"]})
    for restrict in (within, served.store.filter_ids({"lang": ["zh"]})):  # ids, own result
        got = served.store.dense_search(query, 5, restrict)
        want = reference.store.dense_search(query, 5, within)
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_search_pages_equal(served, reference, embedder, query, mode):
    """Fusion, floor, duplicates, facets, clauses, highlights and parallels: the same page.

    Identical passages (a reprint) have identical vectors: FAISS and Milvus may break that
    exact tie differently, so a hit is compared by its duplicate group, text, clause and
    highlights, and facets by language (which copy represents the group changes the rest).
    """
    req = SearchRequest(q=query, mode=mode, k=10)
    want = canonical(Searcher(reference, embedder).search(req).as_dict())
    assert canonical(Searcher(served, embedder).search(req).as_dict()) == want


def canonical(page: dict) -> dict:
    hits = [{"group": sorted([h["passage_id"], *(a["passage_id"] for a in h["also_in"])]),
             "text": h["text"], "clause": h["clause"], "highlights": h["highlights"],
             "language": h["language"], "parallels": [p["passage_id"] for p in h["parallels"]],
             "scores": {k: round(v, 3) for k, v in h["scores"].items()}}
            for h in page["hits"]]
    return {"total": page["total"], "generation": page["generation"], "hits": hits,
            "languages": page["facets"].get("language")}
