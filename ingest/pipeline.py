"""Ingest a corpus folder: load, clean, detect language, find structure, split; skip bad files."""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from ingest.clean import clean_text
from ingest.infer import infer_metadata
from ingest.language import detect_language
from ingest.load import iter_corpus_files, read_text
from ingest.markdown import plain_structure, strip_markdown
from ingest.manifest import is_metadata_file, load_manifest
from ingest.models import Document, DocumentMeta, Skipped
from ingest.split import DEFAULT_BUDGET, DEFAULT_OVERLAP, TokenCounter, split_document
from ingest.structure import Structure, find_structure
from ingest.errors import UnreadableDocument

# Called once per file, in corpus order: (source, n_passages, None) or (source, None, reason).
OnFile = Callable[[str, int | None, str | None], None]
# What ingest makes of a file; part of the corpus fingerprint, so a change here makes
# `policykb update` rebuild. 2: display text without Markdown, inferred metadata.
INGEST_VERSION = 2
_NOT_ID = re.compile(r"[^\w]+")


@dataclass
class IngestReport:
    """What one pass over a corpus folder produced: documents, and files skipped with reasons."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Seconds spent reading, cleaning and splitting (summed over files, for progress lines).
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_files(self) -> int:
        return len(self.documents) + len(self.skipped)

    @property
    def n_passages(self) -> int:
        return sum(len(doc.passages) for doc in self.documents)

    def passages_by_language(self) -> dict[str, int]:
        """Passage counts per language, largest first (passages are labelled one by one)."""
        counts = Counter(p.language for doc in self.documents for p in doc.passages)
        return dict(counts.most_common())


def ingest_path(
    root: Path,
    count_tokens: TokenCounter,
    manifest: dict[str, DocumentMeta] | None = None,
    budget: int = DEFAULT_BUDGET,
    overlap: int = DEFAULT_OVERLAP,
    on_file: OnFile | None = None,
) -> IngestReport:
    """Ingest every corpus file under `root`; one broken file never stops the rest.

    Args:
        root: corpus folder.
        count_tokens: content tokens of the embedding model (budget and passage sizes).
        manifest: metadata by corpus-relative source path; None reads `root/manifest.json`
            if there is one, {} ignores it.
        budget, overlap: passage size limits in tokens (see ingest.split).
        on_file: progress callback, see OnFile.
    Returns:
        IngestReport; document ids are unique, and stable across runs for the same files.
    """
    root = Path(root)
    manifest = load_manifest(root) if manifest is None else manifest
    report = IngestReport()
    taken = {meta.id for meta in manifest.values()}
    for item in iter_corpus_files(root):
        if isinstance(item, Skipped):
            outcome: Document | Skipped = item
        else:
            source = item.relative_to(root).as_posix()
            if "/" not in source and is_metadata_file(source):
                continue  # README.md and the like describe the corpus
            outcome = _ingest_or_skip(item, root, count_tokens, manifest, budget, overlap, taken,
                                      report.seconds)
        if isinstance(outcome, Skipped):
            report.skipped.append(outcome)
            if on_file:
                on_file(outcome.path, None, outcome.reason)
        else:
            report.documents.append(outcome)
            if on_file:
                on_file(outcome.meta.source, len(outcome.passages), None)
    return report


def _ingest_or_skip(
    path: Path, root: Path, count_tokens: TokenCounter, manifest: dict[str, DocumentMeta],
    budget: int, overlap: int, taken: set[str], seconds: dict[str, float],
) -> Document | Skipped:
    source = path.relative_to(root).as_posix()
    try:
        return ingest_file(path, root, count_tokens, manifest, budget, overlap, taken, seconds)
    except UnreadableDocument as exc:
        return Skipped(source, _one_line(str(exc)))
    except Exception as exc:  # noqa: BLE001 - a bug on one odd file must not stop the corpus
        return Skipped(source, _one_line(f"unexpected {type(exc).__name__}: {exc}"))


def ingest_file(
    path: Path,
    root: Path,
    count_tokens: TokenCounter,
    manifest: dict[str, DocumentMeta] | None = None,
    budget: int = DEFAULT_BUDGET,
    overlap: int = DEFAULT_OVERLAP,
    taken_ids: set[str] | None = None,
    seconds: dict[str, float] | None = None,
) -> Document:
    """Ingest one corpus file (also used by incremental updates).

    Args:
        path: the file, inside `root`.
        root: corpus folder; the document's source is the path relative to it.
        manifest: curated metadata by source; a file missing from it gets derived metadata.
        taken_ids: ids already in use; the new id is added. A derived id that collides
            gets a suffix from the source path, so it is still the same on the next run.
        seconds: if given, gets the seconds spent to "read", "clean" and "split" added.
    Raises:
        UnreadableDocument: the file cannot be read, or has no text left after cleaning.
    """
    path, root = Path(path), Path(root)
    source = path.relative_to(root).as_posix()
    lap = _stopwatch({} if seconds is None else seconds)
    raw = read_text(path, root)
    lap("read")
    marked = clean_text(raw)
    stripped = strip_markdown(marked)  # structure is read from the markup, shown without
    text = stripped.text
    if not text.strip():
        raise UnreadableDocument("no text left after cleaning")
    listed = (manifest or {}).get(source)
    language = (listed.language if listed else "") or detect_language(marked)
    lap("clean")
    structure = plain_structure(find_structure(marked, language), stripped)
    structure.title = strip_markdown(structure.title).text
    meta, sources = _meta(listed, source, marked, structure.title, language, taken_ids or set())
    doc = document_from_text(text, meta, count_tokens, budget, overlap, structure)
    lap("split")
    if not doc.passages:
        raise UnreadableDocument("no text besides a title or front matter")
    if taken_ids is not None:
        taken_ids.add(meta.id)
    doc.meta_sources = sources
    return doc


def document_from_text(text: str, meta: DocumentMeta, count_tokens: TokenCounter,
                       budget: int = DEFAULT_BUDGET, overlap: int = DEFAULT_OVERLAP,
                       structure: Structure | None = None) -> Document:
    """A cleaned text with known metadata (`meta.language` set) as a split document: the
    one path from text to passages, for corpus files and evaluation sets alike."""
    structure = structure or find_structure(text, meta.language)
    passages = split_document(text, structure, meta.language, count_tokens, budget, overlap,
                              doc_id=meta.id)
    return Document(meta=meta, text=text, language=meta.language, passages=passages,
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest())


def _meta(listed: DocumentMeta | None, source: str, marked: str, title: str, language: str,
          taken: set[str]) -> tuple[DocumentMeta, dict[str, str]]:
    """The manifest's entry (its title filled from the text if empty), or metadata
    inferred from the file; with where each field came from (see ingest.infer.SOURCES)."""
    if listed is not None:
        sources = dict.fromkeys(("id", "doc_type", "issuer", "published", "effective",
                                 "source"), "manifest")
        sources["title"] = "manifest" if listed.title else "text"
        sources["language"] = "manifest" if listed.language else "text"
        return replace(listed, title=listed.title or title, language=language,
                       source=listed.source or source), sources
    facts = infer_metadata(marked, source, title)
    meta = DocumentMeta(id=derive_id(source, taken), title=facts["title"].value or "",
                        language=language, doc_type=facts["doc_type"].value or "article",
                        issuer=facts["issuer"].value or "", published=facts["published"].value,
                        effective=facts["effective"].value, source=source)
    sources = {"id": "file name", "language": "text", "source": "file name"}
    sources.update({name: fact.source for name, fact in facts.items()})
    return meta, sources


def _stopwatch(seconds: dict[str, float]) -> Callable[[str], None]:
    """lap(stage) adds the seconds since the previous lap (or the start) to seconds[stage]."""
    last = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - last[0]
        last[0] = now

    return lap


def derive_id(source: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """Slug of the file stem ("社会保险法-2018-12-29"); on a clash, add a hash of the path."""
    stem = PurePosixPath(source).stem
    slug = _NOT_ID.sub("-", stem.casefold()).strip("-_") or "doc"
    if slug in taken:
        slug = f"{slug}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:8]}"
    return slug


def _one_line(message: str) -> str:
    return " ".join(message.split())[:300] or "unknown error"
