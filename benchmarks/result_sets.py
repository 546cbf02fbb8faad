"""How the result-set rules behave on an index: nonsense gets "no results", answers stay.

Prints the share of the nonsense / out-of-domain set (benchmarks/data/nonsense_queries.jsonl)
that gets an empty result set, per kind and language; for the known-answer set, how many
answers are on the first page (or one "more from this document" click away), and for
mixed-topic queries which languages page 1 shows against those the result set holds.

    python benchmarks/result_sets.py --index var/index
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.model.embed import Embedder  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402
from index.storage.generation import load_generation  # noqa: E402

MIXED = ["pension fund supervision", "long-term care insurance", "multi-pillar pensions",
         "养老保险基金监管", "长期护理保险", "多层次养老保险体系", "نظارت بر صندوق",
         "بیمه مراقبت بلندمدت", "نظام بازنشستگی چندلایه", "unemployment insurance benefits"]


def empty_share(searcher: Searcher, path: Path) -> None:
    items = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    groups: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        empty = searcher.search(SearchRequest(q=item["text"], k=10)).total == 0
        groups["all"].append(empty)
        groups[f"{item['kind']} ({item['lang']})"].append(empty)
    for name, flags in sorted(groups.items()):
        print(f"  nonsense {name:28} {sum(flags):4d}/{len(flags):<4d} empty "
              f"({100 * sum(flags) / len(flags):.1f}%)")


def first_pages(searcher: Searcher) -> None:
    for q in MIXED:
        page = searcher.search(SearchRequest(q=q, k=10))
        shown = sorted({h["language"] for h in page.hits})
        held = sorted(page.facets.get("language", {}))
        per_doc = max([sum(h["doc_id"] == d["doc_id"] for h in page.hits) for d in page.hits],
                      default=0)
        print(f"  {q[:34]:34} total {page.total:4d}  page-1 languages {shown} of {held}  "
              f"max passages of one document {per_doc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "index")
    ap.add_argument("--nonsense", type=Path,
                    default=ROOT / "benchmarks" / "data" / "nonsense_queries.jsonl")
    args = ap.parse_args()
    embedder = Embedder()
    gen = load_generation(args.index, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(gen, embedder)
    print(f"index {args.index} ({gen.id})")
    first_pages(searcher)
    empty_share(searcher, args.nonsense)


if __name__ == "__main__":
    main()
