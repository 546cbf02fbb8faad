"""Build-time enrichment of passages: duplicate groups, topics, cross-language parallels
and sentence spans, so search only reads precomputed columns."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.enrich.duplicates import duplicate_groups
from index.enrich.parallels import content_vectors, link_parallels
from ingest.text.sentences import sentence_spans
from index.enrich.topics import assign_topics, load_topics, topic_vectors
from index.model.protocol import Embedder
from index.storage.rows import PassageRow


def passage_spans(rows: Sequence[PassageRow]) -> list[list[tuple[int, int]]]:
    """Sentence spans (passage coordinates) of each row; [] for single-sentence passages."""
    out = []
    for r in rows:
        spans = sentence_spans(r.text, r.language or "und")
        out.append(spans if len(spans) > 1 else [])
    return out


@dataclass
class Enrichment:
    """Build-time columns, one entry per passage row."""

    dup_group: list[int]
    parallels: list[list[int]]
    topics: list[list[str]]


def enrich_passages(rows: Sequence[PassageRow], vecs: np.ndarray, sent_vecs: list[np.ndarray],
                    embedder: Embedder, topics_file: Path | None) -> Enrichment:
    """Duplicate groups, cross-language parallels and topics of every row.

    Parallels need title-free vectors (a title pulls all of a document's passages
    together, so translations stop standing out); builds therefore embed passages
    without a context line (BuildSettings.context = "none").
    """
    fields = [r.fields() for r in rows]
    groups = duplicate_groups(fields, vecs)
    by_row = [s if len(s) else vecs[i : i + 1] for i, s in enumerate(sent_vecs)]
    parallels = link_parallels(fields, content_vectors(by_row), groups=groups,
                               sentence_vecs=by_row)
    if topics_file is not None and Path(topics_file).is_file():
        topics = load_topics(Path(topics_file))
        assigned = assign_topics(fields, vecs, topics, topic_vectors(topics, embedder))
    else:
        assigned = [[] for _ in rows]
    return Enrichment(list(groups), list(parallels), list(assigned))
