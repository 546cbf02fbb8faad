"""Pseudo-relevance feedback on the lexical half, measured before building it: does
expanding a (translated) query with the top terms of its first BM25 hits find more of
stard-xling's Chinese answers?

Cheap like benchmarks/xling_lexical.py (no model; same cached tokens and BM25 matrix). The
expansion is RM3-like: the idf-weighted BM25 mass of each term over the top `docs` hits,
the best `terms` of them added at `alpha` times their share of the best one. Parameters
are chosen on the odd-numbered questions and reported on the even ones (held out).

Run: PYTHONPATH=. python benchmarks/xling_prf.py [--eval /work/shared/eval]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from benchmarks.xling_lexical import (Bm25Matrix, corpus_tokens, evaluate, read_jsonl,
                                      read_qrels, zh_weights)
from index.query.cedict import load_cedict
from index.query.lexical import STOPWORDS, analyze, query_terms
from index.query.termbank import load_term_bank

GRID = {"docs": (3, 5, 10), "terms": (10, 20, 40), "alpha": (0.2, 0.4, 0.8)}


def expand(index: Bm25Matrix, csc, inverse: list[str], weights: dict[str, float],
           docs: int, terms: int, alpha: float) -> dict[str, float]:
    hits = index.search(weights, docs)
    if not hits:
        return weights
    mass = np.asarray(csc[:, hits].sum(axis=1)).ravel()
    best = np.argsort(-mass)[: terms * 2]
    top = mass[best[0]] or 1.0
    out = dict(weights)
    added = 0
    for i in best:
        term = inverse[i]
        if term in STOPWORDS or len(term) < 2 or mass[i] <= 0:
            continue
        out[term] = max(out.get(term, 0.0), alpha * float(mass[i] / top))
        added += 1
        if added == terms:
            break
    return out


def halves(qrels: dict) -> tuple[dict, dict]:
    keys = sorted(qrels)
    return ({k: qrels[k] for k in keys[0::2]}, {k: qrels[k] for k in keys[1::2]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path("/work/shared/eval"))
    args = parser.parse_args()
    xl = args.eval / "stard-xling"
    ids, docs = corpus_tokens(xl / "corpus.jsonl", "stard", analyze)
    index = Bm25Matrix(docs)
    csc = index.m.tocsc()
    inverse = [""] * len(index.vocab)
    for term, i in index.vocab.items():
        inverse[i] = term
    bank, cedict = load_term_bank(), load_cedict()
    texts = {q["_id"]: q["text"] for q in read_jsonl(xl / "queries.jsonl")}
    sets = {}
    qrels = read_qrels(xl / "qrels" / "dev.tsv")
    for lang in ("en", "fa"):
        judged = {q: r for q, r in qrels.items() if q.endswith("-" + lang)}
        sets[lang] = (judged, {q: zh_weights(texts[q], lang, bank, cedict if lang == "en"
                                             else None) for q in judged})
    zh = args.eval / "stard-zh"
    zq = {q["_id"]: dict.fromkeys(query_terms(q["text"]), 1.0)
          for q in read_jsonl(zh / "queries.jsonl")}
    sets["zh"] = (read_qrels(zh / "qrels" / "dev.tsv"), zq)
    print(f"{'queries':6} {'setting':28} {'tune half':>9} {'held-out half':>13}")
    for lang, (judged, queries) in sets.items():
        tune, held = halves(judged)
        base = (evaluate(index, ids, queries, tune)[0], evaluate(index, ids, queries, held)[0])
        print(f"{lang:6} {'no feedback':28} {base[0]:9.3f} {base[1]:13.3f}")
        best = None
        for d, t, a in itertools.product(*GRID.values()):
            qs = {q: expand(index, csc, inverse, w, d, t, a) for q, w in queries.items()}
            score = evaluate(index, ids, qs, tune)[0]
            if best is None or score > best[0]:
                best = (score, (d, t, a), qs)
        score, (d, t, a), qs = best
        print(f"{lang:6} {f'docs {d}, terms {t}, alpha {a}':28} {score:9.3f} "
              f"{evaluate(index, ids, qs, held)[0]:13.3f}")


if __name__ == "__main__":
    main()
