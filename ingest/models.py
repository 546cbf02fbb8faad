"""Plain records passed between ingest stages and handed to the index."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DocumentMeta:
    """What the corpus manifest (or the file itself) says about a document."""

    id: str
    title: str = ""
    language: str = ""
    doc_type: str = "article"  # law | regulation | local rule | judicial interpretation | article
    issuer: str = ""
    published: str | None = None  # ISO date
    effective: str | None = None  # ISO date
    source: str = ""  # path relative to the corpus folder


@dataclass
class Passage:
    """A searchable unit: `document.text[start:end] == text` (offsets in code points)."""

    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    language: str
    heading_path: list[str] = field(default_factory=list)
    n_tokens: int = 0


@dataclass
class Document:
    """A cleaned document: `text` is what we display; passages index into it."""

    meta: DocumentMeta
    text: str
    language: str
    passages: list[Passage] = field(default_factory=list)
    content_hash: str = ""
    # Where each metadata field came from: manifest, front matter, file name, text, ...
    meta_sources: dict[str, str] = field(default_factory=dict)


@dataclass
class Skipped:
    """A file that was not ingested, with a one-line reason."""

    path: str
    reason: str
