"""Write stard-zh / stard-xling on a subsample of their 26k-article corpus, for quick evals.

Every article a dev question is answered by, plus 5,000 others drawn at random (seed 14):
embedding 5.5k articles takes minutes where the whole corpus takes over an hour on 2
cores. Numbers on it are higher than on the whole corpus (fewer distractors); compare
runs on the same subsample only (README, "Retrieval quality").

    python benchmarks/stard_subsample.py --shared ../shared/eval --out var/sub
    policykb eval var/sub/stard-xling-sub var/sub/stard-zh-sub [--no-translate]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

SETS = ("stard-xling", "stard-zh")


def relevant_ids(folder: Path) -> set[str]:
    out = set()
    for line in (folder / "qrels" / "dev.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].isdigit():
            out.add(parts[1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--out", type=Path, default=Path("var/sub"))
    ap.add_argument("--others", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    rel = set().union(*(relevant_ids(args.shared / name) for name in SETS))
    lines = (args.shared / "stard-zh" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    corpus = [json.loads(line) for line in lines if line.strip()]
    others = [d["_id"] for d in corpus if d["_id"] not in rel]
    random.seed(args.seed)
    keep = rel | set(random.sample(others, args.others))
    for name in SETS:
        out = args.out / f"{name}-sub"
        (out / "qrels").mkdir(parents=True, exist_ok=True)
        with open(out / "corpus.jsonl", "w", encoding="utf-8") as fh:
            for d in corpus:
                if d["_id"] in keep:
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        shutil.copy(args.shared / name / "queries.jsonl", out / "queries.jsonl")
        shutil.copy(args.shared / name / "qrels" / "dev.tsv", out / "qrels" / "dev.tsv")
    print(f"{len(rel)} relevant + {args.others} others = {len(keep)} articles in {args.out}")


if __name__ == "__main__":
    main()
