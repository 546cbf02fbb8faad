"""Precision and recall of index.enrich.topics.assign_topics on the hand-labelled corpus sample.

Usage: python -m benchmarks.topic_precision [--corpus corpus] [--labels PATH]

Each line of benchmarks/data/topic_labels.jsonl names a passage of the shipped corpus
(doc_id, ordinal, the first 40 characters of its text) and the topics a person judged
correct after reading it. Scores are micro-averaged over (passage, topic) pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "benchmarks" / "data" / "topic_labels.jsonl"


def load_labels(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def labelled_rows(corpus: Path, labels: list[dict[str, Any]], count_tokens: Any
                  ) -> list[dict[str, Any]]:
    """The labelled passages as build rows (text, language, title, path), found by doc and
    ordinal, or by text prefix if the splitter has moved them since labelling."""
    from ingest.manifest import load_manifest
    from ingest.pipeline import ingest_path

    report = ingest_path(corpus, count_tokens, manifest=load_manifest(corpus))
    by_doc = {d.meta.id: d for d in report.documents}
    rows = []
    for lab in labels:
        doc = by_doc[lab["doc_id"]]
        found = [p for p in doc.passages if p.ordinal == lab["ordinal"]
                 and p.text.startswith(lab["prefix"])]
        found = found or [p for p in doc.passages if p.text.startswith(lab["prefix"])]
        if not found:
            raise SystemExit(f"labelled passage not found: {lab['doc_id']} #{lab['ordinal']}")
        p = found[0]
        rows.append({"text": p.text, "language": p.language, "title": doc.meta.title,
                     "path": p.heading_path, "gold": set(lab["topics"])})
    return rows


def score(rows: list[dict[str, Any]], predicted: list[list[str]]) -> dict[str, dict[str, float]]:
    """Micro precision/recall per language and overall."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # hit, predicted, gold
    for row, pred in zip(rows, predicted, strict=True):
        for key in (row["language"], "all"):
            c = counts[key]
            c[0] += len(set(pred) & row["gold"])
            c[1] += len(pred)
            c[2] += len(row["gold"])
    return {k: {"precision": c[0] / c[1] if c[1] else 1.0,
                "recall": c[0] / c[2] if c[2] else 1.0,
                "passages": sum(1 for r in rows if k in ("all", r["language"])),
                "assigned": c[1], "gold": c[2]} for k, c in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--show-errors", action="store_true", help="list wrong/missed topics")
    args = parser.parse_args()

    from index.build import BuildSettings, embed_text
    from index.model.embed import Embedder
    from index.enrich.topics import assign_topics, load_topics, topic_vectors

    started = time.perf_counter()
    embedder = Embedder()
    rows = labelled_rows(args.corpus, load_labels(args.labels), embedder.count_tokens)
    context = BuildSettings().context  # embed exactly as the build does
    vecs = embedder.encode_passages([embed_text(r["text"], r["title"], r["path"], context)
                                     for r in rows])
    topics = load_topics(args.corpus / "topics.json")
    predicted = assign_topics(rows, vecs, topics, topic_vectors(topics, embedder))
    results = score(rows, predicted)
    print(f"{'lang':5} {'passages':>8} {'gold':>5} {'assigned':>8} {'precision':>9} {'recall':>7}")
    for key in ("zh", "en", "fa", "all"):
        if key in results:
            r = results[key]
            print(f"{key:5} {r['passages']:8d} {r['gold']:5d} {r['assigned']:8d} "
                  f"{r['precision']:9.3f} {r['recall']:7.3f}")
    if args.show_errors:
        for row, pred in zip(rows, predicted, strict=True):
            wrong, missed = set(pred) - row["gold"], row["gold"] - set(pred)
            if wrong or missed:
                print(f"- {row['text'][:50]!r}: wrong {sorted(wrong)} missed {sorted(missed)}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
