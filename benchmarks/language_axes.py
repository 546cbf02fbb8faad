"""Dense retrieval with and without the language axes (index/query/language_axes.py).

Usage:
    python benchmarks/language_axes.py ../shared/eval/ntrex-xling ../shared/eval/stard-xling \
        [--cache var/eval/cache/embeddings.sqlite]
    python benchmarks/language_axes.py --write   # the default model's shipped axes
    python benchmarks/language_axes.py --floor-shift ../shared/eval/ntrex-xling \
        ../shared/eval/parsinlu-fa ../shared/eval/cmrc-zh ../shared/eval/stard-xling

For each BEIR set: the product's own passages (eval splitter settings), their raw vectors
from the embedding cache (missing ones are embedded), the dev queries embedded once; then
dense nDCG@10 per query language, documents ranked at their best passage, exact inner
product, without the axes and with them, side by side, in one run. Besides the shipped
axes (from all 1,525 term-bank senses) it reports axes fitted on random 200-sense samples,
to show how little the vocabulary's size matters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.build import embed_text  # noqa: E402
from index.evaluation.beir import load_beir  # noqa: E402
from index.evaluation.metrics import ndcg_at  # noqa: E402
from index.evaluation.run import EVAL_SETTINGS, beir_documents  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from index.query import language_axes as la  # noqa: E402
from index.storage.cache import EmbeddingCache, text_key  # noqa: E402


def passage_vectors(folder: Path, embedder: Embedder, cache_file: Path
                    ) -> tuple[np.ndarray, list[str], object]:
    beir = load_beir(folder)
    docs = beir_documents(beir, embedder.count_tokens, EVAL_SETTINGS)
    texts, owners = [], []
    for doc in docs:
        for p in doc.passages:
            texts.append(embed_text(p.text, doc.meta.title, p.heading_path, "none"))
            owners.append(doc.meta.id)
    cache = EmbeddingCache(cache_file, embedder.dim)
    keys = [text_key(embedder.fingerprint, t) for t in texts]
    found = cache.get_many(keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    if missing:
        print(f"  {folder.name}: embedding {len(missing)} passages not in the cache", flush=True)
        vecs = embedder.encode_passages([texts[i] for i in missing])
        cache.put_many([(keys[i], v) for i, v in zip(missing, vecs)])
        found.update({keys[i]: v for i, v in zip(missing, vecs)})
    cache.close()
    return np.vstack([found[k] for k in keys]).astype(np.float32), owners, beir


def dense_ndcg(X: np.ndarray, owners: list[str], Q: np.ndarray, langs: list[str],
               rels: list[dict[str, int]]) -> dict[str, float]:
    per: dict[str, list[float]] = defaultdict(list)
    for start in range(0, len(Q), 64):
        S = Q[start:start + 64] @ X.T
        top = np.argpartition(-S, min(300, S.shape[1] - 1), axis=1)[:, :300]
        for row, i in enumerate(range(start, min(start + 64, len(Q)))):
            ranked: list[str] = []
            for j in top[row][np.argsort(-S[row, top[row]])]:
                if owners[j] not in ranked:
                    ranked.append(owners[j])
                if len(ranked) == 10:
                    break
            per[langs[i]].append(ndcg_at(ranked, rels[i], 10))
    return {lang: round(float(np.mean(v)), 4) for lang, v in sorted(per.items())}


def sampled_axes(embedder: Embedder, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = {}
    for lang, terms in la.vocabulary().items():
        pick = [terms[i] for i in rng.choice(len(terms), min(n, len(terms)), replace=False)]
        means[lang] = embedder.encode_queries(pick).mean(axis=0)
    return la.fit_axes(means)


def floor_shift(sets: list[Path], embedder: Embedder, cache: Path, axes: np.ndarray) -> None:
    """Mean (axes removed - raw) cosine of pairs within 0.01 of each pair's relevance floor:
    the sets' dev queries and the nonsense set against the sets' passages (language_axes.
    FLOOR_SHIFT holds the result)."""
    from index.query.relevance import RelevanceParams, floor_of

    passages: dict[str, list[np.ndarray]] = defaultdict(list)
    queries: dict[str, list[str]] = defaultdict(list)
    for folder in sets:
        X, owners, beir = passage_vectors(folder, embedder, cache)
        langs = [d.language for d in beir_documents(beir, embedder.count_tokens, EVAL_SETTINGS)
                 for _ in d.passages]
        for lang in set(langs):
            passages[lang].append(X[np.array(langs) == lang][:3000])
        for q in beir.queries.values():
            queries[q.get("lang") or "zh"].append(q["text"])
    nonsense = REPO / "benchmarks/data/nonsense_queries.jsonl"
    for line in nonsense.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        queries[item["lang"]].append(item["text"])
    params = RelevanceParams()
    for ql in la.LANGUAGES:
        Q = embedder.encode_queries(queries[ql][:1500]).astype(np.float32)
        for pl, parts in sorted(passages.items()):
            P = np.vstack(parts)
            raw, moved = Q @ P.T, la.remove_axes(Q, axes) @ la.remove_axes(P, axes).T
            near = np.abs(raw - floor_of(ql, pl, params)) < 0.01
            print(f"  {ql}->{pl}: {near.sum():7d} pairs near the floor, shift "
                  f"{(moved - raw)[near].mean():+.4f} (sd {(moved - raw)[near].std():.4f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="*", type=Path)
    ap.add_argument("--cache", type=Path, default=REPO / "var/eval/cache/embeddings.sqlite")
    ap.add_argument("--write", action="store_true", help="write the default model's axes")
    ap.add_argument("--floor-shift", action="store_true",
                    help="measure language_axes.FLOOR_SHIFT on the sets instead")
    args = ap.parse_args()
    embedder = Embedder()
    if args.write:
        axes = la.compute_axes(embedder.encode_queries)
        np.savez(la.SHIPPED_AXES, axes=axes, fingerprint=np.array(embedder.fingerprint),
                 model=np.array(embedder.model_id))
        print(f"wrote {la.SHIPPED_AXES} ({axes.shape[0]} axes, model {embedder.model_id})")
    if args.floor_shift:
        floor_shift(args.sets, embedder, args.cache, la.axes_for(embedder.fingerprint,
                                                                 embedder.encode_queries))
        return
    axes = {"shipped": la.axes_for(embedder.fingerprint, embedder.encode_queries),
            "200 senses, seed 0": sampled_axes(embedder, 200, 0),
            "200 senses, seed 1": sampled_axes(embedder, 200, 1)}
    for folder in args.sets:
        X, owners, beir = passage_vectors(folder, embedder, args.cache)
        qids = [q for q in beir.queries if q in beir.qrels]
        texts = [beir.queries[q]["text"] for q in qids]
        langs = [beir.queries[q].get("lang") or "?" for q in qids]
        rels = [beir.qrels[q] for q in qids]
        Q = embedder.encode_queries(texts).astype(np.float32)
        print(f"{folder.name:14s} {'no axes':22s}", dense_ndcg(X, owners, Q, langs, rels))
        for name, A in axes.items():
            print(f"{folder.name:14s} {name:22s}",
                  dense_ndcg(la.remove_axes(X, A), owners, la.remove_axes(Q, A), langs, rels),
                  flush=True)


if __name__ == "__main__":
    main()
