"""Publish a verified local generation to Milvus: new collections, verify, move the alias.

A Milvus build is the local build (SQLite + FAISS, verified as always) copied into the
five collections of `<prefix>_<generation>` (index/storage/milvus_schema.py). The copy is
verified (row counts of every collection, a sample of vectors read back), and only then
does the alias `<prefix>` move to it, in one `alter_alias`. A failed or killed build
leaves the alias where it was; its collections are dropped on failure, or by the next
build. The generation served before the switch is kept until the next build, so API
workers still on it finish their searches; older ones are dropped after the switch.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from index.errors import IndexCorrupt
from index.storage import milvus_schema as ms
from index.storage.reader import LocalStore

BATCH = 500
SAMPLE = 32
K1, B = 1.2, 0.75  # FTS5's bm25() defaults (index/query/bm25.py)
Progress = Callable[[str, int, int], None]


def publish(local: Any, client: Any, prefix: str = "policykb",
            progress: Progress | None = None, shards: int | None = None,
            replicas: int | None = None) -> str:
    """Copy a loaded local generation (`generation.Generation`) to Milvus and switch to it.

    New collections get `shards` shards and are loaded as `replicas` replicas (Milvus's
    defaults when None). Returns the name of the passages collection now served under the
    alias `prefix`.
    """
    served = ms.served_collection(client, prefix)
    keep = {n for n in (served, _previous(client, served, replicas)) if n}
    drop_generations(client, prefix, keep)  # leftovers of failed or killed builds
    base = ms.collection_name(prefix, local.id)
    if base == served:
        return base  # already served
    try:
        if base not in keep:  # the previous generation (switching back) is still there
            _write(client, base, local, served, progress, shards)
        verify(client, base, local, replicas)
    except BaseException:
        drop_generations(client, prefix, keep)
        raise
    if served is None:
        client.create_alias(base, prefix)
    else:
        client.alter_alias(base, prefix)
    drop_generations(client, prefix, {n for n in (base, served) if n})
    return base


def _previous(client: Any, served: str | None, replicas: int | None) -> str | None:
    return None if served is None else ms.meta_value(client, served, "previous", replicas)


def drop_generations(client: Any, prefix: str, keep: set[str]) -> list[str]:
    """Drop every collection of `prefix` that belongs to none of the `keep` generations."""
    dropped = []
    for name in client.list_collections():
        owner = next((name[: -len(p)] for p in ms.PARTS[1:] if name.endswith(p)), name)
        if name.startswith(prefix + "_") and owner not in keep:
            client.drop_collection(name)
            dropped.append(name)
    return dropped


def _write(client: Any, base: str, local: Any, previous: str | None,
           progress: Progress | None, shards: int | None = None) -> None:
    store: LocalStore = local.store
    dim = int(local.manifest["model"]["dim"])
    ids = store.passage_ids()
    flat = local.manifest.get("vectors", {}).get("kind", "flat") == "flat"
    for part in ms.PARTS:
        client.create_collection(base + part, schema=ms.aux_schema(part, dim) if part else
                                 ms.passage_schema(dim),
                                 index_params=ms.index_params(client, part, flat),
                                 **ms.create_options(shards))
    terms = store.term_stats()
    vocab = {term: i for i, (term, _) in enumerate(terms)}
    _insert(client, base + "_terms", [{"term": t, "docs": d, "dim": i, "unused": [0.0, 0.0]}
                                      for i, (t, d) in enumerate(terms)])
    n_rows, avg_len = store.fts_totals()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        client.insert(base, _passage_rows(store, chunk, vocab, avg_len))
        client.insert(base + "_sents", _sentence_rows(store, chunk))
        if progress:
            progress("publish", start + len(chunk), len(ids))
    _insert(client, base + "_docs", _document_rows(store))
    meta = {"manifest": local.manifest, "fts_totals": [n_rows, avg_len],
            "stats_passages": store.stats_passages(), "previous": previous,
            "generation": local.id}
    _insert(client, base + "_meta", [{"key": k, "value": json.dumps(v, ensure_ascii=False),
                                      "unused": [0.0, 0.0]} for k, v in meta.items()])
    for part in ms.PARTS:
        client.flush(base + part)


def _insert(client: Any, name: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH * 4):
        client.insert(name, rows[start : start + BATCH * 4])


def bm25_weights(lex: str, length: int, avg_len: float, vocab: dict[str, int]
                 ) -> dict[int, float]:
    """A passage's BM25 term weights, f * (k1 + 1) / (f + k1 * (1 - b + b * len / avg)):
    its inner product with a vector of the query terms' idfs is FTS5's bm25()."""
    norm = K1 * (1 - B + B * length / (avg_len or 1.0))
    counts = Counter(ms.tokens(lex))
    return {vocab[t]: f * (K1 + 1) / (f + norm) for t, f in counts.items() if t in vocab}


def idf(n_rows: int, df: int) -> float:
    """FTS5's idf, floored at 1e-6 as its bm25() does."""
    return max(math.log((n_rows - df + 0.5) / (df + 0.5)), 1e-6)


