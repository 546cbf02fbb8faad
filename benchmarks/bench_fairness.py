"""Fairness under expensive queries: one client's 1,000-character queries against another
client's ordinary searches.

Usage: python benchmarks/bench_fairness.py [--index DIR] [--heavy 30] [--normal 40]

Builds (once) an index of the test fixture corpus unless --index is given, starts
`policykb serve` on it in a subprocess (code from PYTHONPATH, so the same script measures
any checkout: PYTHONPATH=/path/to/checkout python benchmarks/bench_fairness.py), then runs, at the same time:

- the heavy client (source address 127.0.0.2, 6 threads): `--heavy` distinct
  1,000-character queries, each retried after a 429 until served;
- the normal client (source address 127.0.0.1, one thread): `--normal` distinct short
  queries, none cached.

Prints the normal client's p50/p95 and error count and what the heavy client got back.
Goal: normal p95 <= 2 s and 0 errors. Every loop is bounded; only 127.0.0.1/2 is targeted.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURE_CORPUS = REPO / "tests" / "data" / "corpus"
WORDS = ("pension fund supervision contribution benefit insurance retirement employer "
         "worker social security card housing provident reform pillar").split()


def cli(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", POLICYKB_SEARCH_RATE_PER_MINUTE="1000000",
               POLICYKB_SEARCH_BURST="100000")
    # cwd elsewhere: `python -c` puts the cwd first on sys.path, ahead of PYTHONPATH.
    return subprocess.Popen([sys.executable, "-c", "from policykb.cli import main; main()",
                             *args], env=env, cwd=tempfile.gettempdir(), **kw)


def ensure_index(index: Path | None) -> Path:
    if index:
        return index
    index = Path(tempfile.gettempdir()) / "policykb-bench-fairness-index"
    if not (index / "CURRENT").exists():
        if cli("build", str(FIXTURE_CORPUS), "--index", str(index)).wait() != 0:
            raise SystemExit("build failed")
    return index


def start_server(index: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = cli("serve", "--index", str(index), "--port", str(port),
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):  # at most 120 s
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit("server exited during start")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not answer within 120 s")


def client(port: int, source: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                        transport=httpx.HTTPTransport(local_address=source))


def heavy(port: int, n: int, stop: threading.Event) -> Counter:
    rnd = random.Random(7)
    queries = [" ".join(rnd.choice(WORDS) for _ in range(150))[:1000] for _ in range(n)]
    statuses: Counter = Counter()

    def one(q: str) -> None:
        """Insists: a 429 is retried after 0.2 s (at most 100 times) until served."""
        with client(port, "127.0.0.2") as c:
            for _ in range(100):
                if stop.is_set():
                    return
                try:
                    status = c.post("/api/search", json={"q": q}).status_code
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    return
                statuses[status] += 1
                if status != 429:
                    return
                time.sleep(0.2)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(one, queries))
    return statuses


def normal(port: int, n: int) -> tuple[list[float], Counter]:
    latencies, statuses = [], Counter()
    with client(port, "127.0.0.1") as c:
        for i in range(n):
            q = f"{WORDS[i % len(WORDS)]} {WORDS[(3 * i + 1) % len(WORDS)]} {i}"
            t = time.perf_counter()
            try:
                statuses[c.get("/api/search", params={"q": q}).status_code] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - t)
            time.sleep(0.05)
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index to serve (default: fixture corpus)")
    parser.add_argument("--heavy", type=int, default=30, help="1,000-character queries")
    parser.add_argument("--normal", type=int, default=40, help="ordinary searches")
    args = parser.parse_args()
    proc, port = start_server(ensure_index(args.index))
    try:
        stop = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            heavy_result = pool.submit(heavy, port, args.heavy, stop)
            time.sleep(0.5)  # the heavy client's queue is full before the other starts
            latencies, statuses = normal(port, args.normal)
            stop.set()
            heavy_statuses = heavy_result.result()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ms = np.array(latencies) * 1e3
    errors = sum(v for k, v in statuses.items() if k != 200)
    print(f"normal client: {len(ms)} searches, p50 {np.percentile(ms, 50):.0f} ms, "
          f"p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms, errors {errors} "
          f"{dict(statuses)}")
    print(f"heavy client (every answer, retries included): {dict(heavy_statuses)}")


if __name__ == "__main__":
    main()
