"""Writing a generation's SQLite file: created once by a build, then only read.

The build writes everything in one go with journaling off: a failed build is discarded
whole, so crash safety inside the file buys nothing (see index/storage/generation.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss

if TYPE_CHECKING:
    import sqlite_utils

from index.storage.schema import SCHEMA, WRITE_TERM_STATS

def create_store(path: Path) -> sqlite_utils.Database:
    """Create an empty generation database with the schema.

    Journal off: a failed build is discarded whole, so crash safety here buys nothing.
    """
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(SCHEMA)
    import sqlite_utils  # here: it imports pandas, 1.3 s of an `update` that writes nothing

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


def library_versions() -> dict[str, str]:
    """Versions of the storage libraries, recorded in each generation's manifest."""
    return {"faiss": faiss.__version__, "sqlite": sqlite3.sqlite_version}
