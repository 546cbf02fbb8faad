"""The SQLite half of a generation: documents, passages and the FTS5 lexical table.

All SQL lives here as named statements. A generation's database is written once by a
build and then only read (opened read-only and `immutable`, so readers take no locks).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

# Bump when the tables change; part of the corpus fingerprint, so `update` rebuilds
# (2: term_stats).
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY, title TEXT, language TEXT, doc_type TEXT, issuer TEXT,
    published TEXT, effective TEXT, source TEXT, content_hash TEXT, text TEXT,
    n_passages INTEGER
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(id), ordinal INTEGER,
    text TEXT, start INTEGER, "end" INTEGER, language TEXT, heading_path TEXT,
    n_tokens INTEGER, text_hash TEXT, topics TEXT DEFAULT '[]', parallels TEXT DEFAULT '[]',
    dup_group INTEGER
);
CREATE INDEX passages_doc ON passages(doc_id, ordinal);
CREATE VIRTUAL TABLE passages_fts USING fts5(lex, tokenize = "unicode61 remove_diacritics 0");
CREATE TABLE sentences (
    passage_id INTEGER NOT NULL REFERENCES passages(id), start INTEGER, "end" INTEGER,
    vec BLOB
);
CREATE INDEX sentences_passage ON sentences(passage_id, start);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
"""

PASSAGE_COLUMNS = (
    "p.id, p.doc_id, p.ordinal, p.text, p.start, p.\"end\", p.language, p.heading_path, "
    "p.n_tokens, p.text_hash, p.topics, p.parallels, p.dup_group, d.title, d.doc_type, "
    "d.issuer, d.published, d.effective"
)
SELECT_PASSAGES = (
    f"SELECT {PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc_id "
    "WHERE p.id IN ({marks})"
)
# What collapsing duplicates and counting facets read for every candidate of a result set;
# the text and the other fields are read only for the page of hits shown.
SELECT_POOL_ROWS = (
    "SELECT p.id, p.doc_id, p.language, p.topics, p.dup_group, d.title, d.doc_type, d.issuer "
    "FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id IN ({marks})"
)
SELECT_FILTER_IDS = (
    "SELECT p.id FROM passages p JOIN documents d ON d.id = p.doc_id WHERE {where}"
)
SELECT_LEXICAL = (
    "SELECT rowid, -bm25(passages_fts) AS score FROM passages_fts "
    "WHERE passages_fts MATCH ? ORDER BY bm25(passages_fts) LIMIT ?"
)
SELECT_LEXICAL_FILTERED = (
    "SELECT f.rowid, -bm25(passages_fts) AS score FROM passages_fts f "
    "JOIN passages p ON p.id = f.rowid JOIN documents d ON d.id = p.doc_id "
    "WHERE passages_fts MATCH ? AND {where} ORDER BY bm25(passages_fts) LIMIT ?"
)
# Document frequency of every index term, written once at build time (fts5vocab counts
# doclists on the fly: 30 ms for a common Chinese term at 100k passages, too slow per query).
WRITE_TERM_STATS = (
    "CREATE VIRTUAL TABLE temp.passages_vocab USING fts5vocab(main, passages_fts, 'row');"
    "CREATE TABLE term_stats (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO term_stats SELECT term, doc FROM temp.passages_vocab;"
    "DROP TABLE temp.passages_vocab;"
)
HAS_TERM_STATS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'term_stats'"
SELECT_TERM_DOCS = "SELECT term, docs FROM term_stats WHERE term IN ({marks})"
SELECT_LEXICAL_FOR = (
    "SELECT rowid, -bm25(passages_fts) FROM passages_fts "
    "WHERE passages_fts MATCH ? AND rowid IN ({marks})"
)
SELECT_SENTENCES = (
    'SELECT passage_id, start, "end", vec FROM sentences WHERE passage_id IN ({marks}) '
    "ORDER BY passage_id, start"
)
SELECT_DOCUMENT = "SELECT * FROM documents WHERE id = ?"
SELECT_DOCUMENTS = (
    "SELECT id, title, language, doc_type, issuer, published, effective, source, n_passages "
    "FROM documents ORDER BY id"
)
SELECT_DOC_PASSAGES = (
    "SELECT id, ordinal, start, \"end\", language, heading_path, topics FROM passages "
    "WHERE doc_id = ? ORDER BY ordinal"
)
SELECT_NEIGHBOURS = (
    "SELECT (SELECT id FROM passages WHERE doc_id = :doc AND ordinal = :ord - 1), "
    "(SELECT id FROM passages WHERE doc_id = :doc AND ordinal = :ord + 1)"
)
SELECT_IDS = "SELECT id FROM passages ORDER BY id"
COUNT_PASSAGES = "SELECT count(*) FROM passages"
COUNT_FTS = "SELECT count(*) FROM passages_fts"
COUNT_BY_LANGUAGE = "SELECT language, count(*) FROM passages GROUP BY language ORDER BY 2 DESC"
COUNT_BY_DOC = "SELECT doc_id, count(*) FROM passages GROUP BY doc_id ORDER BY doc_id"
SELECT_META = "SELECT value FROM meta WHERE key = ?"
SELECT_HASHES = "SELECT id, doc_id, text_hash FROM passages ORDER BY id"

