"""The HTTP load both server benchmarks drive: wait for a server to answer, then run
concurrent keep-alive clients with distinct queries (no query-cache hits).

Shared by benchmarks/bench_http.py and benchmarks/bench_workers.py so that both measure
the same thing the same way.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from benchmarks.bench_search import QUERIES


def wait_until_answers(proc: subprocess.Popen, url: str, params: dict | None = None,
                       name: str = "server") -> float:
    """Seconds from now until `url` answers 200; raises if the process exits first."""
    started = time.perf_counter()
    while True:
        try:
            if httpx.get(url, params=params, timeout=5).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited during start")
        time.sleep(0.1)


@dataclass
class Load:
    """What one run of clients measured."""

    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    workers: Counter = field(default_factory=Counter)  # X-Worker header -> requests


def run_clients(port: int, path: str, query_param: str, limit_param: str, clients: int,
                per_client: int, tag: str = "", extra: dict | None = None) -> Load:
    """`clients` threads, each with one connection, each sending `per_client` searches
    (`extra`: more query parameters on every request)."""
    load = Load()
    lock = threading.Lock()

    def client(cid: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            for i in range(per_client):
                q = f"{QUERIES[(cid + i) % len(QUERIES)]} {tag}-{cid}-{i}"
                t = time.perf_counter()
                r = c.get(path, params={query_param: q, limit_param: 10, **(extra or {})})
                dt = (time.perf_counter() - t) * 1e3
                assert r.status_code == 200, r.text[:300]
                with lock:
                    load.latencies_ms.append(dt)
                    load.workers[r.headers.get("x-worker", "-")] += 1

    t = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    load.wall_s = time.perf_counter() - t
    return load
