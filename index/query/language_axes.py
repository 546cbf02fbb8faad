"""Language-identity axes, removed from every vector so that meaning outweighs language.

Why: a multilingual encoder places an English question nearer to English text on any
subject than to the Chinese article that answers it; part of every vector says "this is
English" (Libovický et al. 2020; Xie et al. 2022). The directions between the language
means of one parallel vocabulary (the term bank's preferred terms, embedded as queries)
span that part. Projecting them out of queries and passages alike, then renormalising, is
one fixed linear map: measured on the eval sets (benchmarks/language_axes.py), dense
nDCG@10 on ntrex-xling rose 0.860 -> 0.972 and on stard-xling en 0.143 -> 0.161, with
parsinlu-fa, cmrc-zh and stard-zh unchanged (within 0.001).

The axes depend on the model only; the default model's ship in language_axes.npz (made by
`python benchmarks/language_axes.py --write`). Two ways to apply them:
- At query time (the default, FusionParams.query_axes): the index keeps the model's own
  vectors; search ranks by `cosines_without_axes`, computed exactly from the raw stored
  vectors and their coordinates on the axes, and the relevance floors keep the raw
  cosines they were calibrated on (no-results share and answers kept unchanged).
- At build time (POLICYKB_LANGUAGE_AXES=1, BuildSettings.language_axes): projected vectors
  are stored and the axes go into the manifest; the floors then see projected cosines,
  which FLOOR_SHIFT only approximates (no results 95.0% -> 93.4%, result_sets.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.query.termbank import LANGUAGES, load_term_bank

SHIPPED_AXES = Path(__file__).with_name("language_axes.npz")
BASE_LANGUAGE = "zh"  # the axes are differences to this language's mean
AXES_VERSION = 1


def vocabulary() -> dict[str, list[str]]:
    """The shipped term bank's preferred term per language (the parallel vocabulary)."""
    bank = load_term_bank()
    return {lang: [e.terms[lang][0] for e in bank.entries if e.terms.get(lang)]
            for lang in LANGUAGES}


def fit_axes(means: dict[str, np.ndarray]) -> np.ndarray:
    """Orthonormal rows spanning the differences between language means."""
    base = means[BASE_LANGUAGE]
    diffs = np.vstack([m - base for lang, m in sorted(means.items()) if lang != BASE_LANGUAGE])
    q, _ = np.linalg.qr(diffs.T.astype(np.float64))
    return np.ascontiguousarray(q.T, dtype=np.float32)


def compute_axes(encode_queries: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Axes for a model, from its query vectors of the term bank's vocabulary."""
    means = {lang: np.asarray(encode_queries(terms), dtype=np.float64).mean(axis=0)
             for lang, terms in vocabulary().items()}
    return fit_axes(means)


def axes_for(model_fingerprint: str,
             encode_queries: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """The shipped axes when they were made for this model's weights, else computed."""
    shipped = shipped_axes(model_fingerprint)
    return shipped if shipped is not None else compute_axes(encode_queries)


def shipped_axes(model_fingerprint: str) -> np.ndarray | None:
    """The shipped axes if they were made for this model's weights (no computing)."""
    if SHIPPED_AXES.is_file():
        with np.load(SHIPPED_AXES) as shipped:
            if str(shipped["fingerprint"]) == model_fingerprint:
                return np.asarray(shipped["axes"], dtype=np.float32)
    return None


def cosines_without_axes(dots: np.ndarray, query: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Exact cosines between passages and a query once the axes are removed from both
    and both renormalised, from the raw stored vectors: `dots` holds each passage's inner
    products with the query (column 0) and with each axis (the other columns)."""
    raw, coords = dots[:, 0].astype(np.float64), dots[:, 1:].astype(np.float64)
    q_coords = (axes @ query).astype(np.float64)
    p_rest = np.sqrt(np.maximum(1.0 - (coords ** 2).sum(axis=1), 1e-12))
    q_rest = float(np.sqrt(max(1.0 - float(q_coords @ q_coords), 1e-12)))
    return (raw - coords @ q_coords) / (p_rest * q_rest)


def remove_axes(vectors: np.ndarray, axes: np.ndarray | None) -> np.ndarray:
    """Vectors (rows, or one vector) without their component on the axes, unit length."""
    if axes is None or len(axes) == 0 or vectors.size == 0:
        return vectors
    v = np.asarray(vectors, dtype=np.float32)
    out = v - (v @ axes.T) @ axes
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)


def manifest_entry(axes: np.ndarray) -> dict[str, Any]:
    """What the generation's manifest records: the axes themselves, so search needs no file."""
    return {"version": AXES_VERSION, "base": BASE_LANGUAGE, "source": "termbank",
            "axes": [[round(float(x), 7) for x in row] for row in axes]}


def axes_from_manifest(manifest: dict[str, Any]) -> np.ndarray | None:
    """The axes a generation was built with; None for generations built without them."""
    entry = manifest.get("language_axes")
    if not entry or not entry.get("axes"):
        return None
    return np.asarray(entry["axes"], dtype=np.float32)


# The relevance floors (relevance.py) were calibrated on the model's own cosines. Removing
# the axes raises cross-language cosines and lowers same-language ones a little. This is the
# change (axes removed - raw) of (query, passage) cosines within 0.01 of each pair's floor,
# mean + 1 sd, default model, by (query language, passage language): eval and nonsense
# queries against the eval corpora (`python benchmarks/language_axes.py --floor-shift`;
# pairs with English passages: the shipped corpus's). With the mean alone, 89.4% of the
# nonsense set got no results; with mean + 1 sd, 93.4% (95.0% without the axes).
# Subtracting it puts a cosine back on the floors' scale.
FLOOR_SHIFT = {("en", "en"): 0.005, ("en", "zh"): 0.038, ("en", "fa"): 0.011,
               ("zh", "en"): 0.019, ("zh", "zh"): -0.005, ("zh", "fa"): 0.022,
               ("fa", "en"): 0.021, ("fa", "zh"): 0.045, ("fa", "fa"): 0.000}


def on_floor_scale(dense: np.ndarray, langs: list[str], query_lang: str) -> np.ndarray:
    """Cosines computed without the axes, moved back to the scale the floors were set on."""
    shift = np.array([FLOOR_SHIFT.get((query_lang, lang), 0.0) for lang in langs])
    return np.asarray(dense, dtype=np.float64) - shift
