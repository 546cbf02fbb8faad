"""Delete Markdown syntax from display text, keeping every offset exact.

Structure is found on the marked-up text (ingest.structure reads headings from their '#'
markers), then the markers are deleted and the structure's offsets are mapped onto the
text without them. Only deletions happen, so the mapping is a monotonic shift and
`document.text[p.start:p.end] == p.text` keeps holding for every passage.

What goes: YAML front matter (its fields become metadata, see ingest.infer), heading
markers ('## ', closing '#'s), bold ('**', '__'), list and quote markers at a line start,
horizontal rules, and link/image brackets (the link text stays, the URL goes).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.structure import Section, Structure

FRONT_MATTER = re.compile(r"\A[ \t]*---[ \t]*\n(?:[^\n]*\n){0,38}?[ \t]*---[ \t]*(?:\n|\Z)")
_HEADING = re.compile(r"^[ \t]*(#{1,6})[ \t]+[^\n]*?([ \t]+#+)?[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*(?:\n|\Z)", re.MULTILINE)
_LIST = re.compile(r"^[ \t]*(?:[-*+]|>)[ \t]+", re.MULTILINE)
_BOLD = re.compile(r"(\*\*|__)(?=\S)[^\n]+?(?<=\S)\1")
_LINK = re.compile(r"(!?\[)[^\]\n]+(\]\([^)\s]*\))")
# Any of these left in display text means a Markdown marker got through (used by tests).
LEFTOVER = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]|\*\*|^---[ \t]*$")
_SPACES = re.compile(r"\s+")


@dataclass
class Stripped:
    """Display text without markup, and the deleted spans of the marked-up text."""

    text: str
    deleted: list[tuple[int, int]]

    def __post_init__(self) -> None:
        self._starts = [s for s, _ in self.deleted]
        self._before: list[int] = []  # characters deleted before span i
        total = 0
        for s, e in self.deleted:
            self._before.append(total)
            total += e - s

    def offset(self, marked: int) -> int:
        """The plain-text offset of a marked-up offset (inside a deletion: where it was)."""
        i = bisect.bisect_right(self._starts, marked) - 1
        if i < 0:
            return marked
        s, e = self.deleted[i]
        return s - self._before[i] if marked < e else marked - self._before[i] - (e - s)


def strip_markdown(text: str) -> Stripped:
    """`text` with Markdown syntax deleted (nothing else changes)."""
    spans: list[tuple[int, int]] = []
    front = FRONT_MATTER.match(text)
    if front:
        spans.append(front.span())
    for m in _HEADING.finditer(text):
        spans.append((m.start(), m.end(1) + 1))  # the '#'s and one space or tab
        if m.group(2):
            spans.append(m.span(2))
    spans += [m.span() for m in _RULE.finditer(text)]
    spans += [m.span() for m in _LIST.finditer(text)]
    for m in _BOLD.finditer(text):
        spans += [m.span(1), (m.end() - 2, m.end())]
    for m in _LINK.finditer(text):
        spans += [m.span(1), m.span(2)]
    deleted = _disjoint(spans)
    kept, pos = [], 0
    for s, e in deleted:
        kept.append(text[pos:s])
        pos = e
    kept.append(text[pos:])
    return Stripped("".join(kept), deleted)


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans; an overlapping one joins the span before it."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(sp for sp in spans if sp[1] > sp[0]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def plain_structure(structure: Structure, stripped: Stripped) -> Structure:
    """The structure of the marked-up text with offsets into `stripped.text`.

    A section left blank (it held only markup, e.g. a horizontal rule) joins the next one,
    so the sections still tile the body.
    """
    text, at = stripped.text, stripped.offset
    sections: list[Section] = []
    pending: int | None = None
    for sec in structure.sections:
        start = at(sec.start) if pending is None else pending
        end = at(sec.end)
        if not text[start:end].strip():
            pending = start
            continue
        sections.append(Section(start, end, sec.heading_path, sec.is_article))
        pending = None
    if pending is not None and sections:
        sections[-1].end = len(text)
    return Structure(title=structure.title, sections=sections,
                     body_start=at(structure.body_start))


def heading_spans(text: str, passages: Iterable[tuple[int, int, Sequence[str]]]
                  ) -> list[dict[str, object]]:
    """Heading lines of a document, from its passages' (start, end, heading_path).

    A passage's leading lines that equal a label of its heading path are that heading's
    line (a heading section too short to stand alone is glued to the section after it,
    so several can lead one passage); the level is the label's depth in the path. Works
    on stored data, so a document view can render headings without a new column.
    """
    found: dict[int, dict[str, object]] = {}
    for start, end, path in passages:
        labels = {_SPACES.sub(" ", label).strip(): depth for depth, label in enumerate(path, 1)}
        pos = start
        while pos < end:
            nl = text.find("\n", pos, end)
            line_end = end if nl < 0 else nl
            line = _SPACES.sub(" ", text[pos:line_end]).strip()
            if line and line not in labels:
                break
            if line:
                found.setdefault(pos, {"start": pos, "end": line_end, "level": labels[line],
                                       "text": text[pos:line_end].strip()})
            pos = line_end + 1
    return [found[k] for k in sorted(found)]
