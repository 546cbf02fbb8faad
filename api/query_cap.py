"""The embedder as the served searchers see it: queries cut to a token budget.

A 1,000-character query costs the model up to ~1.3 s against ~20 ms for an ordinary one,
and every query goes through one shared embedding queue (index/batching.py). Cutting what
the *model* sees bounds that cost; the searcher still receives the whole query, so every
word keeps counting lexically (BM25 and the clause highlights), and its query cache keys
on the whole query.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class CappedQueries:
    """Delegates everything to `embedder`, except that queries over `max_tokens` content
    tokens are cut (at a character boundary) before they are embedded."""

    # batcher_for() looks this up first: it must find this wrapper's own batcher (None
    # until made), never the wrapped embedder's, which would embed uncut queries.
    _query_batcher = None

    def __init__(self, embedder: Any, max_tokens: int):
        self._inner = embedder
        self._max_tokens = max_tokens

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def cut(self, text: str) -> str:
        """The longest prefix (found in a few proportional steps) within the budget."""
        count = getattr(self._inner, "count_tokens", None)
        if count is None:  # an embedder without a tokenizer: ~4 characters a token
            return text[: self._max_tokens * 4]
        n = count(text)
        while n > self._max_tokens and len(text) > 1:
            text = text[: max(1, int(len(text) * self._max_tokens / n * 0.97))]
            n = count(text)
        return text

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._inner.encode_queries([self.cut(t) for t in texts])
