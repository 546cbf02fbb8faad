"""find_structure: titles, heading paths, 第X条 articles, heuristic headings, clause starts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.structure import Structure, clause_starts, find_structure

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"

LAW = """# 中华人民共和国示例保险法

2010年10月28日 第十一届全国人民代表大会常务委员会第十七次会议通过

## 第一章 总则

第一条 为了规范社会保险关系，制定本法。

第二条 国家建立基本养老保险等社会保险制度。

个人依法享受社会保险待遇。

## 第三章　基本医疗保险

### 第一节 一般 规定

第二十三条 职工应当参加职工基本医疗保险，由用人单位和职工按照国家规定共同缴纳基本医疗保险费。

第二十三条规定的人员，可以参加新型农村合作医疗。

第三十条 下列医疗费用不纳入基本医疗保险基金支付范围：

（一）应当从工伤保险基金中支付的；

（二）应当由第三人负担的。

## 第四章 附则

第九十八条 本法自2011年7月1日起施行。
"""


def _section_texts(text: str, structure: Structure) -> dict[str, str]:
    return {" > ".join(s.heading_path): text[s.start:s.end] for s in structure.sections}


def _assert_tiles(text: str, structure: Structure) -> None:
    sections = structure.sections
    assert sections[0].start == structure.body_start
    assert sections[-1].end == len(text)
    for before, after in itertools.pairwise(sections):
        assert before.end == after.start


def test_law_title_preamble_chapters_and_articles() -> None:
    structure = find_structure(LAW, "zh")
    _assert_tiles(LAW, structure)
    assert structure.title == "中华人民共和国示例保险法"
    paths = [" > ".join(s.heading_path) for s in structure.sections]
    assert paths == [
        "",  # the preamble: enactment dates
        "第一章 总则",
        "第一章 总则 > 第一条",
        "第一章 总则 > 第二条",
        "第三章 基本医疗保险",
        "第三章 基本医疗保险 > 第一节 一般规定",
        "第三章 基本医疗保险 > 第一节 一般规定 > 第二十三条",
        "第三章 基本医疗保险 > 第一节 一般规定 > 第三十条",
        "第四章 附则",
        "第四章 附则 > 第九十八条",
    ]
    assert [s.is_article for s in structure.sections] == [
        False, False, True, True, False, False, True, True, False, True
    ]


def test_article_runs_to_the_next_article_and_keeps_cross_references() -> None:
    texts = _section_texts(LAW, find_structure(LAW, "zh"))
    article = texts["第三章 基本医疗保险 > 第一节 一般规定 > 第二十三条"]
    # A line opening with "第二十三条规定的" cites the article: it is not a new one.
    assert article.startswith("第二十三条 职工应当参加")
    assert "第二十三条规定的人员" in article
    assert "个人依法享受社会保险待遇。" in texts["第一章 总则 > 第二条"]


def test_numbered_items_are_clause_starts_inside_the_article() -> None:
    structure = find_structure(LAW, "zh")
    article = next(s for s in structure.sections if s.heading_path[-1:] == ["第三十条"])
    starts = clause_starts(LAW, article.start, article.end)
    assert [LAW[c:c + 3] for c in starts] == ["（一）", "（二）"]


def test_plain_text_law_without_markdown() -> None:
    text = ("示例条例\n\n第一章 总 则\n\n第一条 为了保障职工权益，制定本条例。\n\n"
            "第二章 待遇\n\n第五条 待遇按月支付。\n")
    structure = find_structure(text, "zh")
    assert structure.title == "示例条例"
    articles = [s.heading_path for s in structure.sections if s.is_article]
    assert articles == [["第一章 总则", "第一条"], ["第二章 待遇", "第五条"]]


def test_translated_statute_articles_but_not_citations() -> None:
    text = (
        "Social Insurance Law\n\nChapter I General Provisions\n\n"
        "Article 1 This Law is formulated to regulate social insurance relations.\n\n"
        "Article 2 of the Constitution is cited here, which starts no new article.\n\n"
        "Article 3 The State establishes a social insurance system.\n"
    )
    structure = find_structure(text, "en")
    assert [s.heading_path for s in structure.sections if s.is_article] == [
        ["Chapter I General Provisions", "Article 1"],
        ["Chapter I General Provisions", "Article 3"],
    ]
    persian = "قانون تأمین اجتماعی\n\nماده ۱ - این قانون برای بیمه است.\n\nماده ۲ قانون اساسی را ببینید.\n"
    labels = [s.heading_path for s in find_structure(persian, "fa").sections]
    assert labels == [["ماده ۱"]]


def test_english_short_lines_between_paragraphs_are_headings() -> None:
    text = (
        "A Distinctive Social Security System\n"
        "By understanding the key relationships we can work better. They are as follows.\n"
        "Goal-driven and problem-oriented approaches\n"
        "A goal-driven approach keeps social security work on the right path, always.\n"
        "Systemic integration and key priorities\n"
        "While developing the arrangement is a systematic project, we set priorities.\n"
    )
    structure = find_structure(text, "en")
    _assert_tiles(text, structure)
    assert structure.title == "A Distinctive Social Security System"
    assert [s.heading_path for s in structure.sections] == [
        [], ["Goal-driven and problem-oriented approaches"],
        ["Systemic integration and key priorities"],
    ]


def test_wrapped_lines_and_lowercase_lines_are_not_headings() -> None:
    text = (
        "make the system sound\n\n"
        "The report calls for improving a system that covers all people,\n\n"
        "integrates urban and rural areas\n\n"
        "and is sustainable. That means a lot of careful work for everyone involved.\n"
    )
    structure = find_structure(text, "en")
    assert structure.title == "make the system sound"
    assert [s.heading_path for s in structure.sections] == [[]]


def test_inline_numbered_heading_and_ordinal_clauses() -> None:
    text = (
        "Build a better system\n\n"
        "Social security matters. 1、 Optimize the structure of social security system After the "
        "founding of new China, things improved. First, expand coverage. Second, raise benefits."
    )
    structure = find_structure(text, "en")
    assert structure.sections[-1].heading_path == [
        "1、 Optimize the structure of social security system"
    ]
    starts = [text[c:c + 6] for s in structure.sections for c in clause_starts(text, s.start, s.end)]
    assert starts == ["First,", "Second"]  # the heading opens its own section


def test_persian_short_lines_are_headings() -> None:
    text = (
        "امنیت اجتماعی یکی از مسائل اصلی اداره کشور است.\n\n"
        "هدف تغییرناپذیر اولویت دادن به مردم\n\n"
        "امنیت اجتماعی به مهمترین و مستقیمترین منافع مردم مربوط می‌شود و ما آن را جدی می‌گیریم.\n"
    )
    structure = find_structure(text, "fa")
    _assert_tiles(text, structure)
    assert structure.sections[-1].heading_path == ["هدف تغییرناپذیر اولویت دادن به مردم"]


def test_front_matter_and_blank_body() -> None:
    assert find_structure("---\nbookCollapseSection: true\n---\n", "en").sections == []
    assert find_structure("", "zh") == Structure(title="", sections=[], body_start=0)
    single = find_structure("Only one line here", "en")
    assert single.title == "Only one line here"
    assert len(single.sections) == 1  # a one-line file keeps its text searchable


@pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds")
def test_seed_000_headings() -> None:
    path = next(SEEDS.glob("000_*.txt"))
    text = path.read_text(encoding="utf-8")
    headings = {s.heading_path[0] for s in find_structure(text, "en").sections if s.heading_path}
    assert {
        "Goal-driven and problem-oriented approaches",
        "Systemic integration and key priorities",
        "Unified standards and innovative explorations",
        "Formulating policies and providing management and services",
        "Development and secure performance",
    } <= headings


@pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds")
def test_seed_002_persian_headings() -> None:
    path = next(SEEDS.glob("002_*.txt"))
    text = path.read_text(encoding="utf-8")
    structure = find_structure(text, "fa")
    _assert_tiles(text, structure)
    headings = [s.heading_path[0] for s in structure.sections if s.heading_path]
    assert "درک دقیق روابط کلیدی" in headings
    assert len(headings) >= 10
