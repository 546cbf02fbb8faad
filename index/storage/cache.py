"""Embedding cache: vectors keyed by model fingerprint + text hash, shared by builds and evals.

It lives beside the generations (not inside one), so `policykb update` and repeated
`policykb eval` runs re-embed only texts they have never seen with this model.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

CREATE = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)"
SELECT = "SELECT key, vec FROM vectors WHERE key IN ({marks})"
INSERT = "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)"


def text_key(fingerprint: str, text: str) -> str:
    return fingerprint[:16] + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A small SQLite key-value store of float32 vectors (WAL, safe to kill at any time)."""

    def __init__(self, path: Path, dim: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.conn = sqlite3.connect(path, timeout=60)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(CREATE)

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 900):
            chunk = list(keys[start : start + 900])
            sql = SELECT.format(marks=", ".join("?" * len(chunk)))
            for key, blob in self.conn.execute(sql, chunk):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == self.dim:  # a torn or foreign row is simply a miss
                    found[key] = vec
        return found

    def put_many(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self.conn:
            self.conn.executemany(
                INSERT, ((k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items)
            )

    def close(self) -> None:
        self.conn.close()


SpanEncoder = Callable[[list[str], list[list[tuple[int, int]]]],
                       tuple[np.ndarray, list[np.ndarray]]]


def embed_spans_with_cache(texts: Sequence[str], spans: Sequence[list[tuple[int, int]]],
                           fingerprint: str, dim: int, encode: SpanEncoder,
                           cache: EmbeddingCache | None, chunk: int = 512,
                           on_progress: Callable[[int], None] | None = None,
                           lengths: Sequence[int] | None = None
                           ) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Passage vectors and span (sentence) vectors, embedding only texts with a cache miss.

    Misses are embedded longest first (by `lengths`, e.g. token counts; characters when
    not given), so every chunk, and every batch inside it, holds texts of similar length:
    chunks in corpus order mix long and short passages and pad the short ones.

    Returns (vectors, span vectors per text, number of texts embedded).
    """
    out = np.zeros((len(texts), dim), dtype=np.float32)
    span_out: list[np.ndarray] = [np.empty((0, dim), np.float32)] * len(texts)
    keys = [text_key(fingerprint, t) for t in texts]
    span_keys = [[f"{k}#{s}-{e}" for s, e in sp] for k, sp in zip(keys, spans)]
    hits = cache.get_many(keys + [k for ks in span_keys for k in ks]) if cache else {}
    missing = []
    for i, key in enumerate(keys):
        if key in hits and all(k in hits for k in span_keys[i]):
            out[i] = hits[key]
            span_out[i] = np.array([hits[k] for k in span_keys[i]], np.float32).reshape(-1, dim)
        else:
            missing.append(i)
    if on_progress and len(texts) - len(missing):
        on_progress(len(texts) - len(missing))
    size = lengths if lengths is not None else [len(t) for t in texts]
    missing.sort(key=lambda i: -size[i])
    for start in range(0, len(missing), chunk):
        batch = missing[start : start + chunk]
        vecs, span_vecs = encode([texts[i] for i in batch], [list(spans[i]) for i in batch])
        out[batch] = vecs
        items = []
        for j, i in enumerate(batch):
            span_out[i] = span_vecs[j]
            items.append((keys[i], vecs[j]))
            items.extend(zip(span_keys[i], span_vecs[j]))
        if cache:
            cache.put_many(items)
        if on_progress:
            on_progress(len(batch))
    return out, span_out, len(missing)
