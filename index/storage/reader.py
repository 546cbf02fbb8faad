"""Read access to one finished generation: SQLite (rows, FTS5) and FAISS (vectors).

`LocalStore` is the embedded backend of the storage seam (index/storage/protocol.py): every
read that search, the API and the CLI make goes through one of its named methods. The
database is opened read-only and `immutable` (a generation never changes after its build),
one connection per thread, so readers take no locks.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.storage import schema as sql
from index.storage.vectors import id_selector, search_vectors, stored_ids

CHUNK = 900  # ids per IN (...): under SQLite's default limit of 999 variables
SELECTOR_KEPT_FROM = 1000  # id lists this long keep their FAISS selector between searches
Filters = dict[str, list[str]]


class LocalStore:
    """SQLite + FAISS reads of one generation; safe to share between threads."""

    def __init__(self, path: Path, vectors: faiss.Index | None = None):
        self.path = path
        self.vectors = vectors
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._passage_count: int | None = None
        self._fts_totals: tuple[int, float] | None = None
        self._selectors: dict[int, tuple[Sequence[int], Any]] = {}

    # -- connections -----------------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # immutable=1: the generation never changes after its build, so skip locking.
            uri = f"file:{self.path}?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def _one(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self._conn.execute(query, params).fetchone()

    def _rows(self, query: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self._conn.execute(query, params).fetchall()

    def _by_ids(self, query: str, ids: Sequence[int], *before: Any) -> list[sqlite3.Row]:
        """Rows of `query` (holding `IN ({marks})`) for `ids`, in chunks under SQLite's
        variable limit; `before` are the parameters that precede the ids."""
        rows: list[sqlite3.Row] = []
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            rows.extend(self._rows(query.format(marks=sql.marks(len(chunk))), [*before, *chunk]))
        return rows

    # -- dense half --------------------------------------------------------------------------

    def dense_search(self, query: np.ndarray, k: int, within: Sequence[int] | None = None
                     ) -> list[tuple[int, float]]:
        """Top-k (passage id, cosine) for a unit query vector, optionally among `within`."""
        assert self.vectors is not None, "opened without vectors"
        selector = None
        if within is not None and len(within) > SELECTOR_KEPT_FROM:
            # Searches pass the same language pools each time: build their selector once.
            kept = self._selectors.get(id(within))
            if kept is None or kept[0] is not within:
                with self._lock:
                    if len(self._selectors) >= 64:
                        self._selectors.clear()
                    kept = self._selectors[id(within)] = (within, id_selector(within))
            selector = kept[1]
        return search_vectors(self.vectors, query, k, within, selector)

    def dense_scores(self, ids: Sequence[int], query: np.ndarray) -> list[float]:
        """Cosines of the given passages with a unit query vector (stored vectors)."""
        return self.dense_dots(ids, query.reshape(1, -1))[:, 0].tolist()

    def dense_dots(self, ids: Sequence[int], directions: np.ndarray) -> np.ndarray:
        """Inner products of the given passages' stored vectors with each row of
        `directions`: an (ids x rows) array."""
        assert self.vectors is not None, "opened without vectors"
        if not ids:
            return np.zeros((0, len(directions)), dtype=np.float32)
        vecs = np.vstack([self.vectors.reconstruct(int(i)) for i in ids])
        return vecs @ np.asarray(directions, dtype=np.float32).T

    # -- lexical half ------------------------------------------------------------------------

    def filter_ids(self, filters: Filters, date_from: str | None = None,
                   date_to: str | None = None) -> list[int]:
        """Passage ids that satisfy the metadata filters (used to restrict the dense half)."""
        where, params = sql.where_clause(filters, date_from, date_to)
        return [r[0] for r in self._rows(sql.SELECT_FILTER_IDS.format(where=where), params)]

    def lexical(self, match: str, limit: int, filters: Filters | None = None,
                date_from: str | None = None, date_to: str | None = None
                ) -> list[tuple[int, float]]:
        """BM25 top `limit` for an FTS5 MATCH expression, restricted by the filters in SQL."""
        if (filters and any(filters.values())) or date_from or date_to:
            where, params = sql.where_clause(filters or {}, date_from, date_to)
            rows = self._rows(sql.SELECT_LEXICAL_FILTERED.format(where=where),
                              [match, *params, limit])
        else:
            rows = self._rows(sql.SELECT_LEXICAL, (match, limit))
        return [(r[0], r[1]) for r in rows]

    def lexical_pools(self, match: str, limit: int, languages: Sequence[str]
                      ) -> list[tuple[int, float]]:
        """The BM25 top `limit` overall and in each of `languages`, in one walk of the
        MATCH: a passage has one language, so the overall top is among the languages' tops."""
        rows = self._rows(sql.SELECT_LEXICAL_BY_LANGUAGE, (match, limit))
        overall = sorted(rows, key=lambda r: (-r[1], r[0]))[:limit]
        hits = {r[0]: r[1] for r in overall}
        wanted = set(languages)
        hits.update((r[0], r[1]) for r in rows if r[2] in wanted)
        return list(hits.items())

    def lexical_for(self, match: str, ids: Sequence[int]) -> list[tuple[int, float]]:
        """BM25 of specific passages by FTS5 itself (generations without term_stats)."""
        return [(r[0], r[1]) for r in self._by_ids(sql.SELECT_LEXICAL_FOR, ids, match)]

    def fts_rows(self, ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """Each passage's indexed token text and token count, as FTS5 stored them."""
        rows: dict[int, tuple[str, int]] = {}
        for r in self._by_ids(sql.SELECT_FTS_ROWS, ids):
            sizes = read_varints(bytes(r[2]))
            rows[r[0]] = (r[1] or "", sizes[0] if sizes else 0)
        return rows

    def fts_totals(self) -> tuple[int, float]:
        """(rows, average tokens per row) from FTS5's averages record."""
        if self._fts_totals is None:  # the generation never changes
            row = self._one(sql.SELECT_FTS_AVERAGES)
            values = read_varints(bytes(row[0])) if row else []
            n_rows = values[0] if values else 0
            self._fts_totals = (n_rows, values[1] / n_rows if n_rows and len(values) > 1
                                else 1.0)
        return self._fts_totals

    def stats_passages(self) -> int:
        """Passages counted by term_stats (0: a generation built before it existed)."""
        if self._passage_count is None:  # the generation never changes: count once
            has_stats = self._one(sql.HAS_TERM_STATS) is not None
            self._passage_count = (self._one(sql.COUNT_PASSAGES)[0] or 1) if has_stats else 0
        return self._passage_count

    def term_docs(self, terms: Sequence[str]) -> dict[str, int]:
        """Passages holding each term (terms the index lacks are absent); needs term_stats."""
        if not terms or not self.stats_passages():
            return {}
        found = self._rows(sql.SELECT_TERM_DOCS.format(marks=sql.marks(len(terms))), list(terms))
        return {r[0]: r[1] for r in found}

    def term_stats(self) -> list[tuple[str, int]]:
        """Every index term with its document frequency (what another backend copies)."""
        return [(r[0], r[1]) for r in self._rows(sql.SELECT_TERM_STATS)] if (
            self.stats_passages()) else []

    def passage_ids(self) -> list[int]:
        return [r[0] for r in self._rows(sql.SELECT_IDS)]

    # -- rows --------------------------------------------------------------------------------

    def passages(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Rows for the given passage ids (with their document's fields), keyed by id."""
        return {row["id"]: decode_passage(dict(row))
                for row in self._by_ids(sql.SELECT_PASSAGES, ids)}

    def pool_rows(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The fields a whole result set needs (duplicate groups, facets), keyed by id."""
        out: dict[int, dict[str, Any]] = {}
        for row in self._by_ids(sql.SELECT_POOL_ROWS, ids):
            out[row["id"]] = dict(row, topics=json.loads(row["topics"] or "[]"))
        return out

    def sentences(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int, bytes]]]:
        """Stored sentence spans and vectors of the given passages."""
        out: dict[int, list[tuple[int, int, bytes]]] = {}
        for pid, s, e, vec in self._by_ids(sql.SELECT_SENTENCES, ids):
            out.setdefault(pid, []).append((s, e, vec))
        return out

    def neighbours(self, positions: Sequence[tuple[str, int]]
                   ) -> dict[tuple[str, int], tuple[int | None, int | None]]:
        """(previous, next) passage id of each (doc_id, ordinal), in one query."""
        wanted = {(d, o + step) for d, o in positions for step in (-1, 1)}
        found: dict[tuple[str, int], int] = {}
        pairs = list(wanted)
        for start in range(0, len(pairs), CHUNK // 2):
            chunk = pairs[start : start + CHUNK // 2]
            query = sql.SELECT_AT_ORDINALS.format(pairs=", ".join(["(?, ?)"] * len(chunk)))
            for doc_id, ordinal, pid in self._rows(query, [v for pair in chunk for v in pair]):
                found[(doc_id, ordinal)] = pid
        return {(d, o): (found.get((d, o - 1)), found.get((d, o + 1))) for d, o in positions}

    def documents(self) -> list[dict[str, Any]]:
        """Every document's metadata and passage count, by id."""
        return [dict(r) for r in self._rows(sql.SELECT_DOCUMENTS)]

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """One document with its cleaned text, None when unknown."""
        row = self._one(sql.SELECT_DOCUMENT, (doc_id,))
        return None if row is None else dict(row)

    def document_passages(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's passages (offsets, language, heading path, topics) in order."""
        return [decode_passage(dict(p)) for p in self._rows(sql.SELECT_DOC_PASSAGES, (doc_id,))]

    def document_hashes(self) -> dict[str, tuple[str, str]]:
        """(source, content hash) by document id: what an update compares."""
        return {r[0]: (r[1] or r[0], r[2] or "") for r in self._rows(sql.SELECT_DOCUMENT_HASHES)}

    def passages_by_document(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self._rows(sql.COUNT_BY_DOC)}

    def passage_hashes(self) -> list[tuple[int, str, str]]:
        """(id, doc_id, text_hash) of every passage: update keeps ids of unchanged text."""
        return [(r["id"], r["doc_id"], r["text_hash"]) for r in self._rows(sql.SELECT_HASHES)]

    def meta(self, key: str) -> Any:
        row = self._one(sql.SELECT_META, (key,))
        return None if row is None else json.loads(row[0])

    def health(self) -> dict[str, Any]:
        """What verification compares: integrity, row/FTS/vector counts, ids, generation."""
        n_rows = self._one(sql.COUNT_PASSAGES)[0]
        ids = np.fromiter((r[0] for r in self._rows(sql.SELECT_IDS)), dtype=np.int64,
                          count=n_rows)
        return {"integrity": self._one(sql.QUICK_CHECK)[0], "rows": n_rows,
                "fts": self._one(sql.COUNT_FTS)[0], "ids": ids,
                "vector_ids": stored_ids(self.vectors) if self.vectors is not None else None,
                "vector_count": self.vectors.ntotal if self.vectors is not None else None,
                "vector_dim": self.vectors.d if self.vectors is not None else None,
                "generation": self.meta("generation")}


def read_varints(blob: bytes) -> list[int]:
    """SQLite varints (as FTS5 stores sizes): 7 bits per byte, the 9th byte whole."""
    out, value, i, n = [], 0, 0, 0
    while i < len(blob):
        byte = blob[i]
        i += 1
        n += 1
        if n == 9:
            out.append((value << 8) | byte)
            value, n = 0, 0
        elif byte & 0x80:
            value = (value << 7) | (byte & 0x7F)
        else:
            out.append((value << 7) | byte)
            value, n = 0, 0
    return out


def decode_passage(row: dict[str, Any]) -> dict[str, Any]:
    row["heading_path"] = json.loads(row["heading_path"] or "[]")
    row["topics"] = json.loads(row.get("topics") or "[]")
    row["parallels"] = json.loads(row.get("parallels") or "[]")
    return row
