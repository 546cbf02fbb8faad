"""Metadata for a file the manifest does not list, inferred from the file, with its source.

A regulation dropped into the corpus folder should not show up as an undated "article"
with no issuer. Each field is taken from the first source that states it: YAML-ish front
matter, then the file name (`…(2026-11-30).md`), then the text (the enactment lines under
the title, `国务院令第…号`, `本条例自…起施行`, a 第X条 structure), then the folder, then a
default. `policykb ingest --explain FILE` prints the result with the source of each field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from ingest.markdown import FRONT_MATTER

# Where a value came from, in the order they are tried (the manifest beats them all).
SOURCES = ("manifest", "front matter", "file name", "text", "folder", "default")
DOC_TYPES = ("law", "regulation", "local rule", "judicial interpretation", "article")
_TYPE_ALIASES = {
    "法律": "law", "行政法规": "regulation", "部门规章": "regulation",
    "地方性法规": "local rule", "地方规章": "local rule", "司法解释": "judicial interpretation",
    "local_rule": "local rule", "local-rule": "local rule",
    "judicial_interpretation": "judicial interpretation",
}
_FOLDERS = {"laws": ("law", ""), "regulations": ("regulation", "国务院"),
            "local": ("local rule", ""), "articles": ("article", "")}
_KEYS = {"title": "title", "date": "published", "published": "published",
         "effective": "effective", "type": "doc_type", "doc_type": "doc_type",
         "issuer": "issuer"}

_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NAME_DATE = re.compile(r"[(（](\d{4}-\d{2}-\d{2})[)）]")
_NUM = "[一二三四五六七八九十百千零〇两\\d]+"
_ARTICLE_LINE = re.compile(r"^[ \t\u3000]*\**第" + _NUM + r"条", re.MULTILINE)
_BODY_START = re.compile(r"^[ \t\u3000]*(?:#{2,}|\**第" + _NUM + r"[章节条编])", re.MULTILINE)
_ENACTED = ("通过", "公布", "发布", "颁布", "修正", "修订", "修改")
_INSTRUMENT = r"本(?:法|条例|办法|规定|细则|决定|解释)"
_BODY_EFFECTIVE = re.compile(_INSTRUMENT + r"(?:自|从)\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)起施行")
_ON_PROMULGATION = re.compile(_INSTRUMENT + r"(?:自|从)(?:发布|公布)之日起施行")
_CONGRESS = re.compile(r"([\u4e00-\u9fff]*?)第[一二三四五六七八九十百]+届(全国)?人民代表大会(常务委员会)?")
_COURT = re.compile(r"最高人民(?:法院|检察院)")
_GOVERNMENT = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:省|市|自治区))人民政府令")
_STATE_COUNCIL = re.compile(r"国务院(?:令|第[\d一二三四五六七八九十百]+次常务会议|常务会议|公布|发布)")
_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}[省市]|[\u4e00-\u9fff]{2,6}自治[区州])")


@dataclass
class Fact:
    """One metadata field's value and where it came from (one of SOURCES)."""

    value: str | None
    source: str


def infer_metadata(text: str, source: str, title: str) -> dict[str, Fact]:
    """title, doc_type, issuer, published and effective for an unlisted file.

    Args:
        text: cleaned text, Markdown still in (front matter and '#' headings readable).
        source: path relative to the corpus folder.
        title: the title ingest.structure found (the first heading or line).
    """
    front = front_matter(text)
    folder_type, folder_issuer = _FOLDERS.get(PurePosixPath(source).parts[0], ("", ""))
    name_date = _NAME_DATE.search(PurePosixPath(source).stem)
    head = preamble(text)
    issuer = _first(("front matter", front.get("issuer")), ("text", text_issuer(head)),
                     ("folder", folder_issuer), ("default", ""))
    published, effective = text_dates(head, text)
    facts = {
        "title": _first(("front matter", front.get("title")), ("text", title), ("default", "")),
        "issuer": issuer,
        "published": _first(("front matter", front.get("published")),
                            ("file name", name_date.group(1) if name_date else None),
                            ("text", published), ("default", None)),
        "effective": _first(("front matter", front.get("effective")), ("text", effective),
                            ("default", None)),
    }
    facts["doc_type"] = _first(
        ("front matter", front.get("doc_type")),
        ("text", text_doc_type(text, facts["title"].value or "", issuer.value or "")),
        ("folder", folder_type), ("default", "article"))
    return facts


