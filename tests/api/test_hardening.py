"""Issue 16: what an attacker found, each through a real uvicorn server configured as
`policykb serve` configures it (tests/api/servers.py), on the real fixture index."""

from __future__ import annotations

import shutil
import time

import pytest

from api.clients import client_address, parse_networks
from api.settings import Settings
from tests.api.servers import client_from, running

ADMIN, SEARCH = "admin-secret", "search-secret"


@pytest.fixture(scope="module")
def keyed(fixture_index, fixture_corpus, embedder):
    """A server with both keys set and a small failure budget (3 a minute)."""
    settings = Settings(index_dir=fixture_index, corpus_dir=fixture_corpus, admin_key=ADMIN,
                        search_key=SEARCH, auth_failures_per_minute=3,
                        search_rate_per_minute=100_000, search_burst=10_000,
                        cors_origins=["http://ok.example"])
    with running(settings, embedder) as base:
        yield base


# --- 1. lockout before verification ---------------------------------------------------------


def test_lockout_refuses_the_right_key_until_it_ends(keyed):
    with client_from(keyed, "127.0.0.11") as c:
        bad = [c.get("/api/admin/jobs/x", headers={"X-Admin-Key": "bad"}).status_code
               for _ in range(3)]
        assert bad == [403] * 3
        right = c.get("/api/admin/jobs/x", headers={"X-Admin-Key": ADMIN})
        assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
        search = c.get("/api/search", params={"q": "pension"}, headers={"X-API-Key": SEARCH})
        assert search.status_code == 429
    with client_from(keyed, "127.0.0.12") as other:  # another client is not locked out
        assert other.get("/api/admin/jobs/x", headers={"X-Admin-Key": ADMIN}).status_code == 404


# --- 2. client identity from the socket -------------------------------------------------------


def test_rotating_forwarded_for_does_not_escape_the_lockout(keyed):
    with client_from(keyed, "127.0.0.13") as c:
        codes = [c.get("/api/admin/jobs/x", headers={"X-Admin-Key": "bad",
                                                      "X-Forwarded-For": f"203.0.113.{i}"}
                       ).status_code for i in range(6)]
    assert codes[:3] == [403] * 3 and set(codes[3:]) == {429}


def test_trusted_proxy_forwarded_for_names_the_client(fixture_index, embedder):
    settings = Settings(index_dir=fixture_index, admin_key=ADMIN, auth_failures_per_minute=1,
                        trusted_proxies="127.0.0.0/8")
    with running(settings, embedder) as base, client_from(base, "127.0.0.14") as c:
        def attempt(forwarded: str) -> int:
            return c.get("/api/admin/jobs/x", headers={"X-Admin-Key": "bad",
                                                        "X-Forwarded-For": forwarded}).status_code

        assert attempt("198.51.100.1") == 403
        assert attempt("198.51.100.1") == 429  # the same client behind the proxy
        assert attempt("198.51.100.2") == 403  # another one
        # A client cannot choose its identity by prepending: the right-most hop counts.
        assert attempt("198.51.100.9, 198.51.100.1") == 429


def test_client_address_rules():
    proxies = parse_networks(["10.0.0.0/8", "::1"])
    assert client_address("192.0.2.1", ["6.6.6.6"], proxies) == "192.0.2.1"
    assert client_address("10.1.1.1", ["6.6.6.6, 192.0.2.7"], proxies) == "192.0.2.7"
    assert client_address("10.1.1.1", ["6.6.6.6, 192.0.2.7, 10.2.2.2"], proxies) == "192.0.2.7"
    assert client_address("10.1.1.1", [], proxies) == "10.1.1.1"
    assert client_address("127.0.0.1", ["6.6.6.6"], ()) == "127.0.0.1"
    with pytest.raises(ValueError):
        Settings(trusted_proxies="not-an-address")


# --- 6. smaller findings --------------------------------------------------------------------


def test_stats_openapi_and_docs_need_the_search_key(keyed):
    for n, path in enumerate(("/api/stats", "/openapi.json", "/docs", "/docs/assets/init.js")):
        with client_from(keyed, f"127.0.1.{n + 1}") as c:  # each its own failure budget
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers={"X-API-Key": SEARCH}).status_code == 200, path


@pytest.mark.parametrize("name", ["api_key", "API_KEY", "api-key", "Api-Key", "x-api-key",
                                  "X-API-Key", "X-Admin-Key", "x_admin_key", "apiKey",
                                  "access-token", "Search_Key", "KEY"])
def test_keys_in_urls_are_refused_under_any_spelling(keyed, name):
    with client_from(keyed, "127.0.0.16") as c:
        r = c.get("/api/search", params={"q": "pension", name: SEARCH},
                  headers={"X-API-Key": SEARCH})
        assert r.status_code == 400, name


def test_head_of_the_page_is_answered(keyed):
    with client_from(keyed, "127.0.0.17") as c:
        head, get = c.head("/"), c.get("/")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.parametrize("content_type", ["application/JSON", "Application/Json; charset=utf-8",
                                          None, "text/plain"])
def test_json_depth_limit_whatever_the_content_type(keyed, content_type):
    deep = "[" * 900 + "]" * 900
    headers = {"X-API-Key": SEARCH}
    if content_type:
        headers["Content-Type"] = content_type
    with client_from(keyed, "127.0.0.18") as c:
        r = c.post("/api/search", content=deep.encode(), headers=headers)
    assert r.status_code == 422 and "nested" in r.json()["detail"]


def test_bidi_marks_are_stripped_from_queries(keyed):
    with client_from(keyed, "127.0.0.19", headers={"X-API-Key": SEARCH}) as c:
        r = c.get("/api/search", params={"q": "\u200fpension\u200e \u061cfund\u202b"})
        assert r.status_code == 200 and r.json()["query"] == "pension fund"
        assert c.get("/api/search", params={"q": "\u200f\u200e\u061c"}).status_code == 422


def test_reindex_job_shows_a_stage_from_the_start(tmp_path, fixture_index, fixture_corpus,
                                                  embedder):
    index_dir = tmp_path / "index"
    shutil.copytree(fixture_index, index_dir)
    settings = Settings(index_dir=index_dir, corpus_dir=fixture_corpus, admin_key=ADMIN)
    admin = {"X-Admin-Key": ADMIN}
    with running(settings, embedder) as base, client_from(base, "127.0.0.20") as c:
        job = c.post("/api/admin/reindex", json={"mode": "update"}, headers=admin).json()
        # An unchanged corpus can finish before the response is sent (index/snapshot.py).
        assert job["stage"] and job["state"] in ("running", "done"), job
        now = c.get(f"/api/admin/jobs/{job['id']}", headers=admin).json()
        assert now["stage"], now
        deadline = time.monotonic() + 120
        while now["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.2)
            now = c.get(f"/api/admin/jobs/{job['id']}", headers=admin).json()
        assert now["state"] == "done", now
