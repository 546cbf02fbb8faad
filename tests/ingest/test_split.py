"""split_document: whole articles, heading paths, exact offsets, budgets, languages."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.clean import clean_text
from ingest.models import Passage
from ingest.split import DEFAULT_BUDGET, split_document
from ingest.structure import find_structure

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
LAW_NAME = "社会保险法(2018-12-29).md"
_NEXT_UNIT = re.compile(r"^(?:#|第[一二三四五六七八九十]+条)", re.MULTILINE)
_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff]+|[^\w\s]")


def count_tokens(text: str) -> int:
    """A stand-in for the e5 tokenizer: one token per Han character, word or symbol."""
    return len(_TOKEN.findall(text))


def _split(text: str, language: str, budget: int = DEFAULT_BUDGET, overlap: int = 32,
           counter=count_tokens) -> list[Passage]:
    return split_document(text, find_structure(text, language), language, counter,
                          budget=budget, overlap=overlap, doc_id="d")


def _check_offsets(text: str, passages: list[Passage]) -> None:
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    for p in passages:
        assert text[p.start:p.end] == p.text
        assert p.text and p.text == p.text.strip()


def _law_text(n_articles: int = 12) -> str:
    """A synthetic statute: short articles, one long article with items, one giant article."""
    lines = ["# 示例社会保险条例", "", "2020年1月1日 通过", "", "## 第一章 总则", ""]
    numerals = "一二三四五六七八九十"
    for i in range(1, n_articles + 1):
        label = numerals[i - 1] if i <= 10 else "十" + numerals[i - 11]
        if i == 6:
            lines += ["## 第三章 基本医疗保险", ""]
        body = "职工应当参加基本医疗保险，由用人单位和职工共同缴纳保险费。" * (1 + i % 3)
        if i == 8:  # fits the budget only as a whole: about 300 tokens
            body = "下列费用按规定支付：\n\n" + "\n\n".join(
                f"（{n}）医疗费用和康复费用以及住院伙食补助费；" for n in numerals[:9]
            ) + "\n\n" + "其他费用由用人单位负担。" * 6
        if i == 9:  # longer than the budget: must be cut
            body = "\n\n".join("参保人员跨统筹地区就医的，按照国家规定结算医疗费用。" * 3
                               for _ in range(8))
        lines += [f"第{label}条 {body}", ""]
    return "\n".join(lines)


def test_articles_that_fit_are_never_split() -> None:
    text = _law_text()
    passages = _split(text, "zh")
    _check_offsets(text, passages)
    articles = re.findall(r"^(第[一二三四五六七八九十]+条)", text, re.MULTILINE)
    for label in articles:
        parts = [p for p in passages if p.heading_path[-1] == label]
        start = text.index(f"\n{label} ") + 1
        following = _NEXT_UNIT.search(text, start + 1)
        whole = text[start:following.start() if following else len(text)].strip()
        if count_tokens(whole) <= DEFAULT_BUDGET:
            assert len(parts) == 1, label
            assert whole in parts[0].text
        else:
            assert len(parts) > 1 and all(p.n_tokens <= DEFAULT_BUDGET for p in parts)
    eighth = next(p for p in passages if p.heading_path[-1] == "第八条")
    assert 250 < eighth.n_tokens <= DEFAULT_BUDGET  # big but whole


def test_one_article_per_passage_and_heading_paths() -> None:
    text = _law_text()
    passages = _split(text, "zh")
    paths = [" > ".join(p.heading_path) for p in passages]
    assert "第三章 基本医疗保险 > 第六条" in paths
    assert "第一章 总则 > 第一条" in paths
    assert all(len(re.findall(r"^第[一二三四五六七八九十]+条", p.text, re.MULTILINE)) <= 1
               for p in passages)
    # The lone chapter heading is merged into the article that follows it.
    sixth = passages[paths.index("第三章 基本医疗保险 > 第六条")]
    assert sixth.text.startswith("## 第三章 基本医疗保险\n\n第六条")
    # So is the tiny preamble (one date line), through the heading, into the first article.
    assert passages[0].heading_path == ["第一章 总则", "第一条"]
    assert passages[0].text.startswith("2020年1月1日 通过\n\n## 第一章 总则\n\n第一条 ")


def test_heading_stays_apart_when_gluing_it_would_cut_an_article() -> None:
    article = "第一条 " + "职工应当参加基本医疗保险。" * 24  # 315 tokens, heading 7 more
    text = "# 条例\n\n## 第一章 总则\n\n" + article + "\n\n第二条 " + "本条例施行。" * 60
    passages = _split(text, "zh")
    _check_offsets(text, passages)
    assert [p.text for p in passages[:2]] == ["## 第一章 总则", article]
    assert passages[1].heading_path == ["第一章 总则", "第一条"]
    # An article over budget is cut anyway; nothing is left in front of it.
    assert len(passages) > 3 and passages[2].text.startswith("第二条")


def test_overlong_paragraph_is_cut_at_sentences_with_overlap() -> None:
    sentence = "Social insurance funds are managed separately and audited every year. "
    text = "Title line\n\n" + sentence * 30
    passages = _split(text, "en", budget=60, overlap=20)
    _check_offsets(text, passages)
    assert len(passages) > 3
    for p in passages:
        assert p.n_tokens <= 60
        assert p.text.endswith(".")  # never mid-sentence: each sentence is 12 tokens
    assert any(b.start < a.end for a, b in itertools.pairwise(passages))  # overlap used


def test_paragraphs_are_packed_without_overlap() -> None:
    text = "Heading of the piece\n\n" + "\n\n".join(
        f"Paragraph {i} explains one rule of the pension system clearly." for i in range(20)
    )
    passages = _split(text, "en", budget=50)
    _check_offsets(text, passages)
    assert all(a.end <= b.start for a, b in itertools.pairwise(passages))
    assert all(p.n_tokens <= 50 for p in passages)
    assert all(p.text.startswith("Paragraph") and p.text.endswith(".") for p in passages)
    assert max(p.text.count("\n\n") for p in passages) >= 2  # several paragraphs share one


def test_line_broken_mid_sentence_is_not_a_paragraph_break() -> None:
    clause = "the system covers all people and integrates urban and rural areas fairly"
    text = "Title line\n\nThe report calls for a system: " + ",\n\n".join([clause] * 12) + "."
    passages = _split(text, "en", budget=60)
    _check_offsets(text, passages)
    assert not any(p.text.endswith(",") and p.end < len(text) - 1 and text[p.end] == "\n"
                   for p in passages[:-1] if count_tokens(p.text) < 40)


def test_passage_languages() -> None:
    fa = "امنیت اجتماعی یکی از مسائل اصلی اداره کشور است."
    assert {p.language for p in _split("عنوان\n\n" + fa, "fa")} == {"fa"}
    assert {p.language for p in _split("标题\n\n第一条 本法自2011年7月1日起施行。", "zh")} == {"zh"}
    assert {p.language for p in _split("Title\n\nPensions rise.", "en")} == {"en"}
    mixed = ("Title\n\nPensions rise every year for all retired workers.\n\n"
             "امنیت اجتماعی یکی از مسائل اصلی اداره کشور است.\n\n养老金每年上调。")
    assert [p.language for p in _split(mixed, "en", budget=12)] == ["en", "fa", "zh"]


def test_token_counts_are_not_recounted_per_merge() -> None:
    text = _law_text(20)
    calls: list[str] = []

    def counting(piece: str) -> int:
        calls.append(piece)
        return count_tokens(piece)

    passages = _split(text, "zh", counter=counting)
    assert len(calls) <= 3 * len(passages)
    assert len(calls) == len(set(calls))  # each distinct string counted once


@st.composite
def _documents(draw: st.DrawFn) -> str:
    pieces = st.sampled_from([
        "第一条 ", "第二十三条 ", "## 第一章 总则", "### 第一节 规定", "（一）", "1、 ", "First, ",
        "社会保险", "。", "，", "；", "Pension rules apply", ". ", ", ", "تأمین اجتماعی", "،", ".",
        "\n", "\n\n", " ", "\u3000", "Short heading", "\t", "!", "？", "---\n", "# Title\n",
        "Article 2 The State", "ماده ۱ - ", "Chapter 3 Benefits",
    ])
    return "".join(draw(st.lists(pieces, max_size=120)))


@settings(max_examples=150, deadline=None)
@given(_documents(), st.sampled_from(["zh", "en", "fa", "mixed"]), st.integers(3, 40))
def test_offsets_round_trip_on_generated_text(text: str, language: str, budget: int) -> None:
    structure = find_structure(text, language)
    passages = split_document(text, structure, language, count_tokens, budget=budget,
                              overlap=budget // 4)
    _check_offsets(text, passages)
    covered = set()
    for p in passages:
        assert p.n_tokens <= budget
        covered.update(range(p.start, p.end))
    body = range(structure.body_start, len(text))
    assert all(i in covered for i in body if not text[i].isspace())


def _corpus_files() -> list[Path]:
    shipped = ROOT / "corpus"
    return sorted(p for p in shipped.rglob("*") if p.suffix in (".md", ".txt"))


@pytest.mark.skipif(not _corpus_files(), reason="no shipped corpus/ files")
def test_offsets_round_trip_over_the_shipped_corpus() -> None:
    for path in _corpus_files():
        text = clean_text(path.read_text(encoding="utf-8"))
        language = "fa" if "002_" in path.name else "en" if path.suffix == ".txt" else "zh"
        _check_offsets(text, _split(text, language))


def _real_law(tmp_path: Path) -> Path | None:
    for source in [ROOT / "corpus" / "laws" / LAW_NAME,
                   SHARED / "corpus-sources" / "zh-law-lawrefbook" / "社会法" / LAW_NAME]:
        if source.is_file():
            return Path(shutil.copy(source, tmp_path / LAW_NAME))
    return None


def test_real_law_articles_whole_and_paths(tmp_path: Path) -> None:
    law = _real_law(tmp_path)
    if law is None:
        pytest.skip("社会保险法 is neither in corpus/laws nor in ../shared/corpus-sources")
    text = clean_text(law.read_text(encoding="utf-8"))
    passages = _split(text, "zh")
    _check_offsets(text, passages)
    by_path = {" > ".join(p.heading_path): p for p in passages}
    art = by_path["第三章 基本医疗保险 > 第二十三条"]
    assert art.text.startswith("## 第三章 基本医疗保险\n\n第二十三条 职工应当参加职工基本医疗保险")
    labels = re.findall(r"^(第[一二三四五六七八九十百]+条) ", text, re.MULTILINE)
    assert len(labels) > 90
    assert [p.heading_path[-1] for p in passages if p.heading_path[-1:] != []
            and p.heading_path[-1].endswith("条")] == labels  # one passage per article
    assert {p.language for p in passages} == {"zh"}


def _real_counter():
    """The e5 tokenizer counter, when its tokenizer.json is already built (building it takes
    minutes on a busy machine, so this test does not trigger it)."""
    try:
        from index.model.convert import default_model_dir
        from index.model.embed import default_token_counter
    except ImportError:
        return None
    folder = default_model_dir()
    built = [folder / "tokenizer.json", folder.with_name(folder.name + ".tokenizer.json")]
    return default_token_counter() if any(p.is_file() for p in built) else None


def test_real_tokenizer_budget_and_exact_counts(tmp_path: Path) -> None:
    counter, law = _real_counter(), _real_law(tmp_path)
    if counter is None or law is None:
        pytest.skip("e5 tokenizer not built yet, or 社会保险法 not available")
    text = clean_text(law.read_text(encoding="utf-8"))
    passages = _split(text, "zh", counter=counter)
    _check_offsets(text, passages)
    assert all(p.n_tokens == counter(p.text) <= DEFAULT_BUDGET for p in passages)
    articles = [p for p in passages if p.heading_path[-1:] and p.heading_path[-1].endswith("条")]
    assert len(articles) == len({p.heading_path[-1] for p in articles})  # none was cut


@pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds")
def test_seed_headings_in_passages_and_languages() -> None:
    english = clean_text(next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8"))
    passages = _split(english, "en")
    assert ["Goal-driven and problem-oriented approaches"] in [p.heading_path for p in passages]
    assert {p.language for p in passages} == {"en"}
    persian = clean_text(next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8"))
    assert {p.language for p in _split(persian, "fa")} == {"fa"}
