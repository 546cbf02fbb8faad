"""Language detection by script on seeds, laws and one-line passages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.language import detect_language, script_of

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
LAW_SOURCES = REPO.parent / "shared" / "corpus-sources"

LAW = (
    "第十二条 用人单位应当按照国家规定的本单位职工工资总额的比例缴纳基本养老保险费，"
    "记入基本养老保险统筹基金。职工应当按照国家规定的本人工资的比例缴纳基本养老保险费，"
    "记入个人账户。2023年度缴费基数按GDP增速和CPI调整，具体比例为16%。\n"
)


def seed_text(prefix: str) -> str:
    """A seed from corpus/ (same file names) or ../shared/seeds; skip when neither exists."""
    corpus = REPO / "corpus"
    found = sorted(corpus.rglob(f"{prefix}_*.txt")) if corpus.is_dir() else []
    if not found and SEEDS.is_dir():
        found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.skip(f"seed {prefix} is neither in corpus/ nor in ../shared/seeds")
    return found[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("prefix", "language"),
    [("000", "en"), ("001", "en"), ("002", "fa"), ("003", "en"), ("004", "en")],
)
def test_seeds(prefix, language):
    assert detect_language(seed_text(prefix)) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("نظارت بر صندوق", "fa"),
        ("养老保险基金监管", "zh"),
        ("multi-pillar pensions", "en"),
        (LAW, "zh"),  # Arabic numerals and GDP/CPI do not make it English
        ("第一条 为了规范social insurance关系", "zh"),  # quoting an English term
        ("本条例所称社会保障卡（Social Security Card）是指由人力资源社会保障部门发行的卡。", "zh"),
        ("养老保险 (pension insurance)", "mixed"),
        ("Pension reform and the 养老保险 system in China", "mixed"),
        ("Social security law 社会保险法 قانون تامین اجتماعی", "mixed"),
        ("ＰＥＮＳＩＯＮ ｆｕｎｄ", "en"),  # full-width Latin
        ("", "und"),
        ("2023-01-01 12:00 — 16% / ¥300", "und"),
        ("Пенсионный фонд", "und"),  # none of our scripts
    ],
)
def test_short_passages(text, language):
    assert detect_language(text) == language


@pytest.mark.skipif(not LAW_SOURCES.is_dir(), reason="../shared/corpus-sources not available")
def test_chinese_law_sources_are_zh():
    laws = [p for p in sorted(LAW_SOURCES.rglob("*.md")) if p.stat().st_size > 1000][:30]
    assert laws
    for path in laws:
        assert detect_language(path.read_text(encoding="utf-8")) == "zh", path.name


def test_long_text_is_fast():
    text = LAW * 20000  # ~2.4 M characters
    start = time.perf_counter()
    assert detect_language(text) == "zh"
    assert time.perf_counter() - start < 0.5


def test_script_of():
    assert script_of("养老 pension صندوق 123") == {"han", "latin", "arabic"}
    assert script_of("بیمه") == {"arabic"}
    assert script_of("123 !?") == set()
