"""API tests through TestClient(app): real lifespan, real fixture index, real model."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

ADMIN = "admin-secret"


@pytest.fixture(scope="module")
def client(fixture_index, fixture_corpus, embedder):
    settings = Settings(index_dir=fixture_index, corpus_dir=fixture_corpus,
                        search_rate_per_minute=100_000, search_burst=10_000)
    with TestClient(create_app(settings, embedder)) as c:
        yield c


def make_client(embedder, **kw):
    return TestClient(create_app(Settings(**kw), embedder))


def test_search_get_returns_hits_with_clause_and_explain(client):
    r = client.get("/api/search", params={"q": "multi-pillar pensions", "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= len(body["hits"]) > 0
    hit = body["hits"][0]
    assert set(hit["scores"]) == {"dense", "lexical", "fused"}
    cs, ce = hit["clause"]["start"], hit["clause"]["end"]
    assert 0 <= cs < ce <= len(hit["text"])
    assert body["generation"] and body["took_ms"] >= 0
    assert sum(body["facets"]["language"].values()) == body["total"]


def test_search_post_equals_get(client):
    get = client.get("/api/search", params={"q": "养老保险基金监管", "k": 5}).json()
    post = client.post("/api/search", json={"q": "养老保险基金监管", "k": 5}).json()
    assert [h["passage_id"] for h in get["hits"]] == [h["passage_id"] for h in post["hits"]]


def test_language_filter_and_facets_agree(client):
    r = client.get("/api/search", params={"q": "social security", "lang": "fa", "k": 50}).json()
    assert r["hits"] and all(h["language"] == "fa" for h in r["hits"])
    assert r["facets"]["language"] == {"fa": r["total"]}


@pytest.mark.parametrize("params", [
    {"q": "x" * 1001}, {"q": "pension", "k": 101}, {"q": "pension", "offset": 1001},
    {"q": ""}, {"q": "pension", "k": 0}, {"q": "pension", "date_from": "not-a-date"},
])
def test_limits_give_422(client, params):
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    assert "detail" in r.json()


def test_post_limits_and_unknown_fields(client):
    assert client.post("/api/search", json={"q": "a" * 1001}).status_code == 422
    assert client.post("/api/search", json={"q": "pension", "evil": 1}).status_code == 422
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/api/search", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422
    big = "x" * 200_000
    assert client.post("/api/search", content=big,
                       headers={"content-type": "application/json"}).status_code == 413
    assert client.get("/api/search", params={"q": "pension"}).status_code == 200


def test_documents_and_passages(client):
    docs = client.get("/api/documents").json()
    assert docs["count"] == len(docs["documents"]) > 0
    doc_id = docs["documents"][0]["id"]
    doc = client.get(f"/api/documents/{doc_id}").json()
    assert doc["passages"]
    p = doc["passages"][0]
    passage = client.get(f"/api/passages/{p['id']}").json()
    assert doc["text"][p["start"]:p["end"]] == passage["text"]
    assert client.get("/api/documents/nope").status_code == 404
    assert client.get("/api/passages/99999999").status_code == 404


def test_health_and_stats(client):
    h = client.get("/api/health").json()
    assert h["status"] in ("warming", "ok") and h["passages"] > 0
    for thread in client.app.state.warmers:  # the dictionaries and the query model
        thread.join(timeout=120)
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["passages"] > 0
    s = client.get("/api/stats").json()
    assert s["counts"]["passages"] == h["passages"]


def test_health_503_without_index(tmp_path, embedder):
    with make_client(embedder, index_dir=tmp_path / "none") as c:
        r = c.get("/api/health")
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
        r = c.get("/api/search", params={"q": "pension"})
        assert r.status_code == 503 and "policykb build" in r.json()["detail"]


def test_openapi_and_page(client):
    assert client.get("/openapi.json").json()["paths"]["/api/search"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]


def test_admin_auth(fixture_index, embedder):
    with make_client(embedder, index_dir=fixture_index, admin_key=ADMIN, search_key="s") as c:
        assert c.post("/api/admin/reindex").status_code == 401
        assert c.post("/api/admin/reindex", headers={"X-Admin-Key": "wrong"}).status_code == 403
        # a search key cannot reindex
        assert c.post("/api/admin/reindex", headers={"X-API-Key": "s"}).status_code == 401
        assert c.get("/api/admin/jobs/x", headers={"X-Admin-Key": ADMIN}).status_code == 404
        # keys in a URL are refused
        assert c.get("/api/search", params={"q": "pension", "api_key": "s"}).status_code == 400
        assert c.get("/api/search", params={"q": "pension"}).status_code == 401
        assert c.get("/api/search", params={"q": "pension"},
                     headers={"X-API-Key": "s"}).status_code == 200


def test_admin_refused_when_no_admin_key_configured(fixture_index, embedder):
    with make_client(embedder, index_dir=fixture_index) as c:
        assert c.post("/api/admin/reindex", headers={"X-Admin-Key": "x"}).status_code == 403


def test_repeated_bad_keys_get_429(fixture_index, embedder):
    with make_client(embedder, index_dir=fixture_index, admin_key=ADMIN,
                     auth_failures_per_minute=3) as c:
        codes = [c.post("/api/admin/reindex", headers={"X-Admin-Key": "bad"}).status_code
                 for _ in range(6)]
        assert codes[:3] == [403] * 3 and 429 in codes[3:]


def test_search_flood_gets_429_with_retry_after(fixture_index, embedder):
    with make_client(embedder, index_dir=fixture_index, search_rate_per_minute=60,
                     search_burst=5) as c:
        codes = [c.get("/api/search", params={"q": "pension"}) for _ in range(8)]
        limited = [r for r in codes if r.status_code == 429]
        assert limited and int(limited[0].headers["Retry-After"]) >= 1
        assert c.get("/api/health").status_code == 200  # the server keeps answering


def test_cors(fixture_index, embedder):
    with make_client(embedder, index_dir=fixture_index) as c:
        r = c.get("/api/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    with make_client(embedder, index_dir=fixture_index, cors_origins=["http://ok.example"]) as c:
        r = c.get("/api/health", headers={"Origin": "http://ok.example"})
        assert r.headers["access-control-allow-origin"] == "http://ok.example"
        r = c.get("/api/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    with pytest.raises(ValueError):
        Settings(cors_origins=["*"], cors_allow_credentials=True)


def test_reindex_swaps_generation_while_searches_run(tmp_path, fixture_index, fixture_corpus,
                                                     embedder):
    index_dir = tmp_path / "index"
    shutil.copytree(fixture_index, index_dir)
    # The four hammering threads stand for four users, but share one TestClient address.
    settings = Settings(index_dir=index_dir, corpus_dir=fixture_corpus, admin_key=ADMIN,
                        search_rate_per_minute=100_000, search_burst=10_000,
                        searches_in_flight_per_client=4)
    with TestClient(create_app(settings, embedder)) as c:
        before = c.get("/api/health").json()["generation"]
        errors, generations, stop = [], set(), threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                r = c.get("/api/search", params={"q": "fund supervision", "k": 3})
                if r.status_code != 200:
                    errors.append(r.status_code)
                else:
                    generations.add(r.json()["generation"])

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        job = c.post("/api/admin/reindex", json={"mode": "build"},
                     headers={"X-Admin-Key": ADMIN}).json()
        deadline = time.monotonic() + 300
        while c.get(f"/api/admin/jobs/{job['id']}",
                    headers={"X-Admin-Key": ADMIN}).json()["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        final = c.get(f"/api/admin/jobs/{job['id']}", headers={"X-Admin-Key": ADMIN}).json()
        assert final["state"] == "done", final
        after = c.get("/api/health").json()["generation"]
        assert after == final["generation"] != before
        assert not errors
        assert generations <= {before, after}


def test_bidi_controls_in_queries_are_neutralised(client):
    r = client.get("/api/search", params={"q": "\u202epension\u202c \u2067fund\u2069"})
    assert r.status_code == 200
    assert r.json()["query"] == "pension fund"
    assert client.get("/api/search", params={"q": "\u202e\u202c"}).status_code == 422


def test_xss_document_comes_back_as_text_and_offsets(client):
    r = client.get("/api/search", params={"q": "pension portal markup onerror", "k": 20}).json()
    hit = next(h for h in r["hits"] if "<script>" in h["text"])
    assert "<img src=x onerror=alert(1)>" in hit["text"]
    for start, end in hit["highlights"]:
        assert 0 <= start < end <= len(hit["text"])
