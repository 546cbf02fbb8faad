"""Search latency through each backend on one index: local SQLite + FAISS vs Milvus.

Usage: python benchmarks/bench_milvus.py INDEX_DIR --milvus-uri URI [--prefix P]
       [--queries FILE.jsonl] [--n 100]

The local generation in INDEX_DIR is published to Milvus (a no-op if already there), then
the same queries (BEIR queries.jsonl `text`, or a built-in multilingual list) run through
`Searcher` on both, single-threaded, query vectors embedded beforehand so only storage and
fusion are timed. Prints p50/p95 per backend and mode, and how many pages differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.model.embed import Embedder  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402
from index.storage import backends  # noqa: E402

DEFAULT = ["pension insurance", "住房公积金", "social security contributions",
           "بیمه تامین اجتماعی", "employer contribution rate", "养老保险 缴费"]


def timed(searcher: Searcher, queries: list[str], mode: str) -> tuple[list[float], list]:
    times, pages = [], []
    for q in queries:
        t0 = time.perf_counter()
        page = searcher.search(SearchRequest(q=q, mode=mode, k=10))
        times.append((time.perf_counter() - t0) * 1e3)
        pages.append([h["passage_id"] for h in page.hits])
    return times, pages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--milvus-uri", required=True)
    ap.add_argument("--prefix", default="bench")
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    queries = ([json.loads(line)["text"] for line in args.queries.open(encoding="utf-8")]
               if args.queries else DEFAULT * 20)[: args.n]
    emb = Embedder()
    milvus = backends.BackendConfig("milvus", args.index_dir, milvus_uri=args.milvus_uri,
                                    milvus_prefix=args.prefix)
    t0 = time.perf_counter()
    backends.publish(milvus)
    print(f"publish {time.perf_counter() - t0:.1f}s")
    results = {}
    for config in (backends.BackendConfig(index_dir=args.index_dir), milvus):
        loaded = backends.load(config, model_id=emb.model_id, dim=emb.dim)
        searcher = Searcher(loaded, emb)
        searcher.prime_queries(queries)
        timed(searcher, queries[:5], "hybrid")  # warm caches and connections
        for mode in ("hybrid", "lexical", "dense"):
            times, pages = timed(searcher, queries, mode)
            results[(config.name, mode)] = pages
            q = statistics.quantiles(times, n=20)
            print(f"{config.name:6} {mode:7} p50 {statistics.median(times):6.1f} ms  "
                  f"p95 {q[18]:6.1f} ms  ({len(times)} queries)")
        loaded.close()
    for mode in ("hybrid", "lexical", "dense"):
        a, b = results[("local", mode)], results[("milvus", mode)]
        print(f"{mode}: {sum(x != y for x, y in zip(a, b))} of {len(a)} pages differ in ids")


if __name__ == "__main__":
    main()
