"""Read access to one generation published to Milvus: the storage seam over MilvusClient.

Same answers as `LocalStore` (index/storage/reader.py) for every method of `SearchStore`.
BM25 is ours, not Milvus's (its built-in BM25 takes only its own tokenizers and keeps
statistics per segment): each passage stores its analysed token text and count, the terms
collection the document frequencies, and a sparse vector of BM25 term weights whose inner
product with the query's idfs is FTS5's bm25() (index/storage/milvus_writer.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.errors import IndexCorrupt
from index.storage import milvus_schema as ms
from index.storage.milvus_cache import CANDIDATE_FIELDS, POOL_FIELDS, CandidateCache
from index.storage.generation import check_model
from index.storage.milvus_writer import count, idf
from index.storage.protocol import pools_one_by_one
from index.storage.vectors import HNSW_EF_SEARCH

CHUNK = 1000  # ids per `id in [...]` query
QUERY_MAX = 16_384  # Milvus's cap on limit (and offset + limit)
PASSAGE_FIELDS = ["id", "doc_id", "ordinal", "text", "start", "end", "language",
                  "heading_path", "n_tokens", "text_hash", "topics", "parallels", "dup_group",
                  "title", "doc_type", "issuer", "published", "effective"]
Filters = dict[str, list[str]]


class FilteredIds(list[int]):
    """Passage ids that also remember the filter expression that found them: dense search
    restricted to them sends the expression, not an `id in [...]` of maybe millions."""

    def __init__(self, ids: list[int], expr: str):
        super().__init__(ids)
        self.expr = expr


class MilvusStore:
    """The collections of one generation (`base` = its passages collection)."""

    def __init__(self, client: Any, base: str, own_client: bool = False):
        self.client, self.base, self._own = client, base, own_client
        meta = {r["key"]: json.loads(r["value"]) for r in
                client.query(base + "_meta", filter='key != ""', output_fields=["key", "value"])}
        self.meta = meta
        self._totals = (int(meta["fts_totals"][0]), float(meta["fts_totals"][1]))
        self._terms: dict[str, tuple[int, int]] = {}  # term -> (docs, sparse dim); cached
        self._lock = threading.Lock()
        self._cache = CandidateCache()

    def _candidates(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Vector, token text and pool fields of passages: cached, else one query."""
        found, missing = self._cache.get(ids)
        if missing:
            rows = self._by(self.base, "id", missing, CANDIDATE_FIELDS)
            self._cache.put(rows)
            found.update(self._cache.get([int(r["id"]) for r in rows])[0])
        return found

    def _search(self, data: Any, field: str, limit: int, expr: str) -> list[dict[str, Any]]:
        """Hits of one search, their candidate fields cached on the way."""
        params: dict[str, Any] = {"metric_type": "IP"}
        if field == "vector":  # HNSW's breadth as FAISS's (a flat index ignores it)
            params["params"] = {"ef": max(HNSW_EF_SEARCH, min(limit, QUERY_MAX))}
        hits = self.client.search(self.base, data=[data], anns_field=field,
                                  limit=min(limit, QUERY_MAX), filter=expr,
                                  search_params=params, output_fields=CANDIDATE_FIELDS)[0]
        self._cache.put(dict(h["entity"], id=h["id"]) for h in hits)
        return list(hits)

    def close(self) -> None:
        if self._own:
            self.client.close()

    def _by(self, name: str, field: str, keys: Sequence[Any], fields: list[str],
            per_key: int = 1) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        step = max(1, min(CHUNK, QUERY_MAX // per_key))
        for start in range(0, len(keys), step):
            chunk = list(keys[start : start + step])
            values = ms.literal([str(k) for k in chunk]) if isinstance(chunk[0], str) else (
                "[" + ", ".join(str(int(k)) for k in chunk) + "]")
            out.extend(self.client.query(name, filter=f"{field} in {values}",
                                         output_fields=fields, limit=len(chunk) * per_key))
        return out

    def _all(self, name: str, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        it = self.client.query_iterator(name, filter=expr, output_fields=fields,
                                        batch_size=5000)
        out: list[dict[str, Any]] = []
        try:
            while batch := it.next():
                out.extend(batch)
        finally:
            it.close()
        return out

    # -- dense half --------------------------------------------------------------------------

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None
                     ) -> list[tuple[int, float]]:
        if within is not None and not within:
            return []
        expr = ("" if within is None else within.expr if isinstance(within, FilteredIds)
                else ms.ids_expr(within))
        hits = self._search(np.asarray(query, np.float32).tolist(), "vector", k, expr)
        # Exact ties (identical vectors: reprinted passages) come back from FAISS's flat
        # index higher id first, from Milvus in no set order; ordering them as FAISS does
        # keeps the same passage representing its duplicate group, so the same ranking.
        return sorted(((int(h["id"]), float(h["distance"])) for h in hits),
                      key=lambda hit: (-hit[1], -hit[0]))

    def dense_scores(self, ids: Sequence[int], query: np.ndarray) -> list[float]:
        return self.dense_dots(ids, query.reshape(1, -1))[:, 0].tolist()

    def dense_dots(self, ids: Sequence[int], directions: np.ndarray) -> np.ndarray:
        if not ids:
            return np.zeros((0, len(directions)), dtype=np.float32)
        rows = self._candidates(ids)
        return (np.vstack([rows[i]["vector"] for i in ids]).astype(np.float32)
                @ np.asarray(directions, dtype=np.float32).T)

    # -- lexical half ------------------------------------------------------------------------

    def filter_ids(self, filters: Filters, date_from: str | None = None,
                   date_to: str | None = None) -> list[int]:
        expr = ms.filter_expr(filters, date_from, date_to) or "id >= 0"
        return FilteredIds(sorted(int(r["id"]) for r in self._all(self.base, expr, ["id"])),
                           expr)

    def _query_vector(self, match: str) -> dict[int, float]:
        # A multi-token term (a phrase to FTS5) counts here as its tokens, each once.
        toks = list(dict.fromkeys(t for term in ms.match_terms(match) for t in ms.tokens(term)))
        self.term_docs(toks)
        n_rows = self._totals[0]
        return {dim: idf(n_rows, docs) for t in toks
                if (found := self._terms.get(t)) for docs, dim in [found]}

    def _sparse(self, match: str, limit: int, expr: str) -> list[tuple[int, float]]:
        qvec = self._query_vector(match)
        if not qvec or limit <= 0:
            return []
        hits = self._search(qvec, "bm25", limit, expr)
        # a passage with no index term holds a 0-weight placeholder: not a match
        return [(int(h["id"]), float(h["distance"])) for h in hits if h["distance"] > 0]

    def lexical(self, match: str, limit: int, filters: Filters | None = None,
                date_from: str | None = None, date_to: str | None = None
                ) -> list[tuple[int, float]]:
        return self._sparse(match, limit, ms.filter_expr(filters, date_from, date_to))

    def lexical_pools(self, match: str, limit: int, languages: Sequence[str]
                      ) -> list[tuple[int, float]]:
        return pools_one_by_one(self, match, limit, languages)

    def lexical_for(self, match: str, ids: Sequence[int]) -> list[tuple[int, float]]:
        out: list[tuple[int, float]] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            out.extend(self._sparse(match, len(chunk), ms.ids_expr(chunk)))
        return out

    def fts_rows(self, ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        return {i: (r["lex"] or "", int(r["lex_len"])) for i, r in self._candidates(ids).items()}

    def fts_totals(self) -> tuple[int, float]:
        return self._totals

    def stats_passages(self) -> int:
        return int(self.meta.get("stats_passages") or 0)

    def term_docs(self, terms: Sequence[str]) -> dict[str, int]:
        missing = [t for t in dict.fromkeys(terms) if t not in self._terms]
        if missing:
            found = {r["term"]: (int(r["docs"]), int(r["dim"])) for r in
                     self._by(self.base + "_terms", "term", missing, ["term", "docs", "dim"])}
            with self._lock:
                if len(self._terms) > 100_000:
                    self._terms.clear()
                self._terms.update(found)
        return {t: self._terms[t][0] for t in terms if t in self._terms}

    # -- rows --------------------------------------------------------------------------------

    def passages(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        out = {}
        for r in self._by(self.base, "id", ids, PASSAGE_FIELDS) if ids else []:
            row = {f: r.get(f) for f in PASSAGE_FIELDS}
            row.update(heading_path=json.loads(row["heading_path"] or "[]"),
                       parallels=json.loads(row["parallels"] or "[]"),
                       topics=list(row["topics"] or []))
            out[int(r["id"])] = row
        return out

    def pool_rows(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        return {i: {f: (list(r[f]) if f == "topics" else r[f]) for f in POOL_FIELDS}
                for i, r in self._candidates(ids).items()}

    def sentences(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int, bytes]]]:
        rows = self._by(self.base + "_sents", "passage_id", ids,
                        ["passage_id", "start", "end", "vec"], per_key=64) if ids else []
        out: dict[int, list[tuple[int, int, bytes]]] = {}
        for r in sorted(rows, key=lambda r: (r["passage_id"], r["start"])):
            vec = np.asarray(r["vec"], np.float32).astype(np.float16).tobytes()
            out.setdefault(int(r["passage_id"]), []).append((int(r["start"]), int(r["end"]), vec))
        return out

    def neighbours(self, positions: Sequence[tuple[str, int]]
                   ) -> dict[tuple[str, int], tuple[int | None, int | None]]:
        wanted: dict[str, set[int]] = {}
        for d, o in positions:
            wanted.setdefault(d, set()).update((o - 1, o + 1))
        found: dict[tuple[str, int], int] = {}
        if wanted:  # one query for the union, then keep the pairs asked for
            ordinals = sorted({o for os_ in wanted.values() for o in os_})
            expr = f"doc_id in {ms.literal(sorted(wanted))} and ordinal in {ordinals}"
            for r in self.client.query(self.base, filter=expr, limit=QUERY_MAX,
                                       output_fields=["doc_id", "ordinal", "id"]):
                if int(r["ordinal"]) in wanted[r["doc_id"]]:
                    found[(r["doc_id"], int(r["ordinal"]))] = int(r["id"])
        return {(d, o): (found.get((d, o - 1)), found.get((d, o + 1))) for d, o in positions}

    def _doc_meta(self) -> list[dict[str, Any]]:
        rows = self._all(self.base + "_docs", "part == 0", ["meta"])
        return sorted((json.loads(r["meta"]) for r in rows), key=lambda d: d["id"])

    def documents(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in d.items() if k not in ("text", "content_hash")}
                for d in self._doc_meta()]

    def document(self, doc_id: str) -> dict[str, Any] | None:
        rows = self.client.query(self.base + "_docs", filter=f"doc_id == {ms.literal(doc_id)}",
                                 output_fields=["part", "meta", "text"], limit=QUERY_MAX)
        if not rows:
            return None
        rows.sort(key=lambda r: r["part"])
        return dict(json.loads(rows[0]["meta"]), text="".join(r["text"] for r in rows))

    def document_passages(self, doc_id: str) -> list[dict[str, Any]]:
        fields = ["id", "ordinal", "start", "end", "language", "heading_path", "topics"]
        rows = self._all(self.base, f"doc_id == {ms.literal(doc_id)}", fields)
        return [{**{f: r.get(f) for f in fields},
                 "heading_path": json.loads(r["heading_path"] or "[]"),
                 "topics": list(r["topics"] or []), "parallels": []}
                for r in sorted(rows, key=lambda r: r["ordinal"])]

    def passages_by_document(self) -> dict[str, int]:
        return {d["id"]: d["n_passages"] for d in self._doc_meta() if d.get("n_passages")}


@dataclass
class MilvusGeneration:
    """A generation served from Milvus: what `Searcher` and the API need, plus close()."""

    id: str
    manifest: dict[str, Any]
    store: MilvusStore

    def close(self) -> None:
        self.store.close()


def open_milvus_generation(client: Any, prefix: str, model_id: str | None = None,
                           dim: int | None = None, own_client: bool = False,
                           replicas: int | None = None) -> MilvusGeneration:
    """The generation the alias `prefix` names (loaded as `replicas` replicas), its
    manifest checked against the model and its row count against the manifest."""
    base = ms.require_served(client, prefix)
    for part in ms.PARTS:  # a no-op when loaded; after a Milvus Lite restart they are not
        ms.load(client, base + part, replicas)
    store = MilvusStore(client, base, own_client)
    manifest = store.meta["manifest"]
    try:
        check_model(manifest, model_id, dim)
        want = manifest.get("counts", {}).get("passages")
        if (got := count(client, base)) != want:
            raise IndexCorrupt(f"{base}: {got} passages, manifest says {want}")
    except Exception:
        store.close()
        raise
    return MilvusGeneration(store.meta["generation"], manifest, store)
