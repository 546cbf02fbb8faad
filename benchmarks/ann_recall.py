"""Recall@10 of the HNSW settings the build uses, on real embeddings, against exact search.

Usage: python benchmarks/ann_recall.py --index var/eval/stard-zh \
           --queries ../shared/eval/stard-zh/queries.jsonl

The synthetic 100k index of bench_search.py is built from ~10k real vectors plus small
noise, so its neighbourhoods are balls of near-ties where "the exact top 10" is decided by
the noise; this script measures the same HNSW parameters (index/vectors.py) on a real
corpus's passage vectors with real query embeddings, for several efSearch values.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.storage import vectors  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=Path, required=True, help="BEIR queries.jsonl")
    ap.add_argument("--ef", type=int, nargs="+", default=[64, 128, 256])
    args = ap.parse_args()
    gen = load_generation(args.index)
    ids = vectors.stored_ids(gen.store.vectors)
    X = np.vstack([gen.store.vectors.reconstruct(int(i)) for i in ids]).astype(np.float32)
    texts = [json.loads(x)["text"] for x in args.queries.read_text(encoding="utf-8").splitlines()
             if x.strip()]
    Q = Embedder().encode_queries(texts)
    exact = faiss.IndexFlatIP(X.shape[1])
    exact.add(X)
    t = time.perf_counter()
    _, truth = exact.search(Q, 10)
    exact_ms = (time.perf_counter() - t) / len(Q) * 1e3
    t = time.perf_counter()
    ann = vectors.build_vector_index(X, ids, "hnsw")
    build_s = time.perf_counter() - t
    graph = vectors.inner_hnsw(ann)
    print(f"vectors={len(X)} queries={len(Q)} HNSW M={vectors.HNSW_M} "
          f"efConstruction={vectors.HNSW_EF_CONSTRUCTION} built in {build_s:.1f}s; "
          f"exact {exact_ms:.2f} ms/query")
    for ef in args.ef:
        graph.hnsw.efSearch = ef
        t = time.perf_counter()
        _, got = ann.search(Q, 10)
        ms = (time.perf_counter() - t) / len(Q) * 1e3
        recall = np.mean([len(set(ids[truth[i]]) & set(got[i])) / 10 for i in range(len(Q))])
        mark = " (served)" if ef == vectors.HNSW_EF_SEARCH else ""
        print(f"efSearch={ef:4d}{mark:9} recall@10 vs exact={recall:.3f}  {ms:.2f} ms/query")
    gen.close()


if __name__ == "__main__":
    main()
