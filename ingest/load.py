"""Find corpus files and turn each one into raw text, refusing bad files with a one-line reason."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ingest.decode import decode_bytes
from ingest.manifest import is_metadata_file
from ingest.models import Skipped
from ingest.errors import UnreadableDocument

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})

# 64 MiB: a whole statute book as plain text is a few MiB, so anything bigger is almost
# certainly a dump or an accident; the limit keeps one file's bytes + decoded str + cleaned
# copy (about 4x the size at worst) well inside a laptop's memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


def iter_corpus_files(root: Path) -> Iterator[Path | Skipped]:
    """Yield readable candidates under `root` in sorted order, or `Skipped` with the reason.

    Hidden files and, at the top level, the corpus's own metadata (manifest.json,
    topics.json, *.jsonl, README.md: see ingest.manifest) are left out silently.

    Symlinked folders are never descended into, so the walk cannot leave `root` or loop.
    `Skipped.path` is relative to `root`, like `DocumentMeta.source`.
    """
    root = Path(root)
    real_root = root.resolve()
    yield from _walk(root, root, real_root)


def _walk(folder: Path, root: Path, real_root: Path) -> Iterator[Path | Skipped]:
    try:
        with os.scandir(folder) as entries:
            ordered = sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        if folder == root:
            raise
        yield Skipped(folder.relative_to(root).as_posix(), f"cannot list folder: {exc.strerror}")
        return
    for entry in ordered:
        path = Path(entry.path)
        rel = path.relative_to(root).as_posix()
        if entry.name.startswith(".") or (folder == root and is_metadata_file(entry.name)):
            continue
        if ".." in entry.name:
            yield Skipped(rel, "file name contains '..'")
        elif entry.is_symlink() and not _inside(path, real_root):
            yield Skipped(rel, "symlink points outside the corpus folder")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path, root, real_root)
        elif entry.is_symlink() and path.is_dir():
            yield Skipped(rel, "symlinked folder not followed")
        elif not entry.is_file():  # follows an inside symlink; FIFOs, sockets, devices fail
            yield Skipped(rel, "not a regular file")
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            yield Skipped(rel, f"unsupported file type '{path.suffix or '(none)'}'")
        else:
            yield path


def _inside(path: Path, real_root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(real_root)
    except (OSError, RuntimeError):  # a symlink loop: treat like an escape
        return False


def read_text(path: Path, root: Path) -> str:
    """Return the raw text of one corpus file (before cleaning).

    Raises:
        UnreadableDocument: with a one-line reason (too large, empty, binary, corrupt...).
    """
    data = _read_bytes(Path(path), Path(root))
    suffix = Path(path).suffix.lower()
    if suffix in (".pdf", ".docx", ".html", ".htm"):
        from ingest import formats  # bs4, python-docx, pypdf: only for these files

        reader = {".pdf": formats.pdf_text, ".docx": formats.docx_text}.get(
            suffix, formats.html_text)
        text = reader(data)
    elif suffix in (".txt", ".md"):
        # Markdown stays as written: '#' headings and '第X条' lines drive structure
        # detection, and ingest.manifest reads the statute header up to "<!-- INFO END -->"
        # (clean_text drops the comment from the display text).
        text = decode_bytes(data)
    else:
        raise UnreadableDocument(f"unsupported file type '{suffix or '(none)'}'")
    if not text.strip():
        raise UnreadableDocument("no text content")
    return text


def _read_bytes(path: Path, root: Path) -> bytes:
    real_root = root.resolve()
    if not _inside(path, real_root):
        raise UnreadableDocument("symlink points outside the corpus folder")
    real = path.resolve()
    try:
        info = real.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableDocument("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            from ingest.formats import too_large

            raise UnreadableDocument(too_large(info.st_size, MAX_FILE_BYTES, "file"))
        with open(real, "rb") as f:
            # read(n) allocates n bytes up front, so ask for the size we saw, plus one
            # byte to notice a file that grew since (memory stays bounded either way).
            data = f.read(info.st_size + 1)
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > info.st_size:
        raise UnreadableDocument("file changed while being read")
    if not data:
        raise UnreadableDocument("empty file")
    return data
