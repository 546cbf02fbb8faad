"""Cut a structured document into clause- and sentence-aware passages with exact offsets."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass


from ingest.language import detect_language, script_of
from ingest.models import Passage
from ingest.structure import Section, Structure, clause_starts

# e5-small reads 512 tokens including 2 special tokens and the "passage: " prompt. 320
# content tokens leave ~150 tokens of headroom for the title / heading-path context line
# prepended at embedding time, and clause-sized passages rank more precisely than
# page-sized ones. 32 tokens of overlap (~10%) keep a sentence cut by a forced split
# readable on both sides; it is used only when one unit is longer than the budget.
DEFAULT_BUDGET = 320
DEFAULT_OVERLAP = 32
# A section this small (a lone heading, a one-line note) is no useful answer on its own.
MIN_SECTION_TOKENS = 20

# Separators for an over-long unit, coarsest first; kept at the end of the piece they
# close. " " and "" are last resorts for a sentence longer than the budget.
SEPARATORS = {
    "zh": ["\n\n", "\n", "。", "！", "？", "；", "，", "、", " ", ""],
    "fa": ["\n\n", "\n", "؟", ".", "!", "؛", "،", " ", ""],
    "en": ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
}
_MIXED_SEPARATORS = ["\n\n", "\n", "。", "！", "？", ". ", "? ", "! ", "؟", "；", "; ", "؛",
                     "，", ", ", "،", " ", ""]
_CONTINUES = frozenset(",，、،-–")
# Links say nothing about the language of the passage around them.
_URL = re.compile(r"https?://\S+|www\.\S+")
_BLANK_LINES = re.compile(r"\n[ \t\u3000]*\n\s*")
_NEWLINE = re.compile(r"\n\s*")

TokenCounter = Callable[[str], int]


@dataclass
class _Piece:
    """A span of the document with its token count."""

    start: int
    end: int
    n_tokens: int


def split_document(
    text: str,
    structure: Structure,
    language: str,
    count_tokens: TokenCounter,
    budget: int = DEFAULT_BUDGET,
    overlap: int = DEFAULT_OVERLAP,
    doc_id: str = "",
) -> list[Passage]:
    """Split `text` into passages of at most `budget` tokens, one section at a time.

    A section that fits (a 第X条 article, a short heading section) becomes one passage, so
    an article is never cut unless it alone exceeds the budget. Sections under
    MIN_SECTION_TOKENS merge into the next one. A longer section is packed from
    paragraphs, then lines, then numbered clauses; only a piece still over budget is cut
    at sentence/comma boundaries with `overlap` tokens shared between the cuts.

    Args:
        text: cleaned document text; `text[p.start:p.end] == p.text` for every passage.
        structure: from `find_structure(text, language)`.
        language: document language; picks the sentence separators and the fallback label.
        count_tokens: content tokens of the embedding model's tokenizer (no specials).
        budget, overlap: in tokens.
        doc_id: copied into every passage.
    Returns:
        Passages in document order, ordinals 0..n-1.
    """
    count = _memo(count_tokens)
    label = _labeller(text, language)
    spans: list[tuple[_Piece, list[str]]] = []
    for section, n_tokens in _units(text, structure.sections, count, budget):
        pieces = [_Piece(section.start, section.end, n_tokens)]
        if n_tokens > budget:
            pieces = _pieces(text, section, count, budget, overlap, language)
            pieces = _pack(text, pieces, count, budget)
        spans.extend((piece, section.heading_path) for piece in pieces)
    return [
        Passage(doc_id=doc_id, ordinal=ordinal, text=(body := text[piece.start:piece.end]),
                start=piece.start, end=piece.end, language=label(body),
                heading_path=list(path), n_tokens=count(body))
        for ordinal, (piece, path) in enumerate(spans)
    ]


def _memo(count_tokens: TokenCounter) -> TokenCounter:
    """Count each distinct string once: the tokenizer is the cost of splitting.

    (Batching the sections through a `count_many` was measured: no CPU saved, and its
    worker threads only slow a busy machine down.)
    """
    cache: dict[str, int] = {}

    def count(piece: str) -> int:
        if piece not in cache:
            cache[piece] = count_tokens(piece) if piece.strip() else 0
        return cache[piece]

    return count


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Move offsets inward past whitespace; the text itself is never changed."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _units(
    text: str, sections: list[Section], count: TokenCounter, budget: int
) -> list[tuple[Section, int]]:
    """Sections with their token counts, tiny non-article sections merged into the next."""
    units: list[tuple[Section, int]] = []
    pending: tuple[Section, int] | None = None
    for section in sections:
        start, end = _strip(text, section.start, section.end)
        if start == end:
            continue
        current = (Section(start, end, section.heading_path, section.is_article),
                   count(text[start:end]))
        if pending is not None:
            glued = _glue(text, pending, current, count, budget)
            if glued is None:
                units.append(pending)
            current, pending = glued or current, None
        if current[1] < MIN_SECTION_TOKENS and not current[0].is_article:
            pending = current
        else:
            units.append(current)
    if pending is not None:
        units.append(pending)
    return units


def _glue(
    text: str, pending: tuple[Section, int], current: tuple[Section, int], count: TokenCounter,
    budget: int,
) -> tuple[Section, int] | None:
    """A tiny section joined to the next one; None where that would cut a fitting article."""
    (head, head_tokens), (section, n_tokens) = pending, current
    merged = Section(head.start, section.end, section.heading_path, section.is_article)
    if n_tokens > budget:  # cut anyway: the heading just leads the first piece
        return merged, head_tokens + n_tokens
    merged_tokens = count(text[head.start:section.end])
    if merged_tokens > budget and section.is_article:
        return None
    return merged, merged_tokens


def _pieces(
    text: str, section: Section, count: TokenCounter, budget: int, overlap: int, language: str
) -> list[_Piece]:
    """Pieces of an over-long section: paragraphs, then lines, then clauses, then sentences."""
    cutters: list[Callable[[int, int], list[int]]] = [
        lambda s, e: _cuts(_BLANK_LINES, text, s, e),
        lambda s, e: _cuts(_NEWLINE, text, s, e),
        lambda s, e: clause_starts(text, s, e),
    ]
    pieces: list[_Piece] = []
    todo = [(section.start, section.end, 0)]
    while todo:
        start, end, level = todo.pop()
        start, end = _strip(text, start, end)
        if start == end:
            continue
        n_tokens = count(text[start:end])
        if n_tokens <= budget:
            pieces.append(_Piece(start, end, n_tokens))
        elif level < len(cutters):
            bounds = [start, *cutters[level](start, end), end]
            todo.extend((a, b, level + 1) for a, b in reversed(list(itertools.pairwise(bounds))))
        else:
            pieces.extend(_cut_sentences(text, start, end, count, budget, overlap, language))
    return pieces


def _cuts(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[int]:
    """Line breaks that end a sentence or clause: scraped articles often break mid-sentence
    ("...covers all people,\n\nintegrates urban and rural areas")."""
    return [
        m.end() for m in pattern.finditer(text, start, end)
        if start < m.start() and m.end() < end
        and text[m.start() - 1] not in _CONTINUES and not text[m.end()].islower()
    ]


def _cut_sentences(
    text: str, start: int, end: int, count: TokenCounter, budget: int, overlap: int, language: str
) -> list[_Piece]:
    """Cut one over-long piece with langchain's recursive splitter, mapping chunks to offsets."""
    # Imported here: langchain costs a cold process ~0.7 s, and most pieces never get here.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # Accepted line breaks were cut already; the ones left sit inside sentences.
    separators = [s for s in SEPARATORS.get(language, _MIXED_SEPARATORS) if "\n" not in s]
    splitter = RecursiveCharacterTextSplitter(
        separators=separators,
        keep_separator="end",
        chunk_size=budget,
        chunk_overlap=min(overlap, budget // 2),
        length_function=count,
        strip_whitespace=True,
    )
    chunks = splitter.split_text(text[start:end])
    return [
        _Piece(start + at, start + at + len(chunk), count(chunk))
        for at, chunk in zip(_place(text[start:end], chunks), chunks, strict=True)
    ]


def _place(span: str, chunks: list[str]) -> list[int]:
    """Offsets of the chunks the splitter returned as text.

    Each chunk starts after the previous one's start and no later than its end plus the
    whitespace the splitter stripped; the last one ends the span. In repetitive text
    ("第一条 第一条 第一条") a chunk occurs several times in that window, so this is a
    search: earliest first, backtracking; `dead` remembers placements that led nowhere,
    which keeps it linear in the number of candidate positions.
    """
    starts: list[int] = []
    dead: set[tuple[int, int]] = set()
    resume = 0
    while len(starts) < len(chunks):
        k = len(starts)
        lo = starts[-1] + 1 if starts else 0
        hi = _skip_space(span, starts[-1] + len(chunks[k - 1]) if starts else 0) + len(chunks[k])
        at = span.find(chunks[k], max(lo, resume), hi)
        while at >= 0 and ((k, at) in dead or k == len(chunks) - 1
                           and span[at + len(chunks[k]):].strip()):
            at = span.find(chunks[k], at + 1, hi)
        if at >= 0:
            starts.append(at)
            resume = 0
        elif starts:
            resume = starts.pop() + 1
            dead.add((k - 1, resume - 1))
        else:  # cannot happen for the splitter's substrings; never emit a wrong offset
            raise ValueError(f"splitter output does not tile the text: {chunks[0][:40]!r}")
    return starts


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _pack(text: str, pieces: list[_Piece], count: TokenCounter, budget: int) -> list[_Piece]:
    """Greedily join consecutive pieces while the joined text stays within budget.

    Token counts are not additive (joining can add a token or two), so the sum gets one
    token of slack per join and the joined text is counted once to confirm.
    """
    packed: list[_Piece] = []
    i = 0
    while i < len(pieces):
        j, total = i + 1, pieces[i].n_tokens
        while j < len(pieces) and total + pieces[j].n_tokens + (j - i) <= budget:
            total, j = total + pieces[j].n_tokens, j + 1
        n_tokens = pieces[i].n_tokens
        while j - i > 1 and (n_tokens := count(text[pieces[i].start:pieces[j - 1].end])) > budget:
            j -= 1
        if j - i == 1:
            n_tokens = pieces[i].n_tokens
        packed.append(_Piece(pieces[i].start, pieces[j - 1].end, n_tokens))
        i = j
    return packed


def _labeller(text: str, language: str) -> Callable[[str], str]:
    """Language of each passage: detected one by one, so a Persian quote in an English
    article is labelled fa. A document in a single script needs no per-passage detection
    (and most of a statute corpus is Han only), which saves a scan per passage."""
    scripts = script_of(text)
    if len(scripts) <= 1:
        whole = detect_language(text) if scripts else "und"
        uniform = whole if whole != "und" else language
        return lambda body: uniform

    def label(body: str) -> str:
        detected = detect_language(_URL.sub(" ", body))
        return detected if detected != "und" else language

    return label
