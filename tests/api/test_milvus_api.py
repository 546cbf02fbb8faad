"""The API served from Milvus (POLICYKB_BACKEND=milvus settings): the real lifespan loads
the generation through the backends factory, and search and the document view answer as
they do from the local index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings


def test_api_on_milvus_answers_as_local(tmp_path, fixture_index, fixture_corpus, embedder):
    pytest.importorskip("pymilvus")
    from index.storage import backends

    uri = str(tmp_path / "milvus.db")
    backends.publish(backends.BackendConfig("milvus", fixture_index, milvus_uri=uri,
                                            milvus_prefix="api"))
    common = {"index_dir": fixture_index, "corpus_dir": fixture_corpus,
              "search_rate_per_minute": 100_000, "search_burst": 10_000}
    pages = []
    for extra in ({}, {"backend": "milvus", "milvus_uri": uri, "milvus_prefix": "api"}):
        with TestClient(create_app(Settings(**common, **extra), embedder)) as client:
            search = client.get("/api/search", params={"q": "住房公积金", "k": 5})
            assert search.status_code == 200, search.text
            docs = client.get("/api/documents")
            doc_id = docs.json()["documents"][0]["id"]
            detail = client.get(f"/api/documents/{doc_id}")
            page = search.json()
            page.pop("took_ms")
            pages.append((page, docs.json(), detail.json()))
    assert pages[0] == pages[1]
