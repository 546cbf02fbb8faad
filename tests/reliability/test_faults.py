"""Faults and bad input against real processes: kill -9, disk full, concurrent builds,
a generation swap under load, queries of death and oversized bodies."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from index.storage import generation as gen
from scripts.crash_trials import policykb

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, HF_HUB_OFFLINE="1")


@pytest.fixture()
def index_copy(tmp_path, fixture_index):
    dest = tmp_path / "index"
    shutil.copytree(fixture_index, dest)
    return dest


def test_kill_9_during_build_and_update_never_breaks_the_index(fixture_corpus, fixture_index):
    """Short version of scripts/crash_trials.py (200 trials there), run as its own process:
    it forks the builds it kills, which is only safe before OpenMP has started."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "crash_trials.py"), "--trials", "10",
         "--seed", "7", "--corpus", str(fixture_corpus), "--index-src", str(fixture_index)],
        capture_output=True, text=True, env=ENV, timeout=500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "trials 10, failures 0" in proc.stdout


def limit_file_size() -> None:
    # Writes past 256 KiB fail with EFBIG (SIGXFSZ ignored): a disk that fills mid-build.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_disk_full_during_build_exits_nonzero_and_keeps_old_generation(index_copy,
                                                                       fixture_corpus):
    before = gen.current_generation_id(index_copy)
    sums = gen.read_manifest(index_copy / before)["checksums"]
    proc = subprocess.run(policykb("build", str(fixture_corpus), "--index", str(index_copy)),
                          env=ENV, capture_output=True, text=True, preexec_fn=limit_file_size,
                          timeout=300)
    assert proc.returncode != 0
    assert gen.current_generation_id(index_copy) == before
    loaded = gen.load_generation(index_copy)
    assert loaded.manifest["checksums"] == sums
    loaded.close()
    assert not [p for p in index_copy.iterdir() if p.name.startswith(gen.TMP_PREFIX)]


def test_second_build_process_refused_then_waits(index_copy, fixture_corpus):
    from index.storage.lock import build_lock

    with build_lock(index_copy):
        proc = subprocess.run(policykb("build", str(fixture_corpus), "--index", str(index_copy)),
                              env=ENV, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1 and "another build" in proc.stderr
        waiting = subprocess.Popen(policykb("update", str(fixture_corpus), "--index",
                                            str(index_copy), "--wait"), env=ENV,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None  # blocked on the lock
    assert waiting.wait(timeout=300) == 0
    gen.load_generation(index_copy).close()


def test_two_builds_racing_leave_one_sound_index(index_copy, fixture_corpus):
    procs = [subprocess.Popen(policykb("build", str(fixture_corpus), "--index", str(index_copy)),
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = [p.returncode for p in procs]
    assert 0 in codes
    for code, (_, err) in zip(codes, outs):
        assert code == 0 or "another build" in err
    gen.load_generation(index_copy).close()


@pytest.fixture()
def writable_server(tmp_path, fixture_index, fixture_corpus, embedder):
    import uvicorn

    from api.main import create_app
    from api.settings import Settings
    from tests.fixtures_index import free_port

    index_dir = tmp_path / "index"
    shutil.copytree(fixture_index, index_dir)
    # The test's 50 clients share one address: the per-client cap on searches in flight
    # (api/deps.py) would otherwise answer most of them 429 by design.
    settings = Settings(index_dir=index_dir, corpus_dir=fixture_corpus, admin_key="k",
                        search_rate_per_minute=10**6, search_burst=10**6, reload_poll_s=0.2,
                        searches_in_flight_per_client=64)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, embedder), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", index_dir
    server.should_exit = True
    thread.join(timeout=10)


def test_generation_swap_under_50_concurrent_searches(writable_server, fixture_corpus):
    """A CLI build in another process while 50 clients search: no 5xx, one generation each."""
    url, index_dir = writable_server
    before = gen.current_generation_id(index_dir)
    results: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            while not stop.is_set():
                r = c.get("/api/search", params={"q": "pension fund supervision", "k": 3})
                body = r.json()
                gens = {body.get("generation")}
                results.append((r.status_code, gens.pop()))

    threads = [threading.Thread(target=client) for _ in range(50)]
    for t in threads:
        t.start()
    subprocess.run(policykb("build", str(fixture_corpus), "--index", str(index_dir)), env=ENV,
                   check=True, capture_output=True, timeout=300)
    after = gen.current_generation_id(index_dir)
    deadline = time.monotonic() + 30
    while not any(g == after for _, g in results[-50:]) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()
    assert after != before
    assert results and all(code == 200 for code, _ in results)
    assert {g for _, g in results} <= {before, after}
    assert any(g == after for _, g in results)


def raw_get_status(base_url: str, target: str) -> int:
    """Send a GET with a request line too long for HTTP clients to build; return the status."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                     .encode())
        head = sock.recv(64).decode("latin-1")
    return int(head.split()[1])


def test_queries_of_death_are_rejected_fast(live_server):
    t = time.perf_counter()
    assert raw_get_status(live_server, "/api/search?q=" + "x" * 100_000) in (400, 413, 414, 422, 431)
    assert time.perf_counter() - t < 5
    with httpx.Client(base_url=live_server, timeout=30) as c:
        assert c.get("/api/search", params={"q": "pension"}).status_code == 200
        cases = [
            ("get", {"params": {"q": " ".join(["term"] * 5_000)}}),
            ("post", {"json": {"q": "pension " * 10_000}}),
            ("post", {"content": "[" * 50_000 + "]" * 50_000,
                      "headers": {"content-type": "application/json"}}),
            ("get", {"params": {"q": " ".join(['NEAR(a b)', 'OR', '"x"', 'AND', '*', '^'] * 170)}}),
        ]
        for method, kwargs in cases:
            t = time.perf_counter()
            r = getattr(c, method)("/api/search", **kwargs)
            assert r.status_code in (400, 413, 414, 422, 431), (method, r.status_code)
            assert time.perf_counter() - t < 5
            assert c.get("/api/search", params={"q": "pension"}).status_code == 200
        ops = 'NEAR("a" b) OR (c AND "d*") NOT e ^f {g h} : -'
        r = c.get("/api/search", params={"q": (ops * 30)[:1000]})
        assert r.status_code == 200


def test_oversized_bodies_rejected_before_read(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as c:
        files = {"file": ("big.docx", b"0" * (5 * 1024 * 1024))}
        r = c.post("/api/search", files=files)
        assert r.status_code == 413

        def chunks():
            for _ in range(1000):  # 64 MB if read whole; the server stops after the limit
                yield b"x" * 65536

        t = time.perf_counter()
        try:
            r = c.post("/api/search", content=chunks(), headers={"content-type": "application/json"})
            assert r.status_code == 413
        except httpx.TransportError:
            pass  # the server closed the connection after refusing: also a rejection
        assert time.perf_counter() - t < 10
        assert c.get("/api/search", params={"q": "pension"}).status_code == 200
