"""Find a document's title, heading path, articles (第X条) and clause starts as text offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text.markers import ARTICLE_NUMBER, CLAUSE_START, NUMBERED_LINE

_MARKDOWN = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
# Divisions of a Chinese statute; the rank places them in the heading path when the
# file has no markdown '#' (a plain-text law), matching the '#' depth LawRefBook uses.
_ZH_DIVISION = re.compile(r"^(第" + ARTICLE_NUMBER + r"(编|分编|章|节))(?:[ \t\u3000]+(.*))?$")
_ZH_RANKS = {"编": 12, "分编": 15, "章": 20, "节": 30}
_EN_DIVISION = re.compile(r"^(Part|Chapter|Section)\s+([IVXLC]+|\d+)\b[ .:\-]*(.*)$")
_EN_RANKS = {"Part": 12, "Chapter": 20, "Section": 30}
# An article starts at the line start. "第二十三条规定的..." is a cross-reference, not an
# article, so a label glued to the text only counts when a reference word does not follow.
_ZH_ARTICLE = re.compile(
    r"^\**(第" + ARTICLE_NUMBER + r"条)\**(?:[ \t\u3000]+|$|(?![的规、，。和至或及之中第款项]))"
)
# Translated statutes: "Article 3 The State ...", "ماده ۳ - ...". Prose that cites one
# ("Article 3 of the Law ...", "ماده ۳ قانون ...") goes on in lower case / without a dash.
_EN_ARTICLE = re.compile(r"^(Article\s+\d+)(?:[.:]?\s+(?=[A-Z(\"“])|[.:]?\s*$)")
_FA_ARTICLE = re.compile(r"^(ماده\s+[۰-۹\d]+)\s*(?:[-–:ـ]|$)")
_INLINE_HEADING = re.compile(
    r"(?:(?<=[.!?\"”] )|^)(\d{1,2}、 ?)"
    r"([A-Z][\w'-]* (?:[A-Za-z][\w'-]* ){0,10}?[a-z][\w'-]*) (?=[A-Z][a-z])",
    re.MULTILINE,
)
# Lines that may open a section; only these go through the per-line checks.
_CANDIDATE = re.compile(
    r"^[ \t\u3000]*(?:#|\**第|(?:Article|Part|Chapter|Section|ماده)\s)[^\n]*", re.MULTILINE
)
_FRONT_MATTER = re.compile(r"\A[ \t]*---[ \t]*\n(?:[^\n]*\n){0,38}?[ \t]*---[ \t]*(?:\n|\Z)")
_NON_SPACE = re.compile(r"\S")
_FINAL_PUNCT = tuple(".,;:!?。，；：！？、،؛؟…\"'”’»")
_SENTENCE_END = tuple(".!?。！？;；:：؟…\"'”’»)）")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])[ \t\u3000]+(?=[\u3400-\u9fff])")
_MAX_HEADING_WORDS = 12
_MAX_HEADING_CJK = 30
_MAX_TITLE_CHARS = 200


@dataclass
class Section:
    """A run of body text under one heading path: a heading's section or an article."""

    start: int
    end: int
    heading_path: list[str]
    is_article: bool = False


@dataclass
class Structure:
    """Title plus sections that tile the body `text[body_start:]` in order."""

    title: str
    sections: list[Section]
    body_start: int = 0


@dataclass
class _Line:
    start: int
    end: int  # without the newline
    text: str  # stripped


@dataclass
class _Mark:
    """Where a section opens: a heading (with a rank) or an article (rank None)."""

    start: int
    label: str
    rank: int | None


def find_structure(text: str, language: str) -> Structure:
    """Split cleaned text into a title and sections (headings, articles, clause starts).

    The preamble before the first heading (a law's enactment dates, an article's lead)
    gets the empty heading path. A heading line belongs to the section it opens, so its
    words stay searchable. Articles run until the next article or heading.

    Args:
        text: cleaned document text (offsets are code points into it).
        language: document language ("zh", "en", "fa", ...): picks heading heuristics.
    Returns:
        Structure whose sections tile `text[body_start:]`; no sections for a blank body.
    """
    title, body_start = _find_title(text)
    marks = _find_marks(text, body_start, language)
    sections = _build_sections(text, body_start, marks)
    return Structure(title=title, sections=sections, body_start=body_start)


def _split_lines(text: str, pos: int) -> list[_Line]:
    lines = []
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        lines.append(_Line(pos, end, text[pos:end].strip()))
        if nl < 0:
            break
        pos = nl + 1
    return lines


def _find_title(text: str) -> tuple[str, int]:
    """Title and where the body starts; a paragraph-like first line stays in the body."""
    front = _FRONT_MATTER.match(text)
    first = _NON_SPACE.search(text, front.end() if front else 0)
    if first is None:
        return "", len(text)
    start = text.rfind("\n", 0, first.start()) + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    line = text[start:end].strip()
    after = min(end + 1, len(text))
    rest_blank = _NON_SPACE.search(text, end) is None
    heading = _MARKDOWN.match(line)
    if heading and heading.group(1) == "#":
        return _normalize_heading(heading.group(2)), start if rest_blank else after
    looks_like_title = len(line) <= _MAX_TITLE_CHARS and not line.endswith(_FINAL_PUNCT)
    if looks_like_title and not rest_blank:
        return _normalize_heading(line.lstrip("#").strip()), after
    short = re.split(r"(?<=[.!?。！？])\s", line, maxsplit=1)[0]
    return short[:_MAX_TITLE_CHARS].rstrip(), start


