"""Turn a page of search candidates into the JSON hits shared by the API and the CLI.

A page reads its extra rows in batches: the sentence vectors, the neighbours and the
parallel passages of all its hits come from one call each, not one per hit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from index.query.clauses import best_clause, term_occurrences, term_spans
from index.query.results import LANG_SCRIPT, Candidate
from index.storage.protocol import SearchStore
from ingest.language import script_of
from ingest.text.sentences import sentence_spans

if TYPE_CHECKING:
    from index.query.search import QueryPlan


def present_hits(store: SearchStore, plan: QueryPlan, hits: Sequence[Candidate]
                 ) -> list[dict[str, Any]]:
    """The hits as documented in docs/CONTRACTS.md (offsets in code points); each hit's
    `row` must be a full passage row (store.passages)."""
    if not hits:
        return []
    stored = store.sentences([c.id for c in hits])
    weights = term_weights(plan.terms, plan.term_docs, store.stats_passages())
    around = store.neighbours([(c.row["doc_id"], c.row["ordinal"]) for c in hits])
    parallel_rows = store.passages(sorted({i for c in hits for i in c.row["parallels"]}))
    return [present_hit(c, plan, stored.get(c.id), weights,
                        around[(c.row["doc_id"], c.row["ordinal"])], parallel_rows)
            for c in hits]


def term_weights(terms: Sequence[str], docs: Mapping[str, int], n: int) -> dict[str, float]:
    """Inverse document frequency log(1 + N / df) of each term over the passages; a term
    the index lacks gets the weight of one found once. Empty for a generation built before
    term statistics were stored (clause choice then weighs terms by length)."""
    return {t: math.log(1 + n / max(1, docs.get(t, 1))) for t in terms} if n else {}


def clause_for(text: str, language: str, terms: tuple[str, ...], qvec: np.ndarray | None,
               stored: list[tuple[int, int, bytes]] | None,
               weights: dict[str, float] | None = None
               ) -> tuple[tuple[int, int], list[tuple[int, int]]]:
    """(clause span, highlight spans): sentence similarity from stored vectors, plus terms.

    Every term highlights; the clause weighs only the terms written in the passage's
    script (a Chinese question's English and Persian translations say nothing about which
    sentence of a Chinese article answers it, and would dilute its own terms' share)."""
    occurrences = term_occurrences(text, terms)
    highlights = term_spans(text, terms, occurrences)
    terms = terms_in_script(terms, language)
    if stored and qvec is not None:
        spans = [(s, e) for s, e, _ in stored]
        vecs = np.stack([np.frombuffer(v, dtype=np.float16).astype(np.float32)
                         for _, _, v in stored])
        scores = (vecs @ qvec).tolist()
    else:
        spans, scores = sentence_spans(text, language), None
    return best_clause(text, terms, spans, scores, weights, occurrences), highlights


def terms_in_script(terms: tuple[str, ...], language: str) -> tuple[str, ...]:
    """The terms written in the script of `language` (all of them for mixed text)."""
    script = LANG_SCRIPT.get(language)
    if script is None:
        return terms
    return tuple(t for t in terms if script in script_of(t) or not script_of(t))


def matched_translations(text: str, plan: QueryPlan) -> list[dict[str, Any]]:
    """The query's translated terms found in this passage, each with the phrase it
    translates, where the translation came from and its weight (explain)."""
    if plan.expansion is None or not plan.expansion.sources:
        return []
    found = term_occurrences(text, tuple(plan.expansion.sources))
    out = []
    for term, spans in found.items():
        if spans:
            best = max(plan.expansion.sources[term], key=lambda tr: tr.weight)
            out.append({"term": term, "source": best.source, "language": best.lang,
                        "origin": best.origin, "weight": round(plan.weights[term], 3)})
    return out


def parallel_refs(ids: Sequence[int], rows: Mapping[int, dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """The passages that translate a passage, as small references for the page."""
    return [{"passage_id": p["id"], "doc_id": p["doc_id"], "title": p["title"],
             "language": p["language"], "text": p["text"]}
            for p in (rows[i] for i in sorted(ids) if i in rows)]


def present_hit(cand: Candidate, plan: QueryPlan, stored: list[tuple[int, int, bytes]] | None,
                weights: dict[str, float], around: tuple[int | None, int | None],
                parallel_rows: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    row = cand.row
    text = row["text"]
    clause, spans = clause_for(text, row["language"], plan.terms, plan.vector, stored,
                               weights)
    translated = matched_translations(text, plan)
    return {
        "passage_id": cand.id, "doc_id": row["doc_id"], "title": row["title"],
        "heading_path": row["heading_path"], "language": row["language"],
        "doc_type": row["doc_type"], "issuer": row["issuer"] or "",
        "published": row["published"], "topics": row["topics"],
        "text": text, "start": row["start"], "end": row["end"],
        "clause": {"start": clause[0], "end": clause[1]},
        "highlights": [list(s) for s in spans],
        "prev_id": around[0], "next_id": around[1],
        "parallels": parallel_refs(row["parallels"], parallel_rows),
        "also_in": cand.also_in,
        "more_from_document": cand.more_from_document,
        "translations": translated,
        "scores": {"dense": round(cand.dense, 4), "lexical": round(cand.lexical, 4),
                   "fused": round(cand.fused, 4)},
    }
