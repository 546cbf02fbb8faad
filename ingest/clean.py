"""Clean raw text for display: plain newlines, no controls, glued boundaries repaired, boilerplate gone.

The matching normaliser lives in ingest/text/normalize.py."""

from __future__ import annotations

import re

from ingest.boilerplate import collapse_copies, drop_boilerplate, drop_repeated_lines
from ingest.text.markers import ABBREVIATIONS
from ingest.text.normalize import INVISIBLE

# ---- display cleaning -------------------------------------------------------------------

_NEWLINES = re.compile("[\r\x0b\x0c\x85\u2028\u2029]\n?")  # CRLF, CR, VT, FF, NEL, LS, PS
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # "<!-- INFO END -->" in Markdown laws
_TRAILING_SPACE = re.compile("[ \t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
# "social securityBEIJING - Xi ..." : a headline glued to an ALL-CAPS dateline.
_DATELINE_GLUE = re.compile(r"(?<=[a-z]{2})(?=[A-Z]{3,}(?: [A-Z]{2,})*\s*(?:[-–—,(]))")
# "sound and complete.New characteristics": a sentence glued to the next one or a title.
_SENTENCE_GLUE = re.compile(r"[a-z][.!?][\"”’)]?(?=[A-Z][a-z]+[\s,;:])")
_WORD_END = re.compile(r"[A-Za-z]*\Z")  # always matches, possibly empty
# A paragraph cut mid-sentence: "covers all people,\n\nintegrates urban and rural areas".
_BROKEN_LINE = re.compile(r"(?<=[A-Za-z0-9\"”’)][,;])\n+(?=[\"“‘(]?[a-z])")
# "... security system. 1、 Optimize the structure": a numbered heading run into the text.
_RUN_IN_HEADING = re.compile(r"(?<=[.!?\"”]) (?=\d{1,2}、 ?[A-Z])")


def clean_text(text: str) -> str:
    """Return the display text: plain newlines, no invisible controls or HTML comments,
    glued boundaries repaired, repeated copies and web boilerplate removed. Body text is
    never shortened."""
    text = _NEWLINES.sub("\n", text)
    text = INVISIBLE.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _repair_glue(text)
    text = collapse_copies(text)
    text = drop_repeated_lines(text)
    text = drop_boilerplate(text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _repair_glue(text: str) -> str:
    text = _DATELINE_GLUE.sub("\n", text)
    text = _SENTENCE_GLUE.sub(lambda m: _unglue(m, text), text)
    text = _BROKEN_LINE.sub(" ", text)
    return _RUN_IN_HEADING.sub("\n\n", text)


def _unglue(match: re.Match[str], text: str) -> str:
    """A line break when what follows is title-like (short, no final stop), else a space."""
    end = match.start() + 1  # just after the word's last letter
    word = _WORD_END.search(text, max(0, end - 40), end).group()  # type: ignore[union-attr]
    start = end - len(word)
    before = text[start - 1] if start else " "
    if len(word) < 2 or word.lower() in ABBREVIATIONS or before in "./@:-_":
        return match.group(0)  # "U.S.", "www.Example", "e.g.The", "Mrs.Smith": no boundary
    end = text.find("\n", match.end())
    rest = text[match.end() : end if end != -1 else len(text)].rstrip()
    title_like = len(rest) <= 200 and not rest.endswith((".", "!", "?", "。", '"', "”"))
    return match.group(0) + ("\n" if title_like else " ")