def _first(*candidates: tuple[str, str | None]) -> Fact:
    for where, value in candidates:
        if value or where == "default":
            return Fact(value, where)
    raise AssertionError("the last candidate is the default")


def front_matter(text: str) -> dict[str, str]:
    """`key: value` fields of a leading `---` block, under DocumentMeta's names; values
    that do not parse (a date that is no date, an unknown type) are left out."""
    block = FRONT_MATTER.match(text)
    if not block:
        return {}
    out: dict[str, str] = {}
    for line in block.group().splitlines()[1:-1]:
        key, sep, value = line.partition(":")
        name = _KEYS.get(key.strip().lower())
        value = value.strip().strip("\"'").strip()
        if not sep or not name or not value:
            continue
        if name in ("published", "effective"):
            value = _iso(value) or ""
        elif name == "doc_type":
            value = value if value in DOC_TYPES else _TYPE_ALIASES.get(value, "")
        if value:
            out[name] = value
    return out


def _iso(value: str) -> str | None:
    found = _ISO_DATE.search(value) or _CN_DATE.search(value)
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups())).isoformat()
    except ValueError:
        return None


def preamble(text: str) -> str:
    """The lines between the title and the body: where a statute states its enactment."""
    start = FRONT_MATTER.match(text)
    begin = start.end() if start else 0
    body = _BODY_START.search(text, begin)
    return text[begin:body.start() if body else begin + 800][:1500]


def text_issuer(head: str) -> str:
    """The enacting body as the preamble names it ("...省第十三届人民代表大会常务委员会")."""
    congress = _CONGRESS.search(head)
    if congress:
        region = re.sub(r"^.*[年月日号]", "", congress.group(1))
        region = region or ("全国" if congress.group(2) else "")
        return region + "人民代表大会" + (congress.group(3) or "")
    if "全国人民代表大会常务委员会" in head:
        return "全国人民代表大会常务委员会"
    court = _COURT.search(head)
    if court:
        return court.group()
    if _STATE_COUNCIL.search(head):
        return "国务院"
    government = _GOVERNMENT.search(head)
    return government.group(1) + "人民政府" if government else ""


def text_dates(head: str, text: str) -> tuple[str | None, str | None]:
    """(published, effective) as the text states them.

    Each date in the preamble is read with the words after it: "…通过/公布/修正" make it
    a promulgation (the latest one is the version's date), "…施行" alone an entry into
    force. Failing that, "本条例自2027年1月1日起施行" in the body, or "自公布之日起施行"
    (in force on the first 公布/发布 date; the 通过 date comes before it).
    """
    enacted: list[str] = []
    promulgated: list[str] = []
    in_force: list[str] = []
    found = list(_CN_DATE.finditer(head))
    for i, m in enumerate(found):
        stop = found[i + 1].start() if i + 1 < len(found) else len(head)
        words = head[m.end():min(stop, m.end() + 60)]
        iso = _iso(m.group())
        if iso is None:
            continue
        if any(w in words for w in _ENACTED):
            enacted.append(iso)
            if any(w in words for w in ("公布", "发布", "颁布")):
                promulgated.append(iso)
        elif "施行" in words:
            in_force.append(iso)
    effective = in_force[0] if in_force else None
    if effective is None:
        stated = list(_BODY_EFFECTIVE.finditer(text))
        if stated:
            effective = _iso(stated[-1].group(1))
        elif enacted and _ON_PROMULGATION.search(text):
            effective = min(promulgated or enacted)
    return (max(enacted) if enacted else None), effective


def text_doc_type(text: str, title: str, issuer: str) -> str:
    """A statute type when the text has articles (第X条), read from issuer and title."""
    if len(_ARTICLE_LINE.findall(text)) < 2:
        return ""
    if issuer.startswith("最高人民") or "解释" in title:
        return "judicial interpretation"
    if issuer == "国务院":
        return "regulation"
    if issuer.startswith("全国人民代表大会"):
        return "law"
    if issuer.endswith(("人民代表大会", "常务委员会", "人民政府")):
        return "local rule"
    if _PLACE.match(title) and re.search(r"条例|办法|规定|细则|决定", title):
        return "local rule"
    if re.search(r"(?<!办)法$", title):  # 劳动法, not 管理办法
        return "law"
    if re.search(r"条例|办法|规定|细则|决定", title):
        return "regulation"
    return ""
