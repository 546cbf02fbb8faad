"""Split a passage into sentence and clause spans (code points) for clause-level answers."""

from __future__ import annotations

import re
from itertools import pairwise
from ingest.text.markers import ABBREVIATIONS, ITEM_INLINE


# Full stops that end a sentence in any of our languages; "." is handled separately
# because it also marks abbreviations, decimals and list numbers.
_HARD_END = "。！？；!?;؟؛"
# Closers that belong to the sentence they follow: 。” and ?) stay together.
_CLOSERS = "\"'”’）)】」』»›〕]"
_HARD = re.compile(rf"[{_HARD_END}]+[{re.escape(_CLOSERS)}]*|\n+")
# In Chinese statutes "；" joins the parallel parts of one rule (满1年…12个月；满5年…18个月；
# 10年以上…24个月。): the sentence runs to "。" and is cut at "；" only when too long.
_HARD_ZH = re.compile(rf"[{_HARD_END.replace('；', '').replace(';', '')}]+"
                      rf"[{re.escape(_CLOSERS)}]*|\n+")
_DOT = re.compile(rf"(?:\.|…)+[{re.escape(_CLOSERS)}]*(?=\s|$)")
# English enumerations run into a line: "...as follows: First, ... ; Second, ...".
_ORDINAL = re.compile(
    r"(?<=[:;,]\s)(?=(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth"
    r"|Firstly|Secondly|Thirdly|Finally|Lastly)\b,?)"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_LETTER = re.compile(r"[^\W\d_]")
# Bump when the spans change: stored sentence vectors follow them (2: Chinese "；" is soft).
SPLITTER_VERSION = 2
# A sentence longer than this (code points) is cut again at commas and colons, so the
# "best clause" of a run-on legal sentence is still something one can read at a glance.
MAX_CLAUSE = {"zh": 160, "en": 400, "fa": 400}
# Separators an over-long sentence is cut at, strongest first.
_SOFT = {"zh": (re.compile(r"[；;]"), re.compile(r"[，：:](?!\d)")),
         "en": (re.compile(r"(?<!\d)[,:](?=\s)"),), "fa": (re.compile(r"[،:](?=\s)"),)}


def sentence_spans(text: str, language: str = "und") -> list[tuple[int, int]]:
    """(start, end) of each sentence or clause of `text`, whitespace trimmed.

    The spans are in order, do not overlap, and together cover every non-space character
    (a fragment with no letters, such as "1、" or "（一）", joins the clause after it).

    Args:
        text: passage text.
        language: "zh", "en", "fa", "mixed" or "und" (only decides abbreviation and
            long-clause handling; all terminators are honoured in every language).
    """
    cuts = {0, len(text)}
    for m in (_HARD_ZH if language == "zh" else _HARD).finditer(text):
        cuts.add(m.end())
    for m in _DOT.finditer(text):
        if _dot_ends_sentence(text, m.start(), m.end(), language):
            cuts.add(m.end())
    cuts.update(m.start() for m in ITEM_INLINE.finditer(text))
    if language in ("en", "mixed", "und"):
        cuts.update(m.start() for m in _ORDINAL.finditer(text))
    bounds = sorted(cuts)
    spans = [_trim(text, s, e) for s, e in pairwise(bounds)]
    spans = _merge_fragments(text, [s for s in spans if s[1] > s[0]])
    limit = MAX_CLAUSE.get(language)
    if limit:
        spans = [piece for s, e in spans for piece in _split_long(text, s, e, language, limit)]
    return spans or [_trim(text, 0, len(text))]


def _dot_ends_sentence(text: str, start: int, end: int, language: str) -> bool:
    """A "." ends a sentence unless it closes an abbreviation or an initial, or what
    follows is lower-case Latin (a sentence never starts that way in English)."""
    if text[start] == "…" and language == "zh":
        return False  # 等等…… inside Chinese prose is an ellipsis, not an end
    rest = text[end:].lstrip()
    if rest[:1].islower() and rest[:1].isascii():
        return False
    m = _WORD_BEFORE.search(text[max(0, start - 12) : start])
    if m and text[start] == ".":
        word = m.group(1).lower()
        if word in ABBREVIATIONS or (len(word) == 1 and m.group(1).isupper()):
            return False
    return True


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _merge_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join letterless pieces ("1.", "（一）", "——") to the following clause."""
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for s, e in spans:
        if not _LETTER.search(text[s:e]):
            pending = s if pending is None else pending
            continue
        out.append((pending if pending is not None else s, e))
        pending = None
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((pending, spans[-1][1]))
    return out


def _split_long(text: str, s: int, e: int, language: str, limit: int, level: int = 0
                ) -> list[tuple[int, int]]:
    """Cut an over-long sentence at soft separators into pieces of at most ~limit, trying
    the strongest separator first and the next one only on pieces still too long."""
    if e - s <= limit or level >= len(_SOFT[language]):
        return [(s, e)]
    pieces, start, last_cut = [], s, None
    for m in _SOFT[language][level].finditer(text, s, e):
        if m.end() - start > limit and last_cut is not None:
            pieces.append(_trim(text, start, last_cut))
            start = last_cut
        last_cut = m.end()
    if e - start > limit and last_cut is not None and last_cut > start:
        pieces.append(_trim(text, start, last_cut))
        start = last_cut
    pieces.append(_trim(text, start, e))
    return [q for p in pieces if p[1] > p[0]
            for q in _split_long(text, p[0], p[1], language, limit, level + 1)]