def _passage_rows(store: LocalStore, ids: list[int], vocab: dict[str, int],
                  avg_len: float) -> list[dict[str, Any]]:
    rows, fts = store.passages(ids), store.fts_rows(ids)
    assert store.vectors is not None
    vecs = store.vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    out = []
    for pid, vec in zip(ids, vecs):
        row = dict(rows[pid])
        lex, length = fts.get(pid, ("", 0))
        row.update(vector=vec.tolist(), lex=lex, lex_len=length,
                   bm25=bm25_weights(lex, length, avg_len, vocab) or {0: 0.0},
                   heading_path=json.dumps(row["heading_path"], ensure_ascii=False),
                   parallels=json.dumps(row["parallels"], ensure_ascii=False),
                   topics=[str(t) for t in row["topics"]][: ms.TOPICS_MAX],
                   date=row["published"] or row["effective"])
        out.append(row)
    return out


def _sentence_rows(store: LocalStore, ids: list[int]) -> list[dict[str, Any]]:
    # float16 -> float32 is exact, so reading back as float16 gives the stored bytes.
    return [{"passage_id": pid, "start": s, "end": e,
             "vec": np.frombuffer(vec, dtype=np.float16).astype(np.float32).tolist()}
            for pid, spans in store.sentences(ids).items() for s, e, vec in spans]


def _document_rows(store: LocalStore) -> list[dict[str, Any]]:
    out = []
    for listed in store.documents():
        doc = store.document(listed["id"]) or {}
        text = doc.get("text") or ""
        meta = json.dumps(dict(doc, text=None), ensure_ascii=False)
        chunks = [text[i : i + ms.TEXT_CHUNK] for i in range(0, len(text), ms.TEXT_CHUNK)]
        for part, chunk in enumerate(chunks or [""]):
            out.append({"key": f"{doc['id']}\x00{part}", "doc_id": doc["id"], "part": part,
                        "meta": meta if part == 0 else "", "text": chunk,
                        "unused": [0.0, 0.0]})
    return out


def count(client: Any, name: str) -> int:
    return int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])


def verify(client: Any, base: str, local: Any, replicas: int | None = None) -> None:
    """Counts of every collection against the local generation; a sample of vectors
    read back equal to the FAISS ones. Raises IndexCorrupt otherwise."""
    store: LocalStore = local.store
    for part in ms.PARTS:  # a kept generation may come back released after a restart
        ms.load(client, base + part, replicas)
    ids = store.passage_ids()
    n_sents = sum(len(v) for v in store.sentences(ids).values()) if ids else 0
    expected = {"": len(ids), "_terms": len(store.term_stats()), "_sents": n_sents}
    for part, want in expected.items():
        if (got := count(client, base + part)) != want:
            raise IndexCorrupt(f"{base}{part}: {got} rows written, {want} expected")
    sample = random.Random(0).sample(ids, min(SAMPLE, len(ids)))
    if not sample:
        return
    back = {r["id"]: r["vector"] for r in client.get(base, ids=sample, output_fields=["vector"])}
    assert store.vectors is not None
    want = store.vectors.reconstruct_batch(np.asarray(sample, dtype=np.int64))
    for pid, vec in zip(sample, want):
        if pid not in back or not np.allclose(np.asarray(back[pid]), vec, atol=1e-6):
            raise IndexCorrupt(f"{base}: vector of passage {pid} did not read back equal")
