"""Query vectors, embedded once per distinct query: staff repeat and refine queries, and a
page of results, its next page and the API's facets all ask for the same vector.

Single queries go through the model's batcher (concurrent requests share one forward
pass); evaluation and benchmarks prime many at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from index.model.batching import batcher_for
from index.model.protocol import Embedder
from index.query.language_axes import remove_axes
from ingest.text.normalize import normalize_for_model

QUERY_CACHE_SIZE = 4096


class QueryVectors:
    """A small LRU cache of query vectors (without the generation's axes, if it has any)."""

    def __init__(self, embedder: Embedder, axes: np.ndarray | None = None):
        self.embedder = embedder
        self.axes = axes
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._batcher = batcher_for(embedder)

    def get(self, query: str) -> np.ndarray:
        """The model sees `normalize_for_model(query)`: variants a user cannot see (ZWNJ or
        a space, Arabic or Persian yeh/kaf, Persian digits, full-width letters), one vector."""
        query = normalize_for_model(query)
        with self._lock:
            vec = self._cache.get(query)
            if vec is not None:
                self._cache.move_to_end(query)
                return vec
        vec = remove_axes(self._batcher.embed(query), self.axes)
        self._remember(query, vec)
        return vec

    def prime(self, queries: list[str]) -> None:
        """Embed many queries in one batched call (evaluation, benchmarks)."""
        queries = [normalize_for_model(q) for q in queries]
        vectors = remove_axes(self.embedder.encode_queries(queries), self.axes)
        for query, vec in zip(queries, vectors):
            self._remember(query, vec)

    def _remember(self, query: str, vec: np.ndarray) -> None:
        with self._lock:
            self._cache[query] = vec
            while len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
