"""Turn search candidates into the JSON hits shared by the CLI and the API."""

from __future__ import annotations

from typing import Any

import numpy as np

from index.clauses import best_clause, term_spans
from index.sentences import sentence_spans
from index.store import SELECT_NEIGHBOURS


def present_hits(searcher: Any, result: Any) -> list[dict[str, Any]]:
    """The result's hits as documented in docs/CONTRACTS.md (offsets in code points)."""
    store = searcher.gen.store
    stored = store.sentences([c.id for c in result.hits])
    weights = store.term_weights(list(result.terms)) if result.hits else {}
    return [present_hit(searcher, result, c, stored.get(c.id), weights) for c in result.hits]


def clause_for(text: str, language: str, terms: tuple[str, ...], qvec: np.ndarray | None,
               stored: list[tuple[int, int, bytes]] | None,
               weights: dict[str, float] | None = None
               ) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    """(clause span, highlight spans): sentence similarity from stored vectors, plus terms."""
    highlights = term_spans(text, terms)
    if stored and qvec is not None:
        spans = [(s, e) for s, e, _ in stored]
        vecs = np.stack([np.frombuffer(v, dtype=np.float16).astype(np.float32)
                         for _, _, v in stored])
        scores = (vecs @ qvec).tolist()
    else:
        spans, scores = sentence_spans(text, language), None
    return best_clause(text, terms, spans, scores, weights), highlights


def parallel_refs(store: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The passages that translate a passage, as small references for the page."""
    rows = store.passages(ids) if ids else {}
    return [{"passage_id": p["id"], "doc_id": p["doc_id"], "title": p["title"],
             "language": p["language"], "text": p["text"]} for p in rows.values()]


def present_hit(searcher: Any, result: Any, cand: Any,
                stored: list[tuple[int, int, bytes]] | None = None,
                weights: dict[str, float] | None = None) -> dict[str, Any]:
    row = cand.row
    text = row["text"]
    clause, spans = clause_for(text, row["language"], result.terms, result.query_vector, stored,
                               weights)
    prev_id, next_id = searcher.gen.store.one(
        SELECT_NEIGHBOURS, {"doc": row["doc_id"], "ord": row["ordinal"]})
    return {
        "passage_id": cand.id, "doc_id": row["doc_id"], "title": row["title"],
        "heading_path": row["heading_path"], "language": row["language"],
        "doc_type": row["doc_type"], "issuer": row["issuer"] or "",
        "published": row["published"], "topics": row["topics"],
        "text": text, "start": row["start"], "end": row["end"],
        "clause": {"start": clause[0], "end": clause[1]},
        "highlights": [list(s) for s in spans],
        "prev_id": prev_id, "next_id": next_id,
        "parallels": parallel_refs(searcher.gen.store, row["parallels"]),
        "also_in": cand.also_in,
        "scores": {"dense": round(cand.dense, 4), "lexical": round(cand.lexical, 4),
                   "fused": round(cand.fused, 4)},
    }
