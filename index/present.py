"""Turn a search candidate into the JSON hit shared by the CLI and the API."""

from __future__ import annotations

from typing import Any

from index.clauses import best_clause, term_spans
from index.store import SELECT_NEIGHBOURS


def present_hit(searcher: Any, result: Any, cand: Any) -> dict[str, Any]:
    """The hit as documented in docs/CONTRACTS.md (offsets in code points)."""
    row = cand.row
    text = row["text"]
    spans = term_spans(text, result.terms)
    clause = best_clause(text, spans, searcher.sentence_scores(cand.id, text, result.query_vector))
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
        "parallels": row["parallels"], "also_in": cand.also_in,
        "scores": {"dense": round(cand.dense, 4), "lexical": round(cand.lexical, 4),
                   "fused": round(cand.fused, 4)},
    }
