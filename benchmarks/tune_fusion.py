"""Grid-search the fusion parameters on BEIR dev sets, offline.

Usage: python benchmarks/tune_fusion.py ../shared/eval/* [--work var/eval]

Each query's candidate pool (dense and lexical scores of the union of both halves) is
collected once through the real Searcher; then every parameter combination is scored by
re-running only `index.query.fusion.fuse` on those pools. Run `policykb eval` first so the
indexes exist. Prints nDCG@10 per set for each combination and the best overall.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.model.embed import Embedder  # noqa: E402
from index.evaluation.beir import load_beir  # noqa: E402
from index.evaluation.metrics import ndcg_at  # noqa: E402
from index.evaluation.run import EVAL_SETTINGS, ensure_index  # noqa: E402
from index.query.fusion import FusionParams, fuse  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402
from index.query.search import scripts_of_lang  # noqa: E402
from index.storage.vectors import search_vectors  # noqa: E402
from index.query import lexical  # noqa: E402
from ingest.text.normalize import normalize_for_model  # noqa: E402
from ingest.language import script_of  # noqa: E402

GOALS = {"stard-zh": 0.458, "parsinlu-fa": 0.861, "cmrc-zh": 0.977, "ntrex-xling": 0.860}


def collect(folder: Path, work: Path, embedder: Embedder, pool: int) -> list[dict]:
    """Per query: candidate doc ids, raw dense and lexical scores, script agreement, qrels."""
    beir = load_beir(folder)
    index_dir = ensure_index(beir, work, embedder, EVAL_SETTINGS)
    loaded = load_generation(index_dir)
    out = []
    # the product embeds the normalised query (index.query.search.Searcher._embed_query)
    qvecs = embedder.encode_queries([normalize_for_model(q["text"]) for q in beir.queries.values()])
    for (qid, q), qv in zip(beir.queries.items(), qvecs):
        terms = lexical.query_terms(q["text"])
        match = lexical.fts_query(terms)
        dense_hits = search_vectors(loaded.store.vectors, qv, pool)
        lex_hits = loaded.store.lexical(match, pool) if match else []
        dense, lex = dict(dense_hits), dict(lex_hits)
        ids = list(dict.fromkeys([i for i, _ in dense_hits] + [i for i, _ in lex_hits]))
        miss = [i for i in ids if i not in dense]
        if miss:
            vecs = np.vstack([loaded.store.vectors.reconstruct(int(i)) for i in miss])
            dense.update(zip(miss, (vecs @ qv).tolist()))
        miss = [i for i in ids if i not in lex]
        if match and miss and lex:
            lex.update(loaded.store.lexical_for(match, miss))
        rows = loaded.store.passages(ids)
        qs = script_of(q["text"])
        out.append({
            "docs": [rows[i]["doc_id"] for i in ids],
            "dense": np.array([dense[i] for i in ids]),
            "lex": np.array([lex.get(i, 0.0) for i in ids]),
            "ok": np.array([not qs or bool(scripts_of_lang(rows[i]["language"]) & qs)
                            for i in ids]),
            "rel": beir.qrels[qid],
        })
    loaded.close()
    return out


def score(pools: list[dict], params: FusionParams | None, mode: str = "hybrid") -> float:
    total = 0.0
    for p in pools:
        if mode == "dense":
            fused = p["dense"]
        elif mode == "lexical":
            fused = p["lex"]
        else:
            fused = fuse(p["dense"], p["lex"], p["ok"], params)
        ranked = list(dict.fromkeys(p["docs"][j] for j in np.argsort(-fused, kind="stable")))
        total += ndcg_at(ranked, p["rel"], 10)
    return total / max(1, len(pools))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--work", type=Path, default=Path("var/eval"))
    ap.add_argument("--pool", type=int, default=100)
    args = ap.parse_args()
    embedder = Embedder()
    pools = {}
    for f in args.sets:
        cached = args.work / f"tune-pools-{f.name}.pkl"
        if cached.is_file():
            pools[f.name] = pickle.loads(cached.read_bytes())
        else:
            pools[f.name] = collect(f, args.work, embedder, args.pool)
            cached.write_bytes(pickle.dumps(pools[f.name]))
    for name, p in pools.items():
        print(f"{name:12} dense={score(p, None, 'dense'):.4f} lexical={score(p, None, 'lexical'):.4f}"
              f" default={score(p, FusionParams()):.4f}")
    grid = itertools.product([0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0], [0.0, 0.5, 1.0],
                             [True, False], [0.0, 0.02, 0.05, 0.1])
    best = []
    for w, boost, same, scale in grid:
        params = FusionParams(lexical_weight=w, peak_boost=boost, same_script_only=same,
                              dense_scale=scale)
        res = {name: score(p, params) for name, p in pools.items()}
        margin = min(res[n] - GOALS.get(n, 0) for n in res)
        best.append((margin, w, boost, same, scale, res))
        print(f"w={w:.2f} boost={boost:.1f} same_script={same!s:5} scale={scale:.2f} " +
              " ".join(f"{n}={v:.4f}" for n, v in res.items()))
    best.sort(key=lambda t: -t[0])
    print("best (min margin over goals):", best[0])


if __name__ == "__main__":
    main()
