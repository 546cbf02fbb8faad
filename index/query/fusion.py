"""Fusing the dense and lexical halves into one ranking.

Rank fusion (RRF) throws away how sure each half is, which is why naive RRF loses to dense
alone on cross-lingual and Persian sets. We fuse *scores* instead, over the union of both
candidate lists with both scores computed for every candidate:

- dense: the cosine's distance below the pool's best cosine, in units of `dense_scale`
  (an absolute scale: min-max over the pool stretched noise when all cosines were close);
- lexical: BM25 divided by the best BM25 of the pool; gating it to passages that share
  the query's script is available (`same_script_only`) but measured worse, see below;
- weight of the lexical half: scaled up by how peaked its scores are (one clearly best
  match is evidence; a flat list of weak matches is noise).

Tuned on the dev sets with benchmarks/tune_fusion.py (README, "Retrieval quality").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionParams:
    lexical_weight: float = 0.3
    peak_boost: float = 0.5  # extra lexical weight for a peaked BM25 list
    # Measured on ntrex-xling dev: English names and numbers matching inside Chinese and
    # Persian translations are real evidence (0.865 with them, 0.857 script-gated).
    same_script_only: bool = False
    dense_pool: int = 100
    lexical_pool: int = 100
    dense_scale: float = 0.10  # dense = (cos - best) / dense_scale; 0: min-max over the pool
    dense_margin: float = 0.05  # result set: within this of the best cosine in its language
    cross_margin: float = 0.12  # ... and within this of the best cosine overall
    # Rank by cosines with the language axes removed (query/language_axes.py) on an index
    # built without them, when the model's axes ship; the result set keeps the raw cosines
    # its floors were calibrated on.
    query_axes: bool = True


def minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-9:
        return np.ones_like(x)
    return (x - lo) / (hi - lo)


def peakedness(scores: np.ndarray, top: int = 10) -> float:
    """0 for a flat list, towards 1 when the best score stands far above the rest."""
    s = np.sort(scores[scores > 0])[::-1][:top]
    if s.size < 2 or s[0] <= 0:
        return 1.0 if s.size == 1 else 0.0
    return float(np.clip((s[0] - s[1:].mean()) / s[0], 0.0, 1.0))


def fuse(dense: np.ndarray, lexical: np.ndarray, script_ok: np.ndarray,
         params: FusionParams) -> np.ndarray:
    """Fused scores for a candidate pool, given raw cosines and raw BM25 (0 = no match)."""
    lex = np.where(script_ok, lexical, 0.0) if params.same_script_only else lexical
    if params.dense_scale > 0:
        d = (dense - dense.max()) / params.dense_scale if dense.size else dense
    else:
        d = minmax(dense)
    best = float(lex.max()) if lex.size else 0.0
    if best <= 0:
        return d
    lex_norm = lex / best
    weight = params.lexical_weight * (1.0 + params.peak_boost * peakedness(lex))
    return d + weight * lex_norm
