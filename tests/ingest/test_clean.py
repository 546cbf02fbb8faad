"""Display cleaning on the real seed articles, and the shared matching normaliser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.clean import clean_text
from ingest.text.normalize import IDENTITY_RANGES, normalize, normalize_with_map

REPO = Path(__file__).resolve().parents[2]
ZWNJ = "\u200c"


def seed(prefix: str) -> str:
    """A seed article from corpus/ (copied there by the corpus task), else ../shared/seeds."""
    corpus = REPO / "corpus"
    candidates = sorted(corpus.rglob(f"{prefix}_*.txt")) if corpus.is_dir() else []
    shared = REPO.parent / "shared" / "seeds"
    if not candidates and shared.is_dir():
        candidates = sorted(shared.glob(f"{prefix}_*.txt"))
    if not candidates:
        pytest.skip(f"seed {prefix} is neither in corpus/ nor in ../shared/seeds")
    return candidates[0].read_text(encoding="utf-8")


# ---- seeds -------------------------------------------------------------------------------


def test_seed_004_three_copies_become_one():
    raw = seed("004")
    text = clean_text(raw)
    assert raw.count("Xi stresses high-quality development") == 3
    assert text.count("Xi stresses high-quality development") == 1
    assert text.count("emergency-response mechanisms against major risks.") == 1
    assert text.startswith("Xi stresses high-quality development of social security\nBEIJING - ")
    assert 0.3 < len(text) / len(raw) < 0.36


def test_seed_001_loses_its_web_boilerplate_but_not_its_last_sentence():
    text = clean_text(seed("001"))
    for junk in (
        "Huang Huiqun", "Luo Meihua", "Special statement", "Return to list",
        "Recommended Reading", "Submission Tel", "ICP", "Copyright ©",
    ):
        assert junk not in text
    assert text.endswith("and promote social development")
    assert "\n\n2、 Improve the design of basic security system" in text


def test_seed_000_loses_editor_line():
    text = clean_text(seed("000"))
    assert "Nie Qiaoyu" not in text
    assert text.endswith("smooth and stable operations within the social security system.")


def test_seed_003_glued_title_and_broken_lines_repaired():
    text = clean_text(seed("003"))
    assert "more sound and complete.\nNew characteristics of social governance" in text
    assert "covers all people, integrates urban and rural areas" in text


def test_seed_002_persian_text_kept_whole():
    raw = seed("002")
    text = clean_text(raw)
    assert text.split() == raw.split()  # only blank-line runs may change


# ---- synthetic cleaning cases ------------------------------------------------------------


def test_dateline_glue_repaired_but_not_acronyms():
    assert clean_text("social securityBEIJING - Xi said") == "social security\nBEIJING - Xi said"
    kept = "mRNA vaccines, macOS updates and the CPC - all fine."
    assert clean_text(kept) == kept


@pytest.mark.parametrize(
    "kept",
    ["The U.S.Army said so.", "See e.g.The report.", "Ask Mrs.Smith now.", "At www.Example.com."],
)
def test_sentence_glue_leaves_abbreviations_and_urls(kept):
    assert clean_text(kept) == kept


def test_sentence_glue_mid_paragraph_gets_a_space():
    assert clean_text("It grew in 2012.He said it works.") == "It grew in 2012.He said it works."
    assert clean_text("It grew fast.He said it works.") == "It grew fast. He said it works."


def test_invisible_controls_removed_but_zwnj_kept():
    raw = f"a\u202eb\u2066c\u2069d\u202a\ufeff\x00\x07e\tf\r\nمی{ZWNJ}شود  \r\n"
    assert clean_text(raw) == f"abcde\tf\nمی{ZWNJ}شود"


def test_html_comments_dropped():
    raw = "# 社会保险法\n\n2010年10月28日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则"
    assert clean_text(raw) == "# 社会保险法\n\n2010年10月28日 通过\n\n## 第一章 总则"


def test_blank_runs_collapse_and_trailing_spaces_go():
    assert clean_text("one  \n\n\n\n two\t\n") == "one\n\n two"


def test_repeated_block_dropped_lone_short_repeats_kept():
    first = (
        "Social security is the basic institutional guarantee to ensure and improve people's "
        "livelihood, safeguard social equity and enhance people's well-being."
    )
    second = "It is an important institutional arrangement to promote economic and social growth."
    table = "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    lone = "Coverage keeps expanding to all workers in cities and villages."
    assert len(first) + len(second) >= 200  # a pasted copy, not a lone repeat
    raw = f"{first}\n{second}\n\n{table}\n{lone}\nOther.\n\n{first}\n\n{second}\n{table}\n{lone}"
    assert clean_text(raw) == f"{first}\n{second}\n\n{table}\n{lone}\nOther.\n\n{table}\n{lone}"


def test_repeated_law_clauses_are_kept():
    item = "（三）阻碍投保人履行本法规定的如实告知义务，或者诱导其不履行本法规定的如实告知义务；"
    law = (
        f"第一百一十六条 保险公司不得有下列行为：\n{item}\n\n"
        f"第一百三十一条 保险代理人不得有下列行为：\n{item}"
    )
    assert clean_text(law) == law


def test_copies_glued_without_any_break_become_one():
    block = "第一条 为了规范社会保险关系，维护公民参加社会保险和享受社会保险待遇的合法权益。"
    assert clean_text(block * 3) == block
    assert clean_text(f"标题\n{block * 2}\n结尾") == f"标题\n{block}\n结尾"
    assert clean_text(f"{block}\n\n{block}\n\n\n{block}\n") == block


def test_periodic_text_that_is_no_article_is_left_alone():
    assert clean_text("ab" * 500) == "ab" * 500


def test_chinese_web_boilerplate():
    raw = (
        "社会保险法实施情况报告\n正文第一段，内容很重要。\n（责任编辑：张三）\n"
        "【打印】【关闭】\n相关阅读\n养老金上调\n医保新规\n来源：人民网"
    )
    assert clean_text(raw) == "社会保险法实施情况报告\n正文第一段，内容很重要。"


def test_law_text_is_never_shortened():
    law = (
        "## 第九章 附则\n\n相关部门应当按照规定做好衔接工作。\n\n"
        "第九十八条 电话、邮箱等联系方式由经办机构公布。\n\n"
        "第九十九条 本法自2011年7月1日起施行。"
    )
    assert clean_text(law) == law
    english = "The plan works.\n\nNext, the ministry shall publish the rules.\n\nPrint copies."
    assert clean_text(english) == english


# ---- normalize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        (f"می{ZWNJ}شود", "میشود", "می شود"),
        (f"نمی{ZWNJ}شود", "نمیشود", "نمی شود"),
        (f"کتاب{ZWNJ}ها", "کتاب ها", "کتابها"),
        (f"بزرگ{ZWNJ}ترین", "بزرگ ترین", "بزرگترین"),
        ("كتاب يك", "کتاب یک", "كتاب ىك"),
        ("۱۲۳", "١٢٣", "123"),
        ("ＡＢＣ１２３", "ABC123", "abc123"),
        ("café", "cafe\u0301", "CAFE"),
        ("ضَرَبَ", "ضرب", "ضــرب"),
        ("社会保险，养老。", "社会保险,养老."),
        ("「引号」", "“引号”", '"引号"'),
        ("a \t\n b\u3000c", "a b c", "  a b c  "),
    ],
)
def test_normalize_variants_agree(variants):
    assert len({normalize(v) for v in variants}) == 1


def test_prefix_join_only_at_word_start():
    assert normalize("قدیمی شد") == "قدیمی شد"
    assert normalize("می شود") == "میشود"


def test_identity_ranges_really_fold_to_themselves():
    for low, high in IDENTITY_RANGES:
        for code in range(ord(low), ord(high) + 1):
            assert normalize(chr(code)) in (chr(code), "")  # "" only for a lone space


def test_map_points_back_to_original_characters():
    text = "  ＡB\u200c  می شود"
    folded, origin = normalize_with_map(text)
    assert folded == "ab میشود"
    assert origin == [2, 3, 6, 7, 8, 10, 11, 12]


TOKENS = [
    "می", "نمی", "ها", "های", "ترین", "تر", " ", "  ", "\n", "\t", ZWNJ, "\u200d", "\u200f",
    "\u202b", "كتاب", "ي", "ى", "ة", "أ", "آ", "\u064e", "\u0640", "۱", "٢", "社会", "保险",
    "，", "。", "「", "Ａ", "１", "é", "e\u0301", "ﬁ", "ß", "İ", "ﷺ", "한", "x", "Y", "\u3000",
]
MIXED = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3)), max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(MIXED)
def test_normalize_with_map_matches_normalize(text):
    folded, origin = normalize_with_map(text)
    assert folded == normalize(text)
    assert len(origin) == len(folded)
    assert origin == sorted(origin)
    assert all(0 <= i < len(text) for i in origin)
    for char, i in zip(folded, origin):
        assert char == " " or char in normalize(text[i])


@settings(max_examples=150, deadline=None)
@given(MIXED)
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)