FILTER_SQL = {
    "language": "p.language IN ({marks})",
    "doc": "p.doc_id IN ({marks})",
    "doc_type": "d.doc_type IN ({marks})",
    "issuer": "d.issuer IN ({marks})",
    "topic": "EXISTS (SELECT 1 FROM json_each(p.topics) WHERE value IN ({marks}))",
}


def marks(n: int) -> str:
    """`?, ?, ?` for an IN clause of n values."""
    return ", ".join("?" * n)


def create_store(path: Path) -> sqlite_utils.Database:
    """Create an empty generation database with the schema.

    Journal off: a failed build is discarded whole, so crash safety here buys nothing.
    """
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(SCHEMA)
    return sqlite_utils.Database(conn)


def write_documents(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]) -> None:
    db.table("documents").insert_all(rows, batch_size=200)


def write_passages(db: sqlite_utils.Database, rows: Sequence[dict[str, Any]]) -> None:
    """Insert passages and their lexical text (`lex` key) into the FTS table, rowid = passage id."""
    db.table("passages").insert_all(
        ({k: v for k, v in r.items() if k != "lex"} for r in rows), batch_size=500
    )
    db.conn.executemany(
        "INSERT INTO passages_fts(rowid, lex) VALUES (?, ?)", ((r["id"], r["lex"]) for r in rows)
    )


def write_sentences(db: sqlite_utils.Database, rows: Sequence[tuple[int, int, int, bytes]]) -> None:
    """Sentence spans (passage coordinates) with float16 vectors, for clause selection."""
    db.conn.executemany(
        'INSERT INTO sentences (passage_id, start, "end", vec) VALUES (?, ?, ?, ?)', rows
    )


def write_meta(db: sqlite_utils.Database, meta: dict[str, Any]) -> None:
    db.table("meta").insert_all(
        ({"key": k, "value": json.dumps(v, ensure_ascii=False)} for k, v in meta.items()),
        replace=True,
    )


def finish_store(db: sqlite_utils.Database) -> None:
    """Optimise FTS, analyse, and make the file self-contained before checksums are taken."""
    db.conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('optimize')")
    db.conn.executescript(WRITE_TERM_STATS)
    db.conn.commit()
    db.conn.execute("ANALYZE")
    db.conn.execute("VACUUM")
    db.conn.close()


