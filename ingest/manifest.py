"""Corpus manifest: read `corpus/manifest.json` and derive a document's metadata from its own text."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from datetime import date
from pathlib import Path, PurePosixPath

from ingest.models import DocumentMeta
from ingest.errors import PolicyKBError

MANIFEST_NAME = "manifest.json"
# Files in the corpus folder that describe the corpus rather than belong to it.
METADATA_NAMES = frozenset({MANIFEST_NAME, "topics.json", "README.md"})
METADATA_SUFFIXES = (".jsonl",)
DOC_TYPES = ("law", "regulation", "local rule", "judicial interpretation", "article")
LANGUAGES = ("zh", "en", "fa", "mixed", "und")
FIELDS = ("id", "title", "language", "doc_type", "issuer", "published", "effective", "source")

HEADER_END = "<!-- INFO END -->"
_CN_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_NAME_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
_EFFECTIVE_LINE = re.compile(r"^\s*" + _CN_DATE + r"\s*施行")
_INSTRUMENT = r"本(?:法|条例|办法|规定|细则|决定)"
_BODY_EFFECTIVE = re.compile(_INSTRUMENT + r"(?:自|从)" + _CN_DATE + r"起施行")
_ON_PROMULGATION = re.compile(_INSTRUMENT + r"(?:自|从)(?:发布|公布)之日起施行")
_CONGRESS = re.compile(
    r"([\u4e00-\u9fff]*?)第[一二三四五六七八九十百]+届(全国)?人民代表大会(常务委员会)?"
)
# Scrapers sometimes glue a news dateline onto the headline: "...social securityBEIJING - Xi ...".
_GLUED_DATELINE = re.compile(r"^(.{10,}?[a-z)])([A-Z]{3,}(?: [A-Z]{3,})* ?[-–—] )")
# The corpus folder layout doubles as a fallback: every administrative regulation (行政法规)
# is made by the State Council, so a regulation without a header still has a known issuer.
_FOLDER_DEFAULTS = {
    "laws": ("law", ""),
    "regulations": ("regulation", "国务院"),
    "local": ("local rule", ""),
    "articles": ("article", ""),
}


def is_metadata_file(relative: str) -> bool:
    """True for corpus files that describe the corpus (manifest, topics, evals, README)."""
    name = PurePosixPath(relative).name
    return name in METADATA_NAMES or name.endswith(METADATA_SUFFIXES)


def extract_metadata(text: str, source: str) -> DocumentMeta:
    """Derive metadata from a document's text and its corpus-relative path.

    Chinese statute files open with a header ("2010年10月28日 ...通过", "...修正",
    "...公布", "2016年5月1日 施行") closed by `<!-- INFO END -->`; the file name often
    carries the date of the latest version, which the header sometimes omits.

    Args:
        text: the whole file as text.
        source: path relative to the corpus folder (POSIX).
    Returns:
        A DocumentMeta; `id` is a stable fallback that a curated table may replace.
    """
    path = PurePosixPath(source)
    language = guess_language(text)
    folder_type, folder_issuer = _FOLDER_DEFAULTS.get(path.parts[0] if path.parts else "", ("", ""))
    header, body = _split_header(text)
    name_date = _NAME_DATE.search(path.stem)
    issuer = _issuer(header) or folder_issuer
    published = _published(header, name_date.group(1) if name_date else None)
    return DocumentMeta(
        id=default_id(source),
        title=_title(text, language),
        language=language,
        doc_type=_doc_type(issuer, folder_type),
        issuer=issuer,
        published=published,
        effective=_effective(header, body),
        source=path.as_posix(),
    )


def guess_language(text: str) -> str:
    """Dominant script of the opening text: enough to label a whole curated document."""
    sample = text[:5000]
    han = sum("\u4e00" <= c <= "\u9fff" for c in sample)
    arabic = sum("\u0600" <= c <= "\u06ff" for c in sample)
    latin = sum(c.isascii() and c.isalpha() for c in sample)
    # One Han character carries roughly a word, so it counts for several Latin letters.
    scores = {"zh": han * 4, "fa": arabic, "en": latin}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else "und"


def default_id(source: str) -> str:
    """A stable ASCII id from the path: readable when the stem is ASCII, else a short hash."""
    stem = PurePosixPath(source).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    if stem.isascii() and slug:
        return slug
    return "doc-" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]


def _split_header(text: str) -> tuple[str, str]:
    if HEADER_END not in text:
        return "", text
    header, body = text.split(HEADER_END, 1)
    return header, body


def _title(text: str, language: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:5]:
        if line.startswith("# "):
            return line[2:].strip()
    first = lines[0].lstrip("# ").strip() if lines else ""
    glued = _GLUED_DATELINE.match(first)
    if glued:
        first = glued.group(1)
    return first if len(first) <= 200 else first[:200].rsplit(" ", 1)[0]


def _cn_date(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups()[-3:])
    return date(year, month, day).isoformat()


def _header_lines(header: str) -> list[str]:
    return [line.strip() for line in header.splitlines() if re.search(_CN_DATE, line)]


def _issuer(header: str) -> str:
    """The enacting body, read from the first (enacting) line of the header."""
    for line in _header_lines(header):
        congress = _CONGRESS.search(line)
        if congress:
            region = congress.group(1) or ("全国" if congress.group(2) else "")
            return region + "人民代表大会" + (congress.group(3) or "")
        if "国务院" in line:
            return "国务院"
    return ""


def _published(header: str, name_date: str | None) -> str | None:
    """Latest promulgation or amendment date: header lines and the file-name date."""
    dates = [name_date] if name_date else []
    for line in _header_lines(header):
        if _EFFECTIVE_LINE.match(line):
            continue
        dates += [_cn_date(m) for m in re.finditer(_CN_DATE, line)]
    return max(dates) if dates else None


def _effective(header: str, body: str) -> str | None:
    """Entry-into-force date as the text states it (for amended acts: the original date)."""
    for line in _header_lines(header):
        found = _EFFECTIVE_LINE.match(line)
        if found:
            return _cn_date(found)
    stated = list(_BODY_EFFECTIVE.finditer(body))
    if stated:
        return _cn_date(stated[-1])
    if _ON_PROMULGATION.search(body):
        promulgated = [
            _cn_date(m)
            for line in _header_lines(header)
            if "发布" in line or "公布" in line
            for m in re.finditer(_CN_DATE, line)
        ]
        return min(promulgated) if promulgated else None
    return None


def _doc_type(issuer: str, folder_type: str) -> str:
    if issuer == "国务院":
        return "regulation"
    if issuer.startswith("全国人民代表大会"):
        return "law"
    if issuer.endswith(("人民代表大会", "人民代表大会常务委员会")):
        return "local rule"
    return folder_type or "article"


def load_manifest(corpus_dir: Path) -> dict[str, DocumentMeta]:
    """Read `corpus_dir/manifest.json` into metadata keyed by corpus-relative POSIX path.

    Returns {} when there is no manifest (documents then fall back to `extract_metadata`).
    Raises PolicyKBError naming the entry and field when the manifest is malformed.
    """
    path = Path(corpus_dir) / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(path, f"is not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(entries, list):
        raise _malformed(path, "must be a JSON list of document objects")
    metas: dict[str, DocumentMeta] = {}
    ids: set[str] = set()
    for number, entry in enumerate(entries, 1):
        meta = _parse_entry(path, number, entry)
        if meta.source in metas or meta.id in ids:
            raise _malformed(
                path, f"entry {number} repeats source or id {meta.source!r}/{meta.id!r}"
            )
        metas[meta.source] = meta
        ids.add(meta.id)
    return metas


def _parse_entry(path: Path, number: int, entry: object) -> DocumentMeta:
    where = f"entry {number}"
    if not isinstance(entry, dict):
        raise _malformed(path, f"{where} is not an object")
    unknown = set(entry) - set(FIELDS)
    if unknown:
        raise _malformed(path, f"{where} has unknown fields {sorted(unknown)}")
    for key in ("id", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _malformed(path, f"{where} needs a non-empty string {key!r}")
    for key in ("title", "language", "doc_type", "issuer"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise _malformed(path, f"{where} field {key!r} must be a string or null")
    source = _clean_source(path, where, entry["source"])
    if entry.get("doc_type", "article") not in DOC_TYPES:
        raise _malformed(path, f"{where} doc_type must be one of {', '.join(DOC_TYPES)}")
    if entry.get("language") and entry["language"] not in LANGUAGES:
        raise _malformed(path, f"{where} language must be one of {', '.join(LANGUAGES)}")
    for key in ("published", "effective"):
        _check_date(path, where, key, entry.get(key))
    return DocumentMeta(
        id=entry["id"].strip(),
        title=entry.get("title") or "",
        language=entry.get("language") or "",
        doc_type=entry.get("doc_type") or "article",
        issuer=entry.get("issuer") or "",
        published=entry.get("published"),
        effective=entry.get("effective"),
        source=source,
    )


def _clean_source(path: Path, where: str, source: str) -> str:
    posix = PurePosixPath(source.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        raise _malformed(path, f"{where} source must be relative to the corpus folder")
    return posix.as_posix()


def _check_date(path: Path, where: str, key: str, value: object) -> None:
    if value is None:
        return
    try:
        date.fromisoformat(value)  # type: ignore[arg-type]
        ok = isinstance(value, str) and len(value) == 10
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise _malformed(path, f"{where} {key} must be an ISO date (YYYY-MM-DD) or null")


def _malformed(path: Path, problem: str) -> PolicyKBError:
    return PolicyKBError(
        f"{path} {problem}; fix it or regenerate it with `python scripts/make_manifest.py`"
    )


def manifest_entry(meta: DocumentMeta) -> dict[str, str | None]:
    """The JSON shape of one manifest entry: field order fixed, an unknown issuer is null."""
    row = asdict(meta)
    entry = {key: row[key] for key in FIELDS}
    entry["issuer"] = entry["issuer"] or None
    return entry
