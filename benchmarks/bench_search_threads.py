"""Search throughput of one process under concurrent threads, with the model taken out.

Usage: python benchmarks/bench_search_threads.py [--size 100000] [--threads 8] [--queries 400]

Every query vector is embedded first (Searcher.prime_queries), then `--threads` threads
run search + clauses/highlights (what GET /api/search does after embedding) over distinct
queries on the synthetic index of benchmarks/synthetic.py. Prints p50/p95 and requests/s,
next to the same work on one thread: their ratio shows how much a second core helps the
search part of a request (Python holds the GIL for most of it).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.bench_search import QUERIES  # noqa: E402
from benchmarks.synthetic import build_synthetic  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402


def run(searcher: Searcher, queries: list[str], threads: int) -> tuple[np.ndarray, float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(first: int) -> None:
        for query in queries[first::threads]:
            t = time.perf_counter()
            searcher.search(SearchRequest(q=query, k=10))
            with lock:
                latencies.append((time.perf_counter() - t) * 1e3)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return np.array(latencies), time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--work", type=Path, default=Path("var/bench"))
    args = ap.parse_args()
    embedder = Embedder()
    index_dir = args.work / f"synthetic-{args.size}"
    build_synthetic(index_dir, args.size, embedder)
    searcher = Searcher(load_generation(index_dir, model_id=embedder.model_id,
                                        dim=embedder.dim), embedder)
    queries = [f"{QUERIES[i % len(QUERIES)]} {i}" for i in range(2 * args.queries + 16)]
    searcher.prime_queries(queries)
    run(searcher, queries[:16], 1)  # warm-up
    for threads, batch in ((1, queries[16 : 16 + args.queries]),
                           (args.threads, queries[16 + args.queries :])):
        lat, wall = run(searcher, batch, threads)
        print(f"passages={args.size} threads={threads} p50={np.percentile(lat, 50):.1f}ms "
              f"p95={np.percentile(lat, 95):.1f}ms throughput={len(lat) / wall:.1f} req/s")


if __name__ == "__main__":
    main()
