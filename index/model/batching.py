"""Micro-batching of query embeddings for concurrent searches.

On a CPU, one forward pass over 8 short queries costs far less than 8 passes over one.
Concurrent requests hand their query to a single worker, which waits a few milliseconds
for company and embeds whatever has arrived in one batch. A lone query waits at most
`max_wait_s`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np


class QueryBatcher:
    """Embeds queries from many threads in shared batches (one worker thread)."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_batch: int = 32,
                 max_wait_s: float = 0.002):
        self.encode = encode
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[tuple[str, Future]] = queue.Queue()
        self._worker = threading.Thread(target=self._run, daemon=True, name="query-batcher")
        self._worker.start()

    def embed(self, query: str) -> np.ndarray:
        future: Future = Future()
        self._queue.put((query, future))
        return future.result()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            try:
                while len(batch) < self.max_batch:
                    batch.append(self._queue.get(timeout=self.max_wait_s))
            except queue.Empty:
                pass
            texts = list(dict.fromkeys(q for q, _ in batch))
            try:
                vecs = dict(zip(texts, self.encode(texts)))
            except Exception as exc:  # hand the failure to every waiting request
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for q, future in batch:
                future.set_result(vecs[q])


_lock = threading.Lock()


def batcher_for(embedder: object) -> QueryBatcher:
    """The one batcher of an embedder (shared by every generation's searcher)."""
    with _lock:
        batcher = getattr(embedder, "_query_batcher", None)
        if batcher is None:
            batcher = QueryBatcher(embedder.encode_queries)  # type: ignore[attr-defined]
            embedder._query_batcher = batcher  # type: ignore[attr-defined]
        return batcher
