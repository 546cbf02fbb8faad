"""The result set of a search: which fused candidates belong to it, duplicates collapsed,
and facet counts over exactly that set."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.query.fusion import FusionParams

LANG_SCRIPT = {"zh": "han", "en": "latin", "fa": "arabic"}
# Facet name in responses -> the candidate row's field.
FACET_FIELDS = {"language": "language", "doc_type": "doc_type", "issuer": "issuer",
                "doc": "doc_id", "topic": "topics"}


@dataclass
class Candidate:
    """A passage in a result set with both halves' scores and its fused score."""

    id: int
    dense: float
    lexical: float
    fused: float
    row: dict[str, Any] = field(default_factory=dict)
    also_in: list[dict[str, Any]] = field(default_factory=list)
    more_from_document: int = 0  # passages of its document in the set but not listed


def scripts_of_lang(lang: str | None) -> set[str]:
    if lang in LANG_SCRIPT:
        return {LANG_SCRIPT[lang]}
    return set(LANG_SCRIPT.values())  # mixed or unknown: any script may match


def relevance_floor(dense: np.ndarray, lexical_ok: np.ndarray, langs: list[str],
                    params: FusionParams) -> np.ndarray:
    """Which candidates form the result set: a lexical match, or a cosine close to the best
    one *in its own language* and not far below the best overall.

    Cross-language cosines run lower than same-language ones, so one global margin would
    drop every Persian and Chinese answer to an English query; a per-language margin keeps
    the best answers in each language the corpus holds.
    """
    if dense.size == 0:
        return np.zeros(0, dtype=bool)
    best_by_lang: dict[str, float] = {}
    for lang, score in zip(langs, dense):
        best_by_lang[lang] = max(best_by_lang.get(lang, -1.0), float(score))
    lang_best = np.array([best_by_lang[lang] for lang in langs])
    near = (dense >= lang_best - params.dense_margin) & (
        dense >= dense.max() - params.cross_margin)
    return near | (lexical_ok > 0)


def collapse_duplicates(pool: list[Candidate]) -> list[Candidate]:
    """Keep the best-ranked passage of each duplicate group; the others become `also_in`."""
    kept: dict[int, Candidate] = {}
    out = []
    for c in pool:
        group = c.row.get("dup_group", c.id)
        if group in kept:
            first = kept[group]
            first.also_in.append({"passage_id": c.id, "doc_id": c.row["doc_id"],
                                  "title": c.row["title"]})
            continue
        kept[group] = c
        out.append(c)
    return out


def count_facets(pool: list[Candidate]) -> dict[str, dict[str, int]]:
    """Facet counts over exactly the hits of the result set."""
    facets: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for c in pool:
        for name, column in FACET_FIELDS.items():
            value = c.row.get(column)
            for v in value if isinstance(value, list) else [value]:
                if v:
                    facets[name][str(v)] += 1
    return {name: dict(counter.most_common()) for name, counter in facets.items()}
