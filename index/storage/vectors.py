"""The FAISS half of a generation: inner product on L2-normalised vectors, ids = passage ids.

Exact search (IndexFlatIP) up to EXACT_MAX vectors, HNSW above it. The kind chosen is
recorded in the manifest. `benchmarks/bench_search.py` measured the crossover and the
HNSW recall against exact search.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import faiss
import numpy as np

# Below this, exact search over all vectors costs a few ms on 2 cores: not worth HNSW's
# approximation or its build time (measured in benchmarks/bench_search.py).
EXACT_MAX = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def build_vector_index(vectors: np.ndarray, ids: np.ndarray, kind: str = "auto") -> faiss.Index:
    """Build an id-mapped FAISS index; `kind` is "flat", "hnsw" or "auto" (by size)."""
    n, dim = vectors.shape if vectors.size else (0, vectors.shape[1] if vectors.ndim == 2 else 0)
    if kind == "auto":
        kind = "flat" if n <= EXACT_MAX else "hnsw"
    inner: faiss.Index
    if kind == "flat":
        inner = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        graph = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        graph.hnsw.efSearch = HNSW_EF_SEARCH
        inner = graph
    else:
        raise ValueError(f"unknown vector index kind {kind!r}")
    index = faiss.IndexIDMap2(inner)
    if n:
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                           np.ascontiguousarray(ids, dtype=np.int64))
    return index


def inner_hnsw(index: faiss.Index) -> faiss.IndexHNSW | None:
    """The HNSW index wrapped by an id map (or `index` itself), None when search is exact."""
    inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
    return inner if isinstance(inner, faiss.IndexHNSW) else None


def index_kind(index: faiss.Index) -> str:
    return "flat" if inner_hnsw(index) is None else "hnsw"


def write_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_vector_index(path: Path) -> faiss.Index:
    """Read a FAISS file memory-mapped; FAISS raises RuntimeError on truncated/garbled
    files, callers map it.

    IO_FLAG_MMAP_IFC maps the flat vectors (IndexFlat, and HNSW's storage) in place from the
    page cache instead of copying them, so N server workers on one generation share one
    copy. Plain IO_FLAG_MMAP only maps IVF lists and still copies these index types. A
    generation is never modified, so a read-only mapping is safe.
    """
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    graph = inner_hnsw(index)
    if graph is not None:  # efSearch is not stored in the file
        graph.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def stored_ids(index: faiss.Index) -> np.ndarray:
    """The passage ids held by an IndexIDMap2, in insertion order."""
    return faiss.vector_to_array(cast(faiss.IndexIDMap, index).id_map).astype(np.int64)


def id_selector(ids: Sequence[int]) -> faiss.IDSelector:
    """A FAISS selector of `ids` (a hash set: ~2 ms per 100k ids, worth keeping)."""
    return faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))


def search_vectors(index: faiss.Index, query: np.ndarray, k: int,
                   within: Sequence[int] | None = None,
                   selector: faiss.IDSelector | None = None) -> list[tuple[int, float]]:
    """Top-k (id, cosine) for one normalised query vector, optionally only among `within`
    ids (`selector`: their id_selector, when the caller keeps one)."""
    if index.ntotal == 0 or k <= 0:
        return []
    params: faiss.SearchParameters | None = None
    if within is not None:
        if len(within) == 0:
            return []
        selector = selector or id_selector(within)
        if index_kind(index) == "hnsw":
            # Both exist at runtime with keyword __init__s; faiss's stubs lack them.
            params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
        else:
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        k = min(k, len(within))
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    scores, ids = index.search(q, min(k, index.ntotal), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def exact_knn(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(inner products, row indexes into `base`) of each query's k nearest rows, exact.

    For build-time neighbour searches (duplicates, parallels) over in-memory vectors;
    missing neighbours have index -1.
    """
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(np.ascontiguousarray(base, dtype=np.float32))
    sims, idx = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return sims, idx
