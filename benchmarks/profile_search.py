"""Where one hybrid search's time goes, stage by stage, on the synthetic index.

Usage: python benchmarks/profile_search.py [--size 100000] [--queries 180] [--work var/bench]

Times every call a search makes to its store (BM25 pools, dense searches, rows) and the
query plan (embedding, analysis, translation), in one process on one thread, over
distinct queries (bench_search's list with a number appended, as bench_workers sends).
Prints ms per query for each stage, the rest (fusion, relevance, clauses, highlights:
Python), wall p50/p95, CPU per query (above wall: the query engine and FAISS run on
several threads), and how many passages the BM25 pool query matched: FTS5 scores every
matched passage with bm25() before keeping the top ones, so that count drives its cost.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
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

# Store calls a hybrid search makes outside its plan (the plan's term_docs is in "plan").
STORE_CALLS = ("lexical_pools", "dense_search", "pool_rows", "fts_rows", "dense_dots",
               "lexical_for", "passages", "sentences")


def timed(owner: object, name: str, spent: Counter, calls: Counter) -> None:
    """Replace owner.name with a wrapper adding its wall time to spent[name]."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
            calls[name] += 1

    setattr(owner, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=180)
    ap.add_argument("--work", type=Path, default=Path("var/bench"))
    args = ap.parse_args()

    embedder = Embedder()
    index_dir = args.work / f"synthetic-{args.size}"
    build_synthetic(index_dir, args.size, embedder)
    loaded = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(loaded, embedder)
    store = loaded.store
    pool_queries: list[str] = []  # the MATCH of each BM25 pool query, counted afterwards
    pools = store.lexical_pools

    def recorded_pools(match, limit, languages):
        pool_queries.append(match)
        return pools(match, limit, languages)

    warm = [f"{QUERIES[i % len(QUERIES)]} warm {i}" for i in range(20)]
    for q in warm:
        searcher.search(SearchRequest(q=q, k=10))
    spent, calls = Counter(), Counter()
    store.lexical_pools = recorded_pools
    for name in STORE_CALLS:
        if hasattr(store, name):
            timed(store, name, spent, calls)
    timed(searcher, "plan", spent, calls)

    queries = [f"{QUERIES[i % len(QUERIES)]} {i}" for i in range(args.queries)]
    latencies, cpu0 = [], time.process_time()
    for q in queries:
        start = time.perf_counter()
        searcher.search(SearchRequest(q=q, k=10))
        latencies.append((time.perf_counter() - start) * 1e3)
    cpu = time.process_time() - cpu0
    n = len(queries)
    wall = sum(latencies) / 1e3
    print(f"synthetic {store.vectors.ntotal} passages, {n} queries, one thread, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"wall p50 {np.percentile(latencies, 50):.1f} ms, p95 {np.percentile(latencies, 95):.1f}"
          f" ms, mean {1e3 * wall / n:.1f} ms; CPU {1e3 * cpu / n:.1f} ms per query")
    for name, seconds in spent.most_common():
        print(f"  {name:14} {1e3 * seconds / n:6.1f} ms/query  ({calls[name] / n:.1f} calls)")
    rest = wall - sum(spent.values())
    print(f"  {'rest (Python)':14} {1e3 * rest / n:6.1f} ms/query")
    matches = [store._one("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?",
                          (m,))[0] for m in pool_queries]
    if matches:
        print(f"BM25 pool query: passages matched per query: mean {np.mean(matches):.0f}, "
              f"max {max(matches)} (of {store.vectors.ntotal})")
    loaded.close()


if __name__ == "__main__":
    main()