class StoreReader:
    """Read-only access to a finished generation database, one connection per thread."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._passage_count: int | None = None

    @property
    def conn(self) -> sqlite3.Connection:
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

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def meta(self, key: str) -> Any:
        row = self.one(SELECT_META, (key,))
        return None if row is None else json.loads(row[0])

    def by_ids(self, sql: str, ids: Sequence[int], *before: Any) -> list[sqlite3.Row]:
        """Rows of `sql` (holding `IN ({marks})`) for `ids`, in chunks under SQLite's
        variable limit; `before` are the parameters that precede the ids."""
        rows: list[sqlite3.Row] = []
        for start in range(0, len(ids), 900):
            chunk = list(ids[start : start + 900])
            rows.extend(self.all(sql.format(marks=marks(len(chunk))), [*before, *chunk]))
        return rows

    def passages(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Rows for the given passage ids (with their document's fields), keyed by id."""
        return {row["id"]: decode_passage(dict(row)) for row in self.by_ids(SELECT_PASSAGES, ids)}

    def pool_rows(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The fields a whole result set needs (duplicate groups, facets), keyed by id."""
        out: dict[int, dict[str, Any]] = {}
        for row in self.by_ids(SELECT_POOL_ROWS, ids):
            out[row["id"]] = dict(row, topics=json.loads(row["topics"] or "[]"))
        return out

    def filter_ids(self, filters: dict[str, list[str]], date_from: str | None = None,
                   date_to: str | None = None) -> list[int]:
        """Passage ids that satisfy the metadata filters (used to restrict the dense half)."""
        where, params = where_clause(filters, date_from, date_to)
        return [r[0] for r in self.all(SELECT_FILTER_IDS.format(where=where), params)]

    def lexical(self, match: str, limit: int, filters: dict[str, list[str]] | None = None,
                date_from: str | None = None, date_to: str | None = None
                ) -> list[tuple[int, float]]:
        """BM25 top `limit` for an FTS5 MATCH expression, restricted by the filters in SQL."""
        if filters or date_from or date_to:
            where, params = where_clause(filters or {}, date_from, date_to)
            rows = self.all(SELECT_LEXICAL_FILTERED.format(where=where), [match, *params, limit])
        else:
            rows = self.all(SELECT_LEXICAL, (match, limit))
        return [(r[0], r[1]) for r in rows]

    def lexical_for(self, match: str, ids: Sequence[int]) -> list[tuple[int, float]]:
        """BM25 of specific passages (same corpus statistics as a full MATCH)."""
        return [(r[0], r[1]) for r in self.by_ids(SELECT_LEXICAL_FOR, ids, match)]

    def sentences(self, ids: Sequence[int]) -> dict[int, list[tuple[int, int, bytes]]]:
        """Stored sentence spans and vectors of the given passages."""
        out: dict[int, list[tuple[int, int, bytes]]] = {}
        if ids:
            sql = SELECT_SENTENCES.format(marks=marks(len(ids)))
            for pid, s, e, vec in self.all(sql, list(ids)):
                out.setdefault(pid, []).append((s, e, vec))
        return out

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency log(1 + N / df) of each term over the passages; a
        term the index lacks gets the weight of one found once. Empty for a generation
        built before term statistics were stored (callers then weigh terms by length)."""
        n, docs = self.stats_passages(), self.term_docs(terms)
        return {t: math.log(1 + n / max(1, docs.get(t, 1))) for t in terms} if n else {}

    def stats_passages(self) -> int:
        """Passages counted by term_stats (0: a generation built before it existed)."""
        if self._passage_count is None:  # the generation never changes: count once
            has_stats = self.one(HAS_TERM_STATS) is not None
            self._passage_count = (self.one(COUNT_PASSAGES)[0] or 1) if has_stats else 0
        return self._passage_count

    def term_docs(self, terms: Sequence[str]) -> dict[str, int]:
        """Passages holding each term (terms the index lacks are absent); needs term_stats."""
        if not terms or not self.stats_passages():
            return {}
        sql = SELECT_TERM_DOCS.format(marks=marks(len(terms)))
        return {r[0]: r[1] for r in self.all(sql, list(terms))}

def where_clause(filters: dict[str, list[str]], date_from: str | None,
                 date_to: str | None) -> tuple[str, list[Any]]:
    """SQL condition and parameters for metadata filters over `passages p JOIN documents d`."""
    where: list[str] = []
    params: list[Any] = []
    for key, values in filters.items():
        if values:
            where.append(FILTER_SQL[key].format(marks=marks(len(values))))
            params.extend(values)
    if date_from:
        where.append("coalesce(d.published, d.effective) >= ?")
        params.append(date_from)
    if date_to:
        where.append("coalesce(d.published, d.effective) <= ?")
        params.append(date_to)
    return " AND ".join(where) or "1", params


def decode_passage(row: dict[str, Any]) -> dict[str, Any]:
    row["heading_path"] = json.loads(row["heading_path"] or "[]")
    row["topics"] = json.loads(row.get("topics") or "[]")
    row["parallels"] = json.loads(row.get("parallels") or "[]")
    return row
