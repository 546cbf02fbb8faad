"""Content-token counts of a model's tokenizer (tokenizers only: never torch)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.model.convert import ensure_default_tokenizer


class TokenCounter:
    """Counts content tokens (no specials, no prompt) with a tokenizers.Tokenizer.

    Holds its own Tokenizer: transformers sets truncation on the one it wraps at every
    call, which would silently cap counts at the model's limit.
    """

    def __init__(self, tokenizer: Any) -> None:
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> int:
        # encode_batch_fast skips character offsets, which are half of encode()'s cost.
        return len(self.tokenizer.encode_batch_fast([text], add_special_tokens=False)[0].ids)

    def count_many(self, texts: list[str]) -> list[int]:
        """Batch version (tokenizers runs it on all cores; no offsets, which it skips)."""
        return [len(e.ids)
                for e in self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)]


@functools.lru_cache(maxsize=4)
def _counter_from_file(path: str) -> TokenCounter:
    from tokenizers import Tokenizer

    return TokenCounter(Tokenizer.from_file(path))


def default_token_counter(cache_dir: Path | None = None) -> Callable[[str], int]:
    """Token counter of the default model; builds only its tokenizer, never imports torch."""
    return _counter_from_file(str(ensure_default_tokenizer(cache_dir)))
