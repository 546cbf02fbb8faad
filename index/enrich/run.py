"""Build-time enrichment of passages: duplicate groups, topics, cross-language parallels
and sentence spans, so search only reads precomputed columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from index.enrich.duplicates import duplicate_groups
from index.enrich.parallels import content_vectors, link_parallels
from ingest.text.sentences import sentence_spans
from index.enrich.topics import assign_topics, load_topics, topic_vectors
from index.model.protocol import Embedder


def passage_spans(rows: list[dict[str, Any]]) -> list[list[tuple[int, int]]]:
    """Sentence spans (passage coordinates) of each row; [] for single-sentence passages."""
    out = []
    for r in rows:
        spans = sentence_spans(r["text"], r.get("language") or "und")
        out.append(spans if len(spans) > 1 else [])
    return out


def enrich_passages(rows: list[dict[str, Any]], vecs: np.ndarray,
                    sent_vecs: list[np.ndarray], embedder: Embedder, topics_file: Path | None) -> None:
    """Fill `dup_group`, `topics` and `parallels` for every row (in place).

    Parallels need title-free vectors (a title pulls all of a document's passages
    together, so translations stop standing out); builds therefore embed passages
    without a context line (BuildSettings.context = "none").
    """
    groups = duplicate_groups(rows, vecs)
    by_row = [s if len(s) else vecs[i : i + 1] for i, s in enumerate(sent_vecs)]
    parallels = link_parallels(rows, content_vectors(by_row), groups=groups,
                               sentence_vecs=by_row)
    if topics_file is not None and Path(topics_file).is_file():
        topics = load_topics(Path(topics_file))
        assigned = assign_topics(rows, vecs, topics, topic_vectors(topics, embedder))
    else:
        assigned = [[] for _ in rows]
    for r, group, links, tops in zip(rows, groups, parallels, assigned):
        r["dup_group"] = group
        r["parallels"] = json.dumps(links)
        r["topics"] = json.dumps(tops, ensure_ascii=False)
