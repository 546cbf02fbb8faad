"""Extract text from HTML, PDF and .docx bytes, with '#' headings so every format reads alike."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

from bs4 import BeautifulSoup, NavigableString
from bs4.element import PreformattedString
from docx import Document as DocxDocument
from docx.table import Table
from pypdf import PdfReader

from ingest.decode import decode_bytes
from ingest.errors import UnreadableDocument

# A .docx is a zip: the limit applies to what it expands to, not to its size on disk.
MAX_DOCX_UNCOMPRESSED = 64 * 1024 * 1024
# Word XML compresses ~10-30x; zip bombs compress 1000x. Only checked on entries > 1 MiB.
MAX_COMPRESSION_RATIO = 200
_CHUNK = 1024 * 1024

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


def too_large(size: int, limit: int, what: str) -> str:
    """The refusal for an over-limit file or archive (shared with ingest.load)."""
    return f"{what} too large ({size / 2**20:.1f} MiB > {limit // 2**20} MiB limit)"


def html_text(data: bytes) -> str:
    """Text of an HTML file, decoded with the charset its <meta> declares, if any."""
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


def pdf_text(data: bytes) -> str:
    """Text layer of a PDF; encrypted, corrupt and scanned (image-only) files are refused."""
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


def docx_text(data: bytes) -> str:
    """Text of a .docx, after checking the archive so a zip bomb is refused before parsing."""
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
        raise UnreadableDocument(too_large(total, MAX_DOCX_UNCOMPRESSED, ".docx uncompressed"))
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
