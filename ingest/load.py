"""Find corpus files and turn each one into raw text, refusing bad files with a one-line reason."""

from __future__ import annotations

import io
import os
import re
import stat
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from bs4 import BeautifulSoup, NavigableString
from bs4.element import PreformattedString
from charset_normalizer import from_bytes
from docx import Document as DocxDocument
from docx.table import Table
from pypdf import PdfReader

from ingest.manifest import is_metadata_file
from ingest.models import Skipped
from policykb.errors import UnreadableDocument

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})

# 64 MiB: a whole statute book as plain text is a few MiB, so anything bigger is almost
# certainly a dump or an accident; the limit keeps one file's bytes + decoded str + cleaned
# copy (about 4x the size at worst) well inside a laptop's memory.
MAX_FILE_BYTES = 64 * 1024 * 1024
# A .docx is a zip: the limit applies to what it expands to, not to its size on disk.
MAX_DOCX_UNCOMPRESSED = 64 * 1024 * 1024
# Word XML compresses ~10-30x; zip bombs compress 1000x. Only checked on entries > 1 MiB.
MAX_COMPRESSION_RATIO = 200
_CHUNK = 1024 * 1024

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
_HTML_DROP = ["script", "style", "nav", "footer", "noscript", "template", "head", "iframe", "svg"]
_HTML_BLOCKS = frozenset(
    ["p", "div", "section", "article", "main", "aside", "header", "blockquote", "pre", "ul", "ol"]
    + ["li", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "hr", "form", "fieldset"]
    + ["figure", "figcaption", "address", "center", "h1", "h2", "h3", "h4", "h5", "h6"]
)
_SPACES = re.compile(r"\s+")
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b") + b"\x7f"


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
    if suffix == ".pdf":
        text = _pdf_text(data)
    elif suffix == ".docx":
        text = _docx_text(data)
    elif suffix in (".html", ".htm"):
        text = _html_text(data)
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
            raise UnreadableDocument(_too_large(info.st_size, MAX_FILE_BYTES, "file"))
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


def _too_large(size: int, limit: int, what: str) -> str:
    return f"{what} too large ({size / 2**20:.1f} MiB > {limit // 2**20} MiB limit)"


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes: BOM, then strict UTF-8 (the fast path), then a declared
    charset, then charset-normalizer; GB2312/GBK guesses decode as GB18030, their superset."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(_try_decode(data, codec), data)
    text = _try_decode(data, "utf-8")
    if text is None and declared:
        text = _try_decode(data, _codec_name(declared))
    if text is None:
        best = from_bytes(data).best()
        if best is not None:
            text = _try_decode(data, _codec_name(best.encoding)) or str(best)
    if text is None:
        text = _mostly_utf8(data)
    return _checked(text, data)


def _codec_name(name: str) -> str:
    name = name.lower().replace("-", "").replace("_", "")
    return "gb18030" if name in _GB_FAMILY else name


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """Accept UTF-8 with rare broken bytes (a truncated download), not a wrong encoding."""
    text = data.decode("utf-8", errors="replace")
    return text if text.count("\ufffd") * 1000 <= len(text) else None


def _checked(text: str | None, data: bytes) -> str:
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if text is None:
        if b"\x00" in sample or controls > 0.05 * len(sample):
            raise UnreadableDocument("binary content, not text")
        raise UnreadableDocument("undecodable bytes (encoding unknown)")
    if _looks_binary(text[:65536]):
        raise UnreadableDocument("binary content, not text")
    return text.removeprefix("\ufeff")


