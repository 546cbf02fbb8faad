"""Documents into store rows, reusing passage ids on update: the id is also the FAISS id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.storage import generation as gen
from index.storage.reader import LocalStore
from ingest.models import Document


def previous_ids(index_dir: Path) -> dict[tuple[str, str], list[int]]:
    """(doc_id, text_hash) -> ids in the current generation, to keep ids stable on update."""
    gen_id = gen.current_generation_id(index_dir)
    if gen_id is None or not (index_dir / gen_id / gen.STORE_FILE).is_file():
        return {}
    reader = LocalStore(index_dir / gen_id / gen.STORE_FILE)
    try:
        out: dict[tuple[str, str], list[int]] = {}
        for pid, doc_id, text_hash in reader.passage_hashes():
            out.setdefault((doc_id, text_hash), []).append(pid)
        return out
    except Exception:
        return {}  # an unreadable old generation only costs us id stability
    finally:
        reader.close()


@dataclass
class PassageRow:
    """A passage as a build carries it from ingest to the store (the id is its FAISS id);
    what enrichment and analysis add is passed to `record` as columns."""

    id: int
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    language: str
    heading_path: list[str]
    n_tokens: int
    text_hash: str
    title: str  # the document's, for the lexical text and an optional embedding context

    def fields(self) -> dict[str, Any]:
        """The row as a plain mapping (what the enrichment functions read)."""
        return asdict(self)

    def record(self, lex: str, dup_group: int, parallels: list[int],
               topics: list[str]) -> dict[str, Any]:
        """The `passages` table row (lists JSON-encoded) plus its FTS5 text (`lex`)."""
        out = {k: v for k, v in asdict(self).items() if k != "title"}
        out.update(heading_path=json.dumps(self.heading_path, ensure_ascii=False), lex=lex,
                   dup_group=dup_group, parallels=json.dumps(parallels),
                   topics=json.dumps(topics, ensure_ascii=False))
        return out


def passage_rows(documents: list[Document], reuse: dict[tuple[str, str], list[int]]
                 ) -> list[PassageRow]:
    """One row per passage; ids reused from the previous generation where the text is unchanged."""
    used = {i for ids in reuse.values() for i in ids}
    next_id = max(used, default=-1) + 1
    rows = []
    for doc in documents:
        for p in doc.passages:
            text_hash = hashlib.sha256(p.text.encode("utf-8")).hexdigest()
            candidates = reuse.get((doc.meta.id, text_hash))
            if candidates:
                pid = candidates.pop(0)
            else:
                pid, next_id = next_id, next_id + 1
            rows.append(PassageRow(pid, doc.meta.id, p.ordinal, p.text, p.start, p.end,
                                   p.language, list(p.heading_path), p.n_tokens, text_hash,
                                   doc.meta.title))
    return rows


def document_rows(documents: list[Document]) -> list[dict[str, Any]]:
    """One row per document; the detected language fills in when the manifest gives none."""
    return [dict(asdict(d.meta), language=d.meta.language or d.language,
                 content_hash=d.content_hash, text=d.text, n_passages=len(d.passages))
            for d in documents]


def sentence_rows(rows: list[PassageRow], spans: list[list[tuple[int, int]]],
                  sent_vecs: list[np.ndarray]) -> list[tuple[int, int, int, bytes]]:
    """(passage_id, start, end, float16 vector) for every stored sentence."""
    out = []
    for r, row_spans, vecs in zip(rows, spans, sent_vecs):
        for (s, e), v in zip(row_spans, vecs):
            out.append((r.id, s, e, v.astype(np.float16).tobytes()))
    return out


def previous_documents(index_dir: Path) -> dict[str, tuple[str, str]]:
    """(source, content hash) by document id in the current generation; {} if none."""
    gen_id = gen.current_generation_id(index_dir)
    if gen_id is None or not (index_dir / gen_id / gen.STORE_FILE).is_file():
        return {}
    reader = LocalStore(index_dir / gen_id / gen.STORE_FILE)
    try:
        return reader.document_hashes()
    except Exception:  # noqa: BLE001 - an unreadable old generation only costs the report
        return {}
    finally:
        reader.close()
