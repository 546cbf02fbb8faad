"""Cross-lingual lexical retrieval on stard-xling: BM25 over the Chinese statutes with the
English/Persian question replaced by its translated Chinese terms (term bank, CC-CEDICT,
both), beside the Chinese questions; and the Persian stemmer on parsinlu-fa lexical.

Cheap by design (no model): the corpus is tokenised once with index.lexical.analyze and
cached under var/. BM25 is FTS5's formula (k1 1.2, b 0.75); a translated query is a
weighted sum, each Chinese token weighted by the best translation that produced it.

Run: PYTHONPATH=. python benchmarks/xling_lexical.py [--eval /work/shared/eval]
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import sparse

from index.query.lexical import STOPWORDS, analyze, query_terms
from index.query.cedict import load_cedict
from index.query.stem_fa import stem_fa
from index.query.termbank import TermBank, load_term_bank
from index.query.translate import translate_query

CACHE = Path(__file__).resolve().parent.parent / "var"


class Bm25Matrix:
    """Term x document BM25 contributions, so a weighted query is one sparse product."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        lengths = np.array([len(d) for d in docs], dtype=float)
        avg = lengths.mean() or 1.0
        for j, doc in enumerate(docs):
            counts: dict[int, int] = defaultdict(int)
            for tok in doc:
                counts[self.vocab.setdefault(tok, len(self.vocab))] += 1
            norm = k1 * (1 - b + b * lengths[j] / avg)
            for t, f in counts.items():
                rows.append(t)
                cols.append(j)
                vals.append(f * (k1 + 1) / (f + norm))
        m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(self.vocab), len(docs)))
        df = np.diff(m.indptr)
        n = len(docs)
        self.idf = np.maximum(np.log((n - df + 0.5) / (df + 0.5)), 1e-6)
        self.m = sparse.diags(self.idf) @ m

    def search(self, weights: dict[str, float], k: int = 100) -> list[int]:
        ids = [(self.vocab[t], w) for t, w in weights.items() if t in self.vocab]
        if not ids:
            return []
        q = sparse.csr_matrix(([w for _, w in ids], ([0] * len(ids), [i for i, _ in ids])),
                              shape=(1, len(self.vocab)))
        scores = (q @ self.m).toarray().ravel()
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        return [int(i) for i in top[np.argsort(-scores[top])] if scores[i] > 0]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for line in path.open(encoding="utf-8").read().splitlines()[1:]:
        q, d, s = line.split("\t")
        out[q][d] = int(s)
    return out


def metrics(ranked: list[str], rel: dict[str, int]) -> tuple[float, float]:
    """(nDCG@10, Recall@100) of one ranking."""
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = {d for d, g in rel.items() if g > 0}
    return (dcg / idcg if idcg else 0.0,
            len(relevant & set(ranked[:100])) / len(relevant) if relevant else 0.0)


def corpus_tokens(corpus: Path, name: str, tokenize) -> tuple[list[str], list[list[str]]]:
    cache = CACHE / f"{name}.tokens.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    entries = read_jsonl(corpus)
    out = ([str(e["_id"]) for e in entries],
           [tokenize(e.get("title") or "") + tokenize(e.get("text") or "") for e in entries])
    CACHE.mkdir(exist_ok=True)
    cache.write_bytes(pickle.dumps(out))
    return out


def evaluate(index: Bm25Matrix, ids: list[str], queries: dict[str, dict[str, float]],
             qrels: dict[str, dict[str, int]]) -> tuple[float, float, int]:
    """Mean nDCG@10, mean R@100 over all judged queries, and how many had any term."""
    nd, rc, hit = [], [], 0
    for qid, rel in qrels.items():
        weights = queries.get(qid, {})
        hit += bool(weights)
        ranked = [ids[i] for i in index.search(weights)] if weights else []
        a, b = metrics(ranked, rel)
        nd.append(a)
        rc.append(b)
    return float(np.mean(nd)), float(np.mean(rc)), hit


def zh_weights(text: str, lang: str, bank: TermBank, dictionary, flat: bool = False) -> dict[str, float]:
    """Chinese BM25 tokens of a translated query, each at its best translation's weight."""
    out: dict[str, float] = {}
    for t in translate_query(text, lang, bank, dictionary):
        if t.lang != "zh":
            continue
        for tok in analyze(t.term):
            if tok not in STOPWORDS:
                out[tok] = max(out.get(tok, 0.0), 1.0 if flat else t.weight)
    return out


def run_stard(root: Path) -> None:
    xl = root / "stard-xling"
    ids, docs = corpus_tokens(xl / "corpus.jsonl", "stard", analyze)
    index = Bm25Matrix(docs)
    qrels = read_qrels(xl / "qrels" / "dev.tsv")
    queries = read_jsonl(xl / "queries.jsonl")
    bank, empty, cedict = load_term_bank(), TermBank(), load_cedict()
    print(f"stard corpus {len(ids)} articles, vocab {len(index.vocab)}; bank {len(bank.entries)} senses")
    print(f"{'queries':10} {'source':22} {'nDCG@10':>8} {'R@100':>7} {'translated':>11}")
    for lang in ("en", "fa"):
        judged = {q: r for q, r in qrels.items() if q.endswith("-" + lang)}
        texts = {q["_id"]: q["text"] for q in queries if q["_id"] in judged}
        setups = [("termbank", bank, None, False), ("termbank flat", bank, None, True)]
        if lang == "en" and cedict is not None:
            setups += [("cedict", empty, cedict, False), ("termbank+cedict", bank, cedict, False),
                       ("termbank+cedict flat", bank, cedict, True)]
        for label, b, d, flat in setups:
            qs = {q: zh_weights(t, lang, b, d, flat) for q, t in texts.items()}
            nd, rc, hit = evaluate(index, ids, qs, judged)
            print(f"stard-{lang:4} {label:22} {nd:8.3f} {rc:7.3f} {hit:5}/{len(judged)}")
    zh = root / "stard-zh"
    zq = {q["_id"]: dict.fromkeys(query_terms(q["text"]), 1.0) for q in read_jsonl(zh / "queries.jsonl")}
    nd, rc, hit = evaluate(index, ids, zq, read_qrels(zh / "qrels" / "dev.tsv"))
    print(f"stard-zh   {'chinese question':22} {nd:8.3f} {rc:7.3f} {hit:5}/{len(zq)}")


def fa_words(text: str) -> list[str]:
    return analyze(text)


def run_parsinlu(root: Path) -> None:
    pf = root / "parsinlu-fa"
    ids, docs = corpus_tokens(pf / "corpus.jsonl", "parsinlu", fa_words)
    qrels = read_qrels(pf / "qrels" / "dev.tsv")
    queries = {q["_id"]: q["text"] for q in read_jsonl(pf / "queries.jsonl")}
    for label, stem in (("no stemming", False), ("stem_fa both sides", True)):
        index = Bm25Matrix([[stem_fa(t) for t in d] for d in docs] if stem else docs)
        qs = {q: {(stem_fa(t) if stem else t): 1.0 for t in query_terms(text)}
              for q, text in queries.items()}
        nd, rc, hit = evaluate(index, ids, qs, qrels)
        print(f"parsinlu-fa {label:21} {nd:8.3f} {rc:7.3f} {hit:5}/{len(qrels)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=Path("/work/shared/eval"), help="BEIR sets root")
    args = parser.parse_args()
    run_stard(args.eval)
    run_parsinlu(args.eval)


if __name__ == "__main__":
    main()
