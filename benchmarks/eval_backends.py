"""The same evaluation on both backends, in one run: nDCG@10, R@100, MRR@10 per mode.

Usage: python benchmarks/eval_backends.py SET [SET ...] --milvus-uri URI [--work var/eval]
       [--queries N] [--json OUT]

Each BEIR set is indexed once under --work (as `policykb eval` does, with the same
embedding cache), published to Milvus, and evaluated through `index.evaluation.run`
on the local backend and on Milvus. `--queries N` keeps the first N queries of each set
(file order), the same ones for both backends. Prints one row per set and mode with
both backends' metrics and the nDCG@10 difference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.evaluation.beir import load_beir  # noqa: E402
from index.evaluation.run import EVAL_SETTINGS, MODES, ensure_index, evaluate_set  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from index.query.fusion import FusionParams  # noqa: E402
from index.storage.backends import BackendConfig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--milvus-uri", required=True)
    ap.add_argument("--work", type=Path, default=Path("var/eval"))
    ap.add_argument("--queries", type=int, help="Only the first N queries of each set.")
    ap.add_argument("--json", type=Path, help="Also write the results here.")
    args = ap.parse_args()
    emb = Embedder()
    out = []
    for folder in args.sets:
        beir = load_beir(folder)
        if args.queries:
            beir = replace(beir, queries=dict(list(beir.queries.items())[: args.queries]))
        index_dir = ensure_index(beir, args.work, emb, EVAL_SETTINGS)
        row = {"set": beir.name, "queries": len(beir.queries)}
        for config in (BackendConfig(), BackendConfig("milvus", milvus_uri=args.milvus_uri)):
            t0 = time.perf_counter()
            row[config.name] = evaluate_set(beir, index_dir, emb, FusionParams(), MODES,
                                            backend=config)["modes"]
            print(f"{beir.name} {config.name}: {time.perf_counter() - t0:.0f}s", flush=True)
        out.append(row)
    print(f"{'set':12} {'mode':8} {'q':>5}  nDCG@10 local / milvus   diff   "
          f"R@100 local / milvus  MRR@10 local / milvus")
    for row in out:
        for mode in MODES:
            a, b = row["local"][mode]["all"], row["milvus"][mode]["all"]
            print(f"{row['set']:12} {mode:8} {a['queries']:5d}  {a['nDCG@10']:.4f} / "
                  f"{b['nDCG@10']:.4f}  {b['nDCG@10'] - a['nDCG@10']:+.4f}   "
                  f"{a['R@100']:.4f} / {b['R@100']:.4f}    {a['MRR@10']:.4f} / {b['MRR@10']:.4f}")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