def _looks_binary(sample: str) -> bool:
    """Binary bytes decoded by a permissive codec (UTF-16, cp125x) come out as control,
    unassigned, private-use or replacement characters; real text has almost none."""
    if "\x00" in sample:
        return True
    # Count per distinct character (Counter runs in C): a few thousand category look-ups
    # instead of one per character.
    bad = sum(
        n for c, n in Counter(sample).items()
        if (c < " " and c not in "\t\n\r\f") or c == "\ufffd"
        or (c > "\x7f" and unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs"))
    )
    return bad > 0.02 * len(sample)


def _html_text(data: bytes) -> str:
    declared = _META_CHARSET.search(data[:4096])
    return html_to_text(decode_bytes(data, declared.group(1).decode() if declared else None))


def html_to_text(markup: str) -> str:
    """Visible text of a page: block elements become line breaks, headings get '#' marks
    (like Markdown, so structure detection treats every format alike)."""
    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    if title and soup.find("h1") is None:  # <title> lives in <head>; keep it as the heading
        soup.insert(0, _Break(f"# {title}\n\n"))
    for tag in soup.find_all(True):
        if tag.name == "br":
            tag.replace_with(_Break("\n"))
        elif tag.name in ("td", "th"):
            tag.insert_after(_Break("\t"))
        elif tag.name in _HTML_BLOCKS:
            level = int(tag.name[1]) if re.fullmatch(r"h[1-6]", tag.name) else 0
            tag.insert_before(_Break("\n\n" + "#" * level + (" " if level else "")))
            tag.insert_after(_Break("\n\n"))
    parts = []
    for node in soup.descendants:  # iterative: deeply nested markup cannot overflow the stack
        if isinstance(node, _Break):
            parts.append(str(node))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            # a source line break is a space, except between CJK characters
            parts.append(_SPACES.sub(" ", _CJK_BREAK.sub("", str(node))))
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _Break(NavigableString):
    """A line break we inserted, kept apart from the page's own whitespace."""


def _pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("encrypted PDF (password required)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises many types (KeyError, ValueError...) on bad files
        raise UnreadableDocument(f"corrupt PDF: {_one_line(exc)}") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise UnreadableDocument("PDF has no text layer (scanned?)")
    return text


def _docx_text(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnreadableDocument("corrupt .docx: not a zip archive") from exc
    with archive:
        _check_docx_archive(archive)
        _stream_size(archive, "word/document.xml")
    try:
        return docx_to_text(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors...
        raise UnreadableDocument(f"corrupt .docx: {_one_line(exc)}") from exc


def docx_to_text(stream: io.BytesIO) -> str:
    """Paragraphs and table rows in document order; Heading/Title styles get '#' marks."""
    document = DocxDocument(stream)
    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_rows(block))
            continue
        style = block.style.name if block.style is not None else ""
        match = re.fullmatch(r"Heading ([1-6])", style)
        level = 1 if style == "Title" else int(match.group(1)) if match else 0
        lines.append(("#" * level + " " if level and block.text.strip() else "") + block.text)
    return "\n".join(lines)


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:  # a merged cell is repeated once per grid column
            text = " ".join(cell.text.split())
            if not cells or text != cells[-1]:
                cells.append(text)
        rows.append("\t".join(cells))
    return rows


def _check_docx_archive(archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs and path tricks using only the declared sizes (nothing is inflated)."""
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > MAX_DOCX_UNCOMPRESSED:
        raise UnreadableDocument(_too_large(total, MAX_DOCX_UNCOMPRESSED, ".docx uncompressed"))
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or re.match(r"[A-Za-z]:", info.filename):
            raise UnreadableDocument(f"corrupt .docx: unsafe entry name {info.filename[:60]!r}")
        if info.file_size > _CHUNK and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise UnreadableDocument("suspicious .docx compression ratio (zip bomb?)")
    if "word/document.xml" not in archive.namelist():
        raise UnreadableDocument("corrupt .docx: no word/document.xml")


def _stream_size(archive: zipfile.ZipFile, name: str) -> int:
    """Inflate `name` chunk by chunk, counting real bytes, so an archive that understates
    its sizes is stopped at the cap instead of filling memory. (Today's zipfile already
    stops at the declared size and then fails the CRC check; this keeps the bound ours.)"""
    total = 0
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > MAX_DOCX_UNCOMPRESSED:
                    raise UnreadableDocument(
                        f"{name} expands past {MAX_DOCX_UNCOMPRESSED // 2**20} MiB (zip bomb?)"
                    )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableDocument(f"corrupt .docx: {_one_line(exc)}") from exc
    return total


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]
