"""Link passages to their translations in other documents and languages (mutual nearest neighbours)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from index.storage.vectors import exact_knn

LANGUAGES = ("zh", "en", "fa")
# Content per character in English-character units, measured on NTREX translations: an
# English sentence has ~3.0x the characters of its Chinese translation (p5-p95: 2.0-4.1)
# and ~1.0x those of its Persian one (0.8-1.3).
UNITS_PER_CHAR = {"zh": 3.0, "en": 1.0, "fa": 1.0}


@dataclass(frozen=True)
class ParallelParams:
    """Link thresholds, tuned on NTREX with benchmarks/parallel_linking.py.

    Mutual best matches alone link almost every translation, but also pair up two
    passages that merely have no better partner. `min_gap` asks the pair to beat each
    side's runner-up: a translation stands out from the next-best passage, a chance
    pairing does not (on NTREX the gap separates them better than the score itself).
    """

    min_score: float = 0.83  # cosine, or sentence alignment when sentence vectors are given
    min_gap: float = 0.01
    candidates: int = 4  # nearest passages per side and language considered
    max_length_ratio: float = 2.0  # longer / shorter, lengths in UNITS_PER_CHAR units
    max_links: int = 3  # per passage (at most one per other language in practice)


def link_parallels(rows: list[dict[str, Any]], vecs: np.ndarray,
                   params: ParallelParams | None = None, groups: list[int] | None = None,
                   sentence_vecs: list[np.ndarray] | None = None) -> list[list[int]]:
    """For each row, the ids of passages in other documents and other languages that
    translate it: mutual best matches across two languages that pass the score, gap and
    length checks. Links are symmetric (per duplicate group); best first.

    Args:
        rows: dicts with "id", "doc_id", "language" ("zh", "en" or "fa"; others are never
            linked) and "text".
        vecs: (n, dim) unit vectors that find the candidates, embedded WITHOUT the
            document title: title context pulls a document's passages together and links
            1 of 5 translated seed passages instead of 5 of 5 (benchmarks/parallel_linking
            --corpus-check). content_vectors(sentence_vecs) is a good choice.
        groups: duplicate group per row (index.enrich.duplicates.duplicate_groups): only a group's
            first passage takes part, so a reprint neither steals its original's partner
            nor shrinks its gap; the other members get the same links.
        sentence_vecs: optional row-aligned (m_i, dim) unit sentence vectors, title-free
            too (late chunks of a title-free forward pass work; a single-sentence passage
            gets its passage vector). Candidates are then scored by sentence alignment,
            which tells a translation from a passage on the same subject far better.
    Returns:
        Row-aligned lists of passage ids (group representatives).
    """
    p = params or ParallelParams()
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    docs = np.unique([str(r.get("doc_id")) for r in rows], return_inverse=True)[1]
    sides = _sides(rows, groups)
    found: dict[int, list[tuple[float, int]]] = {}
    for a, b in combinations(sides, 2):
        pairs = _candidates(vecs, docs, sides[a], sides[b], p.candidates)
        scores = _score(pairs, vecs, sentence_vecs)
        for i, j, gap in _mutual_best(rows, pairs, scores, p):
            found.setdefault(i, []).append((gap, j))
            found.setdefault(j, []).append((gap, i))
    out: list[list[int]] = [[] for _ in rows]
    for i, cands in found.items():
        out[i] = [rows[j]["id"] for _, j in sorted(cands, reverse=True)[: p.max_links]]
    if groups is not None:
        position = {r["id"]: i for i, r in enumerate(rows)}
        out = [out[position.get(g, i)] for i, g in enumerate(groups)]
    return out


def _sides(rows: list[dict[str, Any]], groups: list[int] | None) -> dict[str, np.ndarray]:
    """Row positions per language, one per duplicate group."""
    sides = {}
    for lang in LANGUAGES:
        pos = [i for i, r in enumerate(rows) if r.get("language") == lang
               and (groups is None or groups[i] == r["id"])]
        if pos:
            sides[lang] = np.array(pos, dtype=np.int64)
    return sides


def content_vectors(sentence_vecs: list[np.ndarray]) -> np.ndarray:
    """One unit vector per passage: the mean of its sentence vectors (title-free)."""
    means = np.stack([np.asarray(s, dtype=np.float32).mean(axis=0) for s in sentence_vecs])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


def _candidates(vecs: np.ndarray, docs: np.ndarray, a: np.ndarray, b: np.ndarray, k: int
                ) -> np.ndarray:
    """(m, 2) unique row-position pairs (i in a, j in b): each side's k nearest rows of
    the other language in other documents (FAISS exact inner product search)."""
    found = [_nearest(vecs, docs, a, b, k), _nearest(vecs, docs, b, a, k)[:, ::-1]]
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def _nearest(vecs: np.ndarray, docs: np.ndarray, query: np.ndarray, target: np.ndarray,
             k: int) -> np.ndarray:
    # a few extra hits, since hits from the query's own document are dropped
    _, idx = exact_knn(vecs[target], vecs[query], min(len(target), k + 4))
    nbrs = np.where(idx >= 0, target[np.maximum(idx, 0)], -1)
    ok = (idx >= 0) & (docs[nbrs] != docs[query][:, None])
    ok &= np.cumsum(ok, axis=1) <= k
    rows, cols = np.nonzero(ok)
    return np.stack([query[rows], nbrs[rows, cols]], axis=1)


def _score(pairs: np.ndarray, vecs: np.ndarray, sentence_vecs: list[np.ndarray] | None
           ) -> np.ndarray:
    """Cosine of each pair, or its sentence alignment when sentence vectors are given."""
    if sentence_vecs is None:
        return np.einsum("ij,ij->i", vecs[pairs[:, 0]], vecs[pairs[:, 1]])
    return np.array([sentence_alignment(sentence_vecs[i], sentence_vecs[j])
                     for i, j in pairs.tolist()], dtype=np.float32)


def sentence_alignment(a: np.ndarray, b: np.ndarray) -> float:
    """How well two passages align sentence by sentence: each sentence's best cosine on
    the other side, averaged over both sides (a translation scores like its sentences)."""
    sims = np.asarray(a, dtype=np.float32) @ np.asarray(b, dtype=np.float32).T
    return float((sims.max(axis=1).mean() + sims.max(axis=0).mean()) / 2)


def _mutual_best(rows: list[dict[str, Any]], pairs: np.ndarray, scores: np.ndarray,
                 p: ParallelParams) -> list[tuple[int, int, float]]:
    """(i, j, gap) for pairs that are each side's best candidate and pass the checks;
    gap = score minus the better of the two sides' runner-up scores."""
    best: dict[int, tuple[float, int]] = {}
    second: dict[int, float] = {}
    for (i, j), s in zip(pairs.tolist(), scores.tolist(), strict=True):
        for me, other in ((i, j), (j, i)):
            top = best.get(me)
            if top is None or s > top[0]:
                if top is not None:
                    second[me] = top[0]
                best[me] = (s, other)
            elif s > second.get(me, 0.0):
                second[me] = s
    out = []
    for i, (s, j) in best.items():
        if i < j and best[j][1] == i and s >= p.min_score:
            gap = s - max(second.get(i, 0.0), second.get(j, 0.0))
            if gap >= p.min_gap and _lengths_agree(rows[i], rows[j], p):
                out.append((i, j, gap))
    return out


def _lengths_agree(a: dict[str, Any], b: dict[str, Any], p: ParallelParams) -> bool:
    """A translation is about as long as its source once Chinese characters count ~3x;
    20 units of slack keep short headings from failing on a word or two."""
    units = sorted((len(a["text"]) * UNITS_PER_CHAR[a["language"]],
                    len(b["text"]) * UNITS_PER_CHAR[b["language"]]))
    return (units[1] + 20) / (units[0] + 20) <= p.max_length_ratio
