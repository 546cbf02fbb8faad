"""Structural markers of policy texts, in one place: articles (第X条), numbered items and
clauses, and the abbreviations whose final "." ends no sentence.

Structure detection (ingest/structure.py), passage sentences (ingest/text/sentences.py),
clause choice (index/query/clauses.py) and boilerplate detection read these; each pattern
says what it is for, because a list item at a line start, one inside a line and one that
opens a clause are told apart differently.
"""

from __future__ import annotations

import re

CN_DIGITS = "一二三四五六七八九十"
# The number of a Chinese article or division: 第二十三条, 第一章, 第十四条.
ARTICLE_NUMBER = r"[一二三四五六七八九十百千零〇两\d]+"
# A sentence that opens an article ("第十四条 ...").
ARTICLE_OPENING = re.compile(r"\s*第[一二三四五六七八九十百千零〇0-9]+条")
# An enumerated item at the start of a sentence: （一） (2) 3、 一、 ① ⑴.
ITEM_START = re.compile(r"\s*(?:[（(](?:[一二三四五六七八九十]{1,3}|\d{1,2})[）)]"
                        r"|(?:\d{1,2}|[一二三四五六七八九十]{1,3})、|[①-⑳⑴-⒇])")
# A numbered clause starting inside a line: （一） (二) （3） 1、 一、 ⑴ ①. Only when it
# follows a boundary, so a reference such as 第（一）项 never splits.
_CN_NUM = "一二三四五六七八九十百"
ITEM_INLINE = re.compile(
    rf"(?<=[\s：:，,；;。])(?:[（(](?:[{_CN_NUM}]{{1,3}}|\d{{1,2}})[）)]"
    rf"|(?<![\d{_CN_NUM}])(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})、(?!\d)|[①-⑳⑴-⒇])"
)
# A numbered line ("一、 总体要求", "（一）指导思想", "1、 Optimize ...") can head a section.
NUMBERED_LINE = re.compile(
    r"^(?:([一二三四五六七八九十]+、|\d+[、.．](?!\d))|([（(][一二三四五六七八九十\d]+[）)]))"
)
# Clause starts inside a paragraph: at a line start or right after a sentence end.
CLAUSE_START = re.compile(
    r"(?:^|(?<=[。！？；：.!?;:]))[ \t\u3000]*"
    r"((?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[、．](?!\d)|\d+\.(?=\s)"
    r"|(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Finally|Lastly),"
    r"|(?:نخست|اول|دوم|سوم|چهارم|پنجم|ششم)(?:اً|ا)?،))",
    re.MULTILINE,
)
# A line that enumerates (a list item or an article): short ones are not page furniture.
ENUMERATED_LINE = re.compile(
    r"\s*(?:[（(][一二三四五六七八九十\d]+[）)]|\d+[.、)]|[一二三四五六七八九十]+、"
    r"|第[一二三四五六七八九十百千零\d]+条|[-*•·])"
)
# Words whose "." ends no sentence (English abbreviations and initialisms).
ABBREVIATIONS = frozenset([
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vs", "etc", "jr", "sr", "inc", "ltd",
    "co", "corp", "art", "arts", "para", "paras", "sec", "secs", "ch", "fig", "figs", "e.g",
    "i.e", "cf", "approx", "dept", "govt", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "p.r.c", "a.m", "p.m", "op", "vol", "pp",
])
