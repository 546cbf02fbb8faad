"""The SQLite schema of a generation and every SQL statement, by name.

All SQL of the project lives in index/storage: here the statements, in writer.py the
build's writes, in reader.py the named reads that search, the API and the CLI use.
"""

from __future__ import annotations

from typing import Any

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
    "SELECT p.id, p.doc_id, p.language, p.topics, p.dup_group, d.title, d.doc_type, d.issuer, "
    "d.published, d.effective "
    "FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.id IN ({marks})"
)
SELECT_FILTER_IDS = (
    "SELECT p.id FROM passages p JOIN documents d ON d.id = p.doc_id WHERE {where}"
)
SELECT_LEXICAL = (
    "SELECT rowid, -bm25(passages_fts) AS score FROM passages_fts "
    "WHERE passages_fts MATCH ? ORDER BY bm25(passages_fts) LIMIT ?"
)
# Each language's top `limit` in one walk of the MATCH (bm25() cannot sit in a window
# function, hence the materialised hits).
SELECT_LEXICAL_BY_LANGUAGE = (
    "WITH hits AS MATERIALIZED (SELECT rowid AS id, -bm25(passages_fts) AS score "
    "FROM passages_fts WHERE passages_fts MATCH ?) "
    "SELECT id, score, language FROM (SELECT h.id, h.score, p.language, row_number() OVER "
    "(PARTITION BY p.language ORDER BY h.score DESC, h.id) AS rank "
    "FROM hits h JOIN passages p ON p.id = h.id) WHERE rank <= ?"
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
SELECT_TERM_STATS = "SELECT term, docs FROM term_stats ORDER BY term"
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
SELECT_DOCUMENT_HASHES = "SELECT id, source, content_hash FROM documents"
SELECT_DOC_PASSAGES = (
    "SELECT id, ordinal, start, \"end\", language, heading_path, topics FROM passages "
    "WHERE doc_id = ? ORDER BY ordinal"
)
# (doc_id, ordinal) pairs of many passages at once: the neighbours of a page of hits.
# A join on the (doc_id, ordinal) index: `(doc_id, ordinal) IN (VALUES ...)` scans the table.
SELECT_AT_ORDINALS = (
    "SELECT p.doc_id, p.ordinal, p.id FROM (VALUES {pairs}) AS v "
    "JOIN passages p ON p.doc_id = v.column1 AND p.ordinal = v.column2"
)
SELECT_IDS = "SELECT id FROM passages ORDER BY id"
COUNT_PASSAGES = "SELECT count(*) FROM passages"
COUNT_FTS = "SELECT count(*) FROM passages_fts"
COUNT_BY_LANGUAGE = "SELECT language, count(*) FROM passages GROUP BY language ORDER BY 2 DESC"
COUNT_BY_DOC = "SELECT doc_id, count(*) FROM passages GROUP BY doc_id ORDER BY doc_id"
SELECT_META = "SELECT value FROM meta WHERE key = ?"
QUICK_CHECK = "PRAGMA quick_check"
# FTS5's own tables: each passage's token text and token count, and the table's totals
# (index.query.bm25 computes BM25 from them; see there for why).
SELECT_FTS_ROWS = (
    "SELECT c.id, c.c0, s.sz FROM passages_fts_content c "
    "JOIN passages_fts_docsize s ON s.id = c.id WHERE c.id IN ({marks})"
)
SELECT_FTS_AVERAGES = "SELECT block FROM passages_fts_data WHERE id = 1"
SELECT_HASHES = "SELECT id, doc_id, text_hash FROM passages ORDER BY id"

# Keyed by the filter names used from HTTP to storage (index.query.request.SearchRequest).
FILTER_SQL = {
    "lang": "p.language IN ({marks})",
    "doc": "p.doc_id IN ({marks})",
    "type": "d.doc_type IN ({marks})",
    "issuer": "d.issuer IN ({marks})",
    "topic": "EXISTS (SELECT 1 FROM json_each(p.topics) WHERE value IN ({marks}))",
}


def marks(n: int) -> str:
    """`?, ?, ?` for an IN clause of n values."""
    return ", ".join("?" * n)


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