def clause_starts(text: str, start: int, end: int) -> list[int]:
    """Offsets in `text[start:end]` where a numbered clause starts ("（一）", "1、", "First,").

    The splitter prefers to cut an over-long section there; computed on demand because
    almost every section fits whole.
    """
    return [m.start(1) for m in CLAUSE_START.finditer(text, start, end) if m.start(1) > start]


def _find_marks(text: str, body_start: int, language: str) -> list[_Mark]:
    """Heading and article lines. Heuristic headings only in documents without markup."""
    candidates = _CANDIDATE.finditer(text, body_start)
    explicit = [_explicit_mark(m.start(), m.group().strip()) for m in candidates]
    marks = [m for m in explicit if m is not None]
    if marks:
        return marks
    lines = [line for line in _split_lines(text, body_start) if line.text]
    marks = [
        _Mark(line.start, _normalize_heading(line.text), rank)
        for i, line in enumerate(lines)
        if (rank := _heuristic_rank(lines, i, language)) is not None
    ]
    if language == "en":
        marks += _inline_headings(text, body_start)
    return sorted(marks, key=lambda m: m.start)


def _inline_headings(text: str, body_start: int) -> list[_Mark]:
    """Numbered headings glued into a paragraph: "... system. 1、 Optimize the structure of
    social security system After the founding ...". The heading ends where a capitalised
    word follows a lower-case one, the only trace of the lost line break."""
    return [
        _Mark(m.start(1), _normalize_heading(m.group(1) + m.group(2)), 20)
        for m in _INLINE_HEADING.finditer(text, body_start)
    ]


def _explicit_mark(start: int, line: str) -> _Mark | None:
    """Markdown headings, statute divisions (第一章, Chapter 2) and articles (第一条, Article 3)."""
    if not line:
        return None
    md = _MARKDOWN.match(line)
    content = md.group(2) if md else line
    for pattern in (_ZH_ARTICLE, _EN_ARTICLE, _FA_ARTICLE):
        article = pattern.match(content)
        if article and not md:
            return _Mark(start, re.sub(r"\s+", " ", article.group(1)), None)
    division = _division(content)
    if md:
        label = division[0] if division else _normalize_heading(content)
        return _Mark(start, label, len(md.group(1)) * 10)
    if division and len(line) <= 60 and not line.endswith(_FINAL_PUNCT):
        return _Mark(start, division[0], division[1])
    return None


def _division(line: str) -> tuple[str, int] | None:
    zh = _ZH_DIVISION.match(line)
    if zh:
        rest = _CJK_GAP.sub("", (zh.group(3) or "").strip())
        return (f"{zh.group(1)} {rest}".strip(), _ZH_RANKS[zh.group(2)])
    en = _EN_DIVISION.match(line)
    if en:
        return (_normalize_heading(line), _EN_RANKS[en.group(1)])
    return None


def _heuristic_rank(lines: list[_Line], index: int, language: str) -> int | None:
    """Rank of a short heading-like line standing between paragraphs, or None.

    `lines` are the non-blank body lines.
    """
    line = lines[index].text
    if line.endswith(_FINAL_PUNCT) or not _is_short(line):
        return None
    if language == "en" and not (line[0].isupper() or line[0].isdigit()):
        return None
    if index + 1 == len(lines) or not _is_paragraph(lines[index + 1].text, line):
        return None
    if index and not lines[index - 1].text.endswith(_SENTENCE_END):
        return None  # a wrapped line inside a sentence, not a heading
    numbered = NUMBERED_LINE.match(line)
    return 30 if numbered and numbered.group(2) else 20


def _is_short(line: str) -> bool:
    if _CJK.search(line):
        return len(line) <= _MAX_HEADING_CJK
    return len(line.split()) <= _MAX_HEADING_WORDS and len(line) <= 100


def _is_paragraph(line: str, heading: str) -> bool:
    return line.endswith(_SENTENCE_END) or len(line) > 2 * len(heading)


def _normalize_heading(text: str) -> str:
    return re.sub(r"[\s\u3000]+", " ", text).strip()


def _build_sections(text: str, body_start: int, marks: list[_Mark]) -> list[Section]:
    """Cut the body at every mark; blank stretches join the following section."""
    stack: list[tuple[int, str]] = []
    cuts: list[tuple[int, list[str], bool]] = [(body_start, [], False)]
    for mark in marks:
        if mark.rank is None:
            cuts.append((mark.start, [label for _, label in stack] + [mark.label], True))
            continue
        while stack and stack[-1][0] >= mark.rank:
            stack.pop()
        stack.append((mark.rank, mark.label))
        cuts.append((mark.start, [label for _, label in stack], False))
    sections: list[Section] = []
    pending = body_start
    ends = [*cuts[1:], (len(text), [], False)]
    for (_, path, is_article), (end, _, _) in zip(cuts, ends, strict=True):
        if end > pending and text[pending:end].strip():
            sections.append(Section(pending, end, path, is_article))
            pending = end
    return sections
