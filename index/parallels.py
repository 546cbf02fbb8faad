"""Link passages to their translations in other documents and languages (mutual nearest neighbours)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import Any

import numpy as np

LANGUAGES = ("zh", "en", "fa")
# Characters per unit of content, measured on NTREX translations: an English sentence is
# ~3.0x as many characters as its Chinese translation and ~1.0x its Persian one.
CHARS_PER_UNIT = {"zh": 1.0 / 3.0, "en": 1.0, "fa": 1.0}


@dataclass(frozen=True)
class ParallelParams:
    """Link thresholds, tuned on NTREX with benchmarks/parallel_linking.py.

    `margin` is the ratio margin of bitext mining (Artetxe & Schwenk 2019): the pair's
    cosine over the mean cosine of both sides to their k nearest neighbours in the other
    language. Raw cosines drift with text length and topic; a translation stands out
    from its neighbourhood whatever the level.
    """

    min_cosine: float = 0.80
    min_margin: float = 1.05
    k: int = 4  # neighbours per side for the margin
    max_length_ratio: float = 2.0  # longer / shorter, lengths in CHARS_PER_UNIT units
    max_links: int = 3  # per passage (at most one per other language in practice)


@dataclass
class _Side:
    """One language's rows: positions into `rows` and their vectors."""

    positions: np.ndarray
    vecs: np.ndarray


def link_parallels(rows: list[dict[str, Any]], vecs: np.ndarray,
                   params: ParallelParams | None = None) -> list[list[int]]:
    """For each row, the ids of passages in other documents and other languages that
    translate it: mutual nearest neighbours across two languages that pass the cosine,
    margin and length checks. Links are symmetric; best margin first.

    Args:
        rows: dicts with "id", "doc_id", "language" ("zh", "en" or "fa"; others are never
            linked) and "text".
        vecs: (n, dim) unit passage vectors, row-aligned with rows.
    Returns:
        Row-aligned lists of passage ids.
    """
    p = params or ParallelParams()
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    sides = {lang: _Side(pos, vecs[pos]) for lang in LANGUAGES
             if len(pos := np.array([i for i, r in enumerate(rows)
                                     if r.get("language") == lang], dtype=np.int64))}
    docs = np.unique([str(r.get("doc_id")) for r in rows], return_inverse=True)[1]
    knn = {(a, b): _neighbours(rows, docs, sides[a], sides[b], p.k)
           for a, b in permutations(sides, 2)}
    found: dict[int, list[tuple[float, int]]] = {}
    for a, b in permutations(sides, 2):
        if a < b:
            for i, j, margin in _mutual_pairs(rows, knn[a, b], knn[b, a], p):
                found.setdefault(i, []).append((margin, j))
                found.setdefault(j, []).append((margin, i))
    out: list[list[int]] = [[] for _ in rows]
    for i, cands in found.items():
        out[i] = [rows[j]["id"] for _, j in sorted(cands, reverse=True)[: p.max_links]]
    return out


@dataclass
class _Knn:
    """For each row of one language: its k nearest rows of another (other documents)."""

    positions: np.ndarray  # (n,) row positions of the query side
    nbrs: np.ndarray  # (n, k) row positions of the neighbours, -1 where none
    sims: np.ndarray  # (n, k) cosines
    mean: np.ndarray  # (n,) mean cosine to the neighbours (the margin's denominator half)


def _neighbours(rows: list[dict[str, Any]], docs: np.ndarray, query: _Side, target: _Side,
                k: int) -> _Knn:
    """Top-k search with FAISS (exact inner product), same-document hits dropped: a mixed
    document's own passages are not its translation."""
    import faiss

    index = faiss.IndexFlatIP(target.vecs.shape[1])
    index.add(target.vecs)
    sims, idx = index.search(query.vecs, min(len(target.positions), k + 4))
    nbrs = np.where(idx >= 0, target.positions[np.maximum(idx, 0)], -1)
    bad = (idx < 0) | (docs[nbrs] == docs[query.positions][:, None])
    order = np.argsort(bad, axis=1, kind="stable")[:, :k]  # keep rank order of the good ones
    nbrs = np.take_along_axis(np.where(bad, -1, nbrs), order, axis=1)
    sims = np.take_along_axis(np.where(bad, 0.0, sims), order, axis=1).astype(np.float32)
    counts = np.maximum((nbrs >= 0).sum(axis=1), 1)
    return _Knn(query.positions, nbrs, sims, sims.sum(axis=1) / counts)


def _mutual_pairs(rows: list[dict[str, Any]], ab: _Knn, ba: _Knn, p: ParallelParams
                  ) -> list[tuple[int, int, float]]:
    """(i, j, margin) where j is i's best match and i is j's best match, checks passed."""
    best_of_b = {int(pos): (int(ba.nbrs[q, 0]), q) for q, pos in enumerate(ba.positions)}
    mean_a = {int(pos): ab.mean[q] for q, pos in enumerate(ab.positions)}
    out = []
    for q, i in enumerate(ab.positions):
        j, cos = int(ab.nbrs[q, 0]), float(ab.sims[q, 0])
        if j < 0 or best_of_b.get(j, (-1, 0))[0] != i or cos < p.min_cosine:
            continue
        margin = cos / ((mean_a[int(i)] + ba.mean[best_of_b[j][1]]) / 2)
        if margin >= p.min_margin and _lengths_agree(rows[int(i)], rows[j], p):
            out.append((int(i), j, margin))
    return out


def _lengths_agree(a: dict[str, Any], b: dict[str, Any], p: ParallelParams) -> bool:
    """A translation is about as long as its source once Chinese characters count ~3x;
    20 units of slack keep short headings from failing on a word or two."""
    units = sorted((len(a["text"]) * CHARS_PER_UNIT[a["language"]],
                    len(b["text"]) * CHARS_PER_UNIT[b["language"]]))
    return (units[1] + 20) / (units[0] + 20) <= p.max_length_ratio
