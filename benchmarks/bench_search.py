"""In-process search latency at 10k and 100k passages, next to exact FAISS alone.

Usage: python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 200]

Prints, per size: the vector index kind chosen, p50/p95 of a full hybrid search (query
embedding, FAISS, FTS5, fusion, clause and highlights of 10 hits), p50/p95 of exact FAISS
search alone on the same vectors and queries, and recall@10 of the served index vs exact.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.synthetic import build_synthetic  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402

QUERIES = ["multi-pillar pensions", "养老保险基金监管", "نظارت بر صندوق", "work injury benefits",
           "失业保险金的领取期限", "بیمه بیکاری", "fund supervision and management",
           "住房公积金提取", "مراقبت بلندمدت", "medical insurance fund misuse", "社会救助",
           "social security coverage for rural residents", "基本医疗保险", "امنیت اجتماعی"]


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q))


def run(size: int, n_queries: int, work: Path, embedder: Embedder) -> None:
    index_dir = work / f"synthetic-{size}"
    t0 = time.perf_counter()
    build_synthetic(index_dir, size, embedder)
    build_s = time.perf_counter() - t0
    loaded = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(loaded, embedder)
    queries = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}")
               for i in range(n_queries)]
    qvecs = embedder.encode_queries(queries)
    ours, exact_t, recalls = [], [], []
    ntotal = loaded.store.vectors.ntotal
    flat_vectors = np.vstack([loaded.store.vectors.reconstruct(int(i))
                              for i in faiss.vector_to_array(loaded.store.vectors.id_map)])
    exact = faiss.IndexFlatIP(flat_vectors.shape[1])
    exact.add(flat_vectors)
    ids = faiss.vector_to_array(loaded.store.vectors.id_map)
    for q, qv in zip(queries, qvecs):
        t = time.perf_counter()
        searcher.search(SearchRequest(q=q, k=10))
        ours.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        _, ex = exact.search(qv.reshape(1, -1), 10)
        exact_t.append((time.perf_counter() - t) * 1e3)
        _, served = loaded.store.vectors.search(qv.reshape(1, -1), 10)
        recalls.append(len(set(ids[ex[0]]) & set(served[0])) / 10)
    kind = loaded.manifest["vectors"]["kind"]
    print(f"size={ntotal:>7} index={kind:5} build={build_s:6.1f}s  "
          f"hybrid p50={pct(ours, 50):6.1f}ms p95={pct(ours, 95):6.1f}ms  "
          f"exact-faiss p50={pct(exact_t, 50):5.2f}ms p95={pct(exact_t, 95):5.2f}ms  "
          f"ratio(p50)={pct(ours, 50) / max(pct(exact_t, 50), 1e-6):5.1f}x  "
          f"recall@10 vs exact={statistics.mean(recalls):.3f}")
    loaded.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--work", type=Path, default=Path("var/bench"))
    args = ap.parse_args()
    embedder = Embedder()
    for size in args.sizes:
        run(size, args.queries, args.work, embedder)


if __name__ == "__main__":
    main()
