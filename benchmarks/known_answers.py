"""Known-answer report over a built index of corpus/: the rank of each expected answer and
whether the returned clause holds the expected sentence.

The test suite asserts thresholds on the same set; this prints every query so a change to
ranking or clause selection shows exactly which answers moved.

    python benchmarks/known_answers.py --index var/index
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.model.embed import Embedder  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402
from ingest.text.normalize import normalize  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=REPO / "var" / "index")
    parser.add_argument("--answers", type=Path, default=REPO / "corpus" / "known_answers.jsonl")
    args = parser.parse_args()
    embedder = Embedder()
    gen = load_generation(args.index, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(gen, embedder)
    items = [json.loads(x) for x in args.answers.read_text(encoding="utf-8").splitlines() if x.strip()]
    totals: dict[str, list[int]] = {}
    for item in items:
        lang = gen.store.document(item["expected_doc"])["language"]
        filt = [] if lang == item["lang"] else [lang]
        want = normalize(item["expected_text"])
        docs = {item["expected_doc"], *item.get("also_ok", [])}
        result = searcher.search(SearchRequest(q=item["query"], k=10, lang=filt))
        rank, clause_ok, clause = None, False, ""
        for r, hit in enumerate(result.hits, 1):
            in_doc = hit["doc_id"] in docs or any(a["doc_id"] in docs for a in hit["also_in"])
            if in_doc and want in normalize(hit["text"]):
                rank = r
                clause = hit["text"][hit["clause"]["start"]:hit["clause"]["end"]]
                c = normalize(clause)
                clause_ok = want in c or c in want
                break
        kind = "same" if not filt else "cross"
        t = totals.setdefault(f"{item['lang']}-{kind}", [0, 0, 0])
        t[0] += 1
        t[1] += rank is not None
        t[2] += clause_ok
        mark = "ok " if clause_ok else "-- "
        print(f"{item['id']:6} {kind:5} rank={rank!s:4} clause {mark}{clause[:70]!r}")
        if not clause_ok and rank is not None:
            print(f"{'':12} want {item['expected_text'][:70]!r}")
    print()
    for key, (n, found, ok) in sorted(totals.items()):
        print(f"{key:9} queries {n:2}  in top 10: {found:2}  clause holds expected: {ok:2}")
    gen.close()


if __name__ == "__main__":
    main()
