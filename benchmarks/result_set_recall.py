"""How many dev questions keep an answer in their result set under the relevance rules.

For each BEIR set indexed by `policykb eval` (under --work), every dev question is searched
twice: the full ranking (no relevance rule, as `policykb eval` ranks) and the result set a
user gets. Prints the share of questions whose answer (a relevant document in the top 100
of the full ranking) is still in the result set, and nDCG@10 of the result set's ranking
against the full one; the same for the even and the odd half of the questions (by
position in queries.jsonl), so a constant fitted on one half can be checked on the other.

    python benchmarks/result_set_recall.py ../shared/eval/parsinlu-fa --work var/eval
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.evaluation.beir import load_beir  # noqa: E402
from index.evaluation.metrics import ndcg_at  # noqa: E402
from index.model.embed import Embedder  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402


def docs_of(pool: list) -> list[str]:
    seen: dict[str, None] = {}
    for c in pool:
        for doc in [c.row["doc_id"], *(a["doc_id"] for a in c.also_in)]:
            seen.setdefault(doc, None)
    return list(seen)


def score_set(searcher: Searcher, beir) -> list[dict[str, float]]:
    """Per query (in file order): answerable, kept, nDCG@10 full and of the result set."""
    out = []
    for qid, q in beir.queries.items():
        rel = beir.qrels[qid]
        req = SearchRequest.model_validate({"q": q["text"][:1000]})
        full = docs_of(searcher.result_set(req, depth=100, floor=False))[:100]
        shown = docs_of(searcher.result_set(req, depth=100))
        answerable = any(rel.get(d, 0) > 0 for d in full)
        out.append({"answerable": answerable,
                    "kept": answerable and any(rel.get(d, 0) > 0 for d in shown),
                    "full": ndcg_at(full, rel, 10), "shown": ndcg_at(shown, rel, 10)})
    return out


def summary(rows: list[dict[str, float]]) -> str:
    answerable, kept = sum(r["answerable"] for r in rows), sum(r["kept"] for r in rows)
    full, shown = (sum(r[key] for r in rows) / len(rows) for key in ("full", "shown"))
    return (f"answers kept {kept}/{answerable} ({100 * kept / max(answerable, 1):.1f}%)"
            f"  nDCG@10 full {full:.4f} -> result set {shown:.4f} ({shown - full:+.4f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "eval")
    args = ap.parse_args()
    embedder = Embedder()
    for folder in args.sets:
        beir = load_beir(folder)
        gen = load_generation(args.work / beir.name, model_id=embedder.model_id, dim=embedder.dim)
        searcher = Searcher(gen, embedder)
        searcher.prime_queries([q["text"] for q in beir.queries.values()])
        rows = score_set(searcher, beir)
        print(f"{beir.name:14} {summary(rows)}")
        # Halves by position in queries.jsonl: fit a constant on one, check it on the other.
        for half in (0, 1):
            print(f"{'':14} {('even', 'odd')[half]:>4} half: {summary(rows[half::2])}")
        gen.close()


if __name__ == "__main__":
    main()
