"""Build throughput against raw model.encode, and update against a full build, in one run.

Usage: python benchmarks/bench_build.py [--corpus corpus] [--work var/bench-build]

Prints on the same passages: raw encoding passages/s (plain `SentenceTransformer.encode`
and the product's own `Embedder.encode_passages`), end-to-end `policykb build`
passages/s (ingest, embed, FTS5, FAISS, enrichment, verification; empty embedding cache)
and its ratio to the faster raw encoder (goal >= 0.9); then `update` on the unchanged
corpus: passages re-embedded (goal 0) and its time as a share of the build (goal < 5%).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.build import BuildSettings, build_index, embed_text  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from ingest.manifest import load_manifest  # noqa: E402
from ingest.pipeline import ingest_path  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--work", type=Path, default=Path("var/bench-build"))
    args = ap.parse_args()
    embedder = Embedder()
    settings = BuildSettings()
    report = ingest_path(args.corpus, embedder.count_tokens, manifest=load_manifest(args.corpus))
    texts = [embed_text(p.text, d.meta.title, p.heading_path, settings.context)
             for d in report.documents for p in d.passages]
    embedder.encode_passages(texts[:32])  # warm up
    t = time.perf_counter()
    embedder._st.encode(texts, prompt=embedder.passage_prompt, batch_size=embedder.batch_size,
                        normalize_embeddings=True)
    plain_s = time.perf_counter() - t
    t = time.perf_counter()
    embedder.encode_passages(texts)
    ours_s = time.perf_counter() - t
    raw_s = min(plain_s, ours_s)  # the ratio is taken against the faster raw encoder
    shutil.rmtree(args.work, ignore_errors=True)
    t = time.perf_counter()
    result = build_index(args.corpus, args.work, embedder)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    update = build_index(args.corpus, args.work, embedder, update=True)
    update_s = time.perf_counter() - t
    n = len(texts)
    print(f"passages={n}  raw SentenceTransformer.encode (batch {embedder.batch_size}): "
          f"{n / plain_s:.1f} passages/s ({plain_s:.1f}s); raw Embedder.encode_passages: "
          f"{n / ours_s:.1f} passages/s ({ours_s:.1f}s)")
    print(f"build end-to-end: {result.n_passages / build_s:.1f} passages/s ({build_s:.1f}s, "
          f"embedded {result.n_embedded}); stage seconds: "
          + ", ".join(f"{k}={v:.1f}" for k, v in result.timings.items()))
    print(f"ratio build/raw (the faster raw): {(result.n_passages / build_s) / (n / raw_s):.3f} "
          "(goal >= 0.9)")
    print(f"update unchanged corpus: {update.n_embedded} re-embedded, {update_s:.2f}s = "
          f"{100 * update_s / build_s:.1f}% of the build (goal 0 and < 5%)")


if __name__ == "__main__":
    main()
