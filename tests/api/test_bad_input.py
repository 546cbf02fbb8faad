"""Issue 16, finding 3: no input gives a server error, no error echoes the input, and every
error carries the same security (and CORS) headers as a success. Through a real server."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st

from api.main import create_app
from api.middleware import SECURITY_HEADERS
from api.settings import Settings
from tests.api.servers import client_from, running

ORIGIN = "http://ok.example"
RAW_BODIES = [
    b'{"q":"\\ud800"}', b'{"q":"x","lang":["\\udfff"]}', b'{"q":"x","date_from":"\\ud800"}',
    b'{"\\ud800":1,"q":"x"}', b'{"q":"x","k":NaN}', b'{"q":"x","k":1e400}',
    b'{"q":"x","k":Infinity}', b'{"q":"x","k":-Infinity}', b'{"q":"x","offset":1e400}',
    b'{"q":"x","k":' + b"9" * 5000 + b"}", b"\xff", b'{"q":"\xff\xfe"}', b"", b"null", b"[]",
    b'"\\ud800"', b'{"q":' + b"[" * 30 + b"]" * 30 + b"}", b'{"q":"x"', b"\x00" * 10,
]
CONTENT_TYPES = [None, "application/json", "application/JSON", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=latin-1", "application/vnd.api+json", "*/*"]


@pytest.fixture(scope="module")
def server(fixture_index, fixture_corpus, embedder):
    settings = Settings(index_dir=fixture_index, corpus_dir=fixture_corpus,
                        search_rate_per_minute=1_000_000, search_burst=100_000,
                        cors_origins=[ORIGIN])
    with running(settings, embedder) as base:
        yield base


def assert_safe(r, sent: bytes = b"") -> None:
    """< 500, short, and with the security headers."""
    assert r.status_code < 500, (r.status_code, r.text[:300])
    assert r.status_code == 200 or len(r.content) < 4000, "an error must not echo the input"
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.status_code, name)


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_odd_bodies_get_4xx_never_5xx(server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    with client_from(server, "127.0.2.1") as c:
        for body in RAW_BODIES:
            r = c.post("/api/search", content=body, headers=headers)
            assert_safe(r, body)


def test_validation_errors_name_field_and_rule_only(server):
    with client_from(server, "127.0.2.2") as c:
        r = c.post("/api/search", json={"q": "x" * 100_000})  # over the body limit: 413
        assert r.status_code == 413 and len(r.content) < 200
        r = c.post("/api/search", json={"q": "ä" * 20_000})
        assert r.status_code in (413, 422) and len(r.content) < 1000
        r = c.get("/api/search", params={"q": "y" * 5000})
        assert r.status_code == 422 and "yyyy" not in r.text
        detail = r.json()["detail"][0]
        assert detail["loc"] == ["query", "q"] and detail["type"] == "string_too_long"
        r = c.post("/api/search", content=b'{"\\ud800":1,"q":"x"}',
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"
        for bad in (b'{"q":"x","k":NaN}', b'{"q":"x","k":1e400}'):
            r = c.post("/api/search", content=bad, headers={"Content-Type": "application/json"})
            assert r.status_code == 422 and "NaN" in r.json()["detail"]


def test_every_error_status_carries_security_and_cors_headers(server, tmp_path, embedder):
    with client_from(server, "127.0.2.3", headers={"Origin": ORIGIN}) as c:
        responses = {
            404: c.get("/api/nothing"), 405: c.put("/api/search"),
            413: c.post("/api/search", content=b"x" * 200_000),
            422: c.post("/api/search", content=b"[" * 100),
            200: c.get("/api/health"),
        }
    for status, r in responses.items():
        assert r.status_code == status, (status, r.text[:200])
        assert_safe(r)
        assert r.headers.get("access-control-allow-origin") == ORIGIN, status
    app = create_app(Settings(index_dir=tmp_path / "none", search_burst=2), embedder)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False, headers={"Origin": ORIGIN}) as c:
        r422 = c.get("/api/search", params={"q": "z" * 50_000})  # the client's URL limit
        r503, r500 = c.get("/api/search", params={"q": "x"}), c.get("/boom")
        r429 = next(r for r in (c.get("/api/search", params={"q": "x"}) for _ in range(5))
                    if r.status_code == 429)
    assert r422.status_code == 422 and len(r422.content) < 1000
    assert (r503.status_code, r429.status_code, r500.status_code) == (503, 429, 500)
    for r in (r503, r429, r500):
        assert {k: r.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, r.status_code
        assert r.headers.get("access-control-allow-origin") is None  # origin not allowed here
    assert r500.json() == {"detail": "internal error"}


def encodable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers() | st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["q", "k", "lang", "offset", "date_from", "doc", "\ud800", "x"]),
        inner, max_size=5),
    max_leaves=12)


@given(body=JSON_VALUES, content_type=st.sampled_from(CONTENT_TYPES))
@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_fuzzed_json_bodies_never_give_server_errors(server, body, content_type):
    raw = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    with client_from(server, "127.0.2.4") as c:
        assert_safe(c.post("/api/search", content=raw, headers=headers))
        if isinstance(body, dict):  # the same fields as a query string
            params = {encodable(k): encodable(str(v)[:50]) for k, v in body.items()}
            assert_safe(c.get("/api/search", params=params))
