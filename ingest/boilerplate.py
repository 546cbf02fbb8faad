"""Find web boilerplate and pasted repeats in display text: page furniture, not document body."""

from __future__ import annotations

import re

from ingest.text.markers import ENUMERATED_LINE

_LETTERS = re.compile(r"[^\W\d_]")

# Lines that are boilerplate wherever they appear (only when short, see _is_boilerplate).
_ANYWHERE = re.compile(
    r"""^[\s(（【\[]*(?:
      (?:责任编辑|编辑|责编|校对|审核|审校|编审|Edit(?:or)?s?|(?:Responsible|Chief|Executive)\s+editors?)
        \s*[:：]
    | .{0,40}ICP\s*(?:备|证|licen[cs]e)
    | .*(?:©|Copyright\s+(?:©|\(c\)|\d{4})|All\s+rights\s+reserved\W*$)
    | 版权所有\s*(?:[©:：(（]|$)
    | (?:Return\s+to\s+(?:list|top|home)|Back\s+to\s+(?:list|top)|返回(?:列表|顶部|首页)
        |打印本页|关闭窗口|【打印】|【关闭】|Recommended\s+Reading)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Paragraph-long notices, removed only in the trailing region.
_TRAILING_NOTICE = re.compile(
    r"^[\s(（【\[]*(?:Special\s+statement|Statement|Disclaimer|Copyright\s+notice"
    r"|免责声明|版权声明|特别声明|声明)\s*[:：]",
    re.IGNORECASE,
)
# Short navigation/credit lines, removed only in the trailing region.
_TRAILING_SHORT = re.compile(
    r"""^[\s(（【\[]*(?:
      (?:Submission\s+)?(?:Tel|Phone|Fax|E-?mail)\s*[:：]
    | (?:投稿|联系|咨询)?(?:电话|邮箱|传真)\s*[:：]
    | (?:来源|文章来源|信息来源|出处|作者|记者|Source|Author|Reporter|Photo)\s*[:：]
    | (?:Share|分享到|扫一扫|Print|Close|打印|关闭|上一篇|下一篇|Previous|Next)
        (?:\s+(?:this|to|on|it|page|article|story|window))?\s*(?:[:：].*)?$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# After one of these, short lines (lists of links) are boilerplate too.
_LIST_HEADING = re.compile(
    r"^\s*(?:Recommended\s+Reading|Related\s+(?:articles?|reading|news|stories|links)"
    r"|相关(?:阅读|链接|新闻|文章|推荐)|推荐阅读|延伸阅读)\b.{0,40}$",
    re.IGNORECASE,
)


def collapse_copies(text: str, probe_len: int = 64, max_copies: int = 50) -> str:
    """If the text is k >= 2 copies of one block (glued or separated by blank lines), keep
    one; do the same inside each long line (copies pasted without any paragraph break)."""
    body = text.strip()
    if len(body) >= probe_len:
        line_end = body.find("\n") % (len(body) + 1)  # -1 (no newline) becomes len(body)
        probe, starts = body[: min(probe_len, len(body) // 2, line_end)], [0]
        while len(starts) <= max_copies and (at := body.find(probe, starts[-1] + 1)) != -1:
            starts.append(at)
        period = starts[1] if len(starts) > 1 else 0
        if period >= probe_len // 2 and body == body[:period] * (len(body) // period):
            return body[:period]  # exact glued copies, even of a block shorter than the probe
        if period >= probe_len // 2 and len(starts) <= max_copies:
            bounds = zip(starts, [*starts[1:], len(body)])
            copies = {" ".join(body[a:b].split()) for a, b in bounds}
            if len(copies) == 1:
                return body[: starts[1]].rstrip()
    if "\n" in body:
        return "\n".join(
            collapse_copies(line) if len(line) >= probe_len else line
            for line in text.split("\n")
        )
    return text


def drop_repeated_lines(text: str, min_run_chars: int = 200) -> str:
    """Drop paragraphs repeated from earlier in the text when they form a long run (one long
    paragraph or several in a row: a pasted copy). A lone short repeat, and any numbered
    clause, stays: laws legitimately repeat items such as "（三）阻碍投保人履行...".
    """
    lines = text.split("\n")
    seen: set[str] = set()
    repeated = []
    for line in lines:
        key = " ".join(line.split()).casefold()
        if len(key) < 40 or ENUMERATED_LINE.match(key):
            repeated.append(False)
        elif key in seen:  # only now pay for counting letters: prose, not a table rule
            repeated.append(2 * len(_LETTERS.findall(key)) >= len(key))
        else:
            repeated.append(False)
            seen.add(key)
    drop: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, "<end>"]):
        if i < len(lines) and (repeated[i] or (run and not line.strip())):
            run += [i] if repeated[i] else []
            continue
        if sum(len(lines[j]) for j in run) >= min_run_chars:
            drop.update(run)
        run = []
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def drop_boilerplate(text: str) -> str:
    """Drop short boilerplate lines anywhere, then the trailing block of notices and links."""
    lines = [line for line in text.split("\n") if not _is_boilerplate(line, anywhere=True)]
    cut = _trailing_cut(lines)
    return "\n".join(lines[:cut] if cut > 0 else lines)


def _is_boilerplate(line: str, anywhere: bool = False) -> bool:
    size = len(line.strip())
    if size == 0 or size > 600:
        return False
    if size <= 80 and _ANYWHERE.match(line):
        return True
    if anywhere:
        return False
    return bool(_TRAILING_NOTICE.match(line) or (size <= 80 and _TRAILING_SHORT.match(line)))


def _trailing_cut(lines: list[str], max_unknown: int = 5) -> int:
    """Index where the trailing boilerplate region starts. Walking up from the end we pass
    blank and boilerplate lines, plus a few short unknown lines (link titles) when a
    boilerplate line sits above them; the first long unknown line is body text."""
    cut, unknown = len(lines), 0
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i].strip()
        if not line:
            cut = i if unknown == 0 else cut
        elif _is_boilerplate(line) or _LIST_HEADING.match(line):
            cut, unknown = i, 0
        elif len(line) <= 80 and unknown < max_unknown:
            unknown += 1
        else:
            break
    return cut
