"""Issue 16 findings 4-5 and issue 17's serving items: fair and bounded query cost, slow
connections closed, /docs offline, and what `policykb serve` says. All against real
servers (uvicorn in a thread, or `policykb serve` in a subprocess)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.query_cap import CappedQueries
from api.routes.search import run_unless_late
from api.settings import Settings
from tests.api.servers import client_from, running
from tests.fixtures_index import REPO, free_port

LONG = " ".join(f"pension{i} contribution fund" for i in range(60))[:1000]


@pytest.fixture(scope="module")
def server(fixture_index, fixture_corpus, embedder):
    settings = Settings(index_dir=fixture_index, corpus_dir=fixture_corpus,
                        search_rate_per_minute=1_000_000, search_burst=100_000,
                        searches_in_flight_per_client=1, search_queue_wait_s=0,
                        header_timeout_s=1.0, keep_alive_s=1)
    with running(settings, embedder) as base:
        yield base


# --- 4. query cost bounded and fair ---------------------------------------------------------


def test_one_client_gets_a_bounded_share_of_searches(server):
    def heavy(i: int) -> int:
        with client_from(server, "127.0.3.1") as c:
            return c.post("/api/search", json={"q": f"{i} {LONG}"[:1000]}).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = pool.map(heavy, range(4))
        with client_from(server, "127.0.3.2") as other:
            mine = other.get("/api/search", params={"q": "housing provident fund"})
        codes = list(codes)
    assert mine.status_code == 200
    assert set(codes) <= {200, 429} and 429 in codes and 200 in codes


def test_the_model_sees_a_capped_query_and_the_rest_counts_lexically(server, embedder):
    capped = CappedQueries(embedder, 16)
    assert embedder.count_tokens(capped.cut(LONG)) <= 16 < embedder.count_tokens(LONG)
    assert capped.cut("pension") == "pension"
    with client_from(server, "127.0.3.3") as c:
        r = c.post("/api/search", json={"q": LONG})
    assert r.status_code == 200 and r.json()["query"] == LONG


def test_a_search_whose_request_timed_out_is_dropped():
    # run_unless_late does nothing (touches neither context nor index) once past its deadline
    assert run_unless_late(None, None, time.monotonic() - 1) is None  # type: ignore[arg-type]


# --- 5. slow and incomplete connections -----------------------------------------------------


def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
    """True if the server closes `sock` within `seconds` (sending `trickle` byte by byte)."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.3)
    for byte in trickle or b"\0" * 1000:
        if trickle:
            try:
                sock.send(bytes([byte]))
            except OSError:
                return True
        try:
            if sock.recv(1024) == b"":
                return True
        except socket.timeout:
            pass
        except OSError:
            return True
        if time.monotonic() > deadline:
            return False
    return False


def test_incomplete_idle_and_trickling_connections_are_closed(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as idle:
        assert closed_within(idle, 4)
    with socket.create_connection((host, int(port))) as half:
        half.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
        assert closed_within(half, 4)
    with socket.create_connection((host, int(port))) as slow:
        assert closed_within(slow, 4, trickle=b"GET /api/health HTTP/1.1\r\nX-Slow: " + b"a" * 50)
    with socket.create_connection((host, int(port))) as body:  # head complete, body never
        body.sendall(b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        body.settimeout(4)
        assert body.recv(100).startswith(b"HTTP/1.1 408")
    with httpx.Client(base_url=server) as c:  # an ordinary client is unaffected
        assert c.get("/api/health").status_code == 200
        time.sleep(0.5)
        assert c.get("/api/health").status_code == 200


# --- issue 17: /docs offline, `serve` output --------------------------------------------------


def test_docs_use_only_same_origin_assets(server):
    with httpx.Client(base_url=server) as c:
        page = c.get("/docs")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(refs) == 3 and all(r.startswith("/docs/assets/") for r in refs), refs
        assert "<script>" not in page.text  # no inline script: the CSP would block it
        for ref in refs:
            r = c.get(ref)
            assert r.status_code == 200 and len(r.content) > 100, ref
        assert c.get("/docs/assets/../../pyproject.toml").status_code == 404
        assert c.get("/openapi.json").json()["paths"]["/api/search"]


def test_serve_says_ready_only_when_it_answers_and_logs(fixture_index, fixture_corpus):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from policykb.cli import main; main()", "serve", "--index",
         str(fixture_index), "--corpus", str(fixture_corpus), "--port", str(port)],
        env=env, cwd=Path(fixture_index).parent, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # blocks until the first line: "ready"
        assert "ready" in line, line
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
        httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "pension"}, timeout=30)
        time.sleep(0.3)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "now serving generation" in err and "passages)" in err, err[-2000:]
    assert re.search(r"GET /api/health 200 [\d.]+ ms", err), err[-2000:]
    assert re.search(r"GET /api/search 200 [\d.]+ ms", err), err[-2000:]
    assert "q=pension" not in err
