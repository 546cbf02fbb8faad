"""Term bank loading and validation, query translation with the shipped bank, Persian stemmer."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.query.stem_fa import stem_fa
from index.query.termbank import TermBankError, load_term_bank
from index.query.translate import translate_query
from ingest.text.normalize import normalize

ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def bank():
    return load_term_bank()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_bank_is_large_and_valid(bank):
    assert len(bank.entries) >= 1500
    assert {"labour", "pension", "criminal", "procedure"} <= set(bank.domains())


def test_every_bad_line_is_reported(tmp_path):
    path = write(tmp_path, "bad.tsv", "\n".join([
        "# comment", "en\tzh\tfa\tdomain",
        "employer\t用人单位\tکارفرما\tlabour",
        "too\tfew",                        # 4: column count
        "\t\t\t",                          # 5: empty row
        "pension\tpension\tمستمری\tx",      # 6: Latin in zh
        "wage\t工资\tمزد|\tx",              # 7: stray |
        "fine\t罚款\tجريمه\tx",             # 8: Arabic yeh
        "employer\t用人单位\tصاحب کار\tx",   # 9: duplicate of line 3
        "alone\t\t\tx",                    # 10: one language only
    ]) + "\n")
    with pytest.raises(TermBankError) as err:
        load_term_bank([path], shipped=False)
    lines = [p.split(":")[1] for p in err.value.problems]
    assert lines == ["4", "5", "6", "7", "8", "9", "10"]
    assert "duplicate of" in err.value.problems[5] and f"{path}:3" in err.value.problems[5]
    assert "not Han" in err.value.problems[2]


def test_unknown_language_column(tmp_path):
    path = write(tmp_path, "hdr.tsv", "en\tzh\tde\nemployer\t用人单位\tArbeitgeber\n")
    with pytest.raises(TermBankError, match=r"hdr.tsv:1: unknown column\(s\) 'de'"):
        load_term_bank([path], shipped=False)


def test_extension_merges_and_adds(bank, tmp_path):
    ext = write(tmp_path, "ext.tsv", "zh\ten\tfa\n"
                "用人单位\temployer|boss\tکارفرما\n"          # restates a shipped row: merged
                "灵活用工\tgig employment\tکار منعطف\n")       # new sense
    merged = load_term_bank([ext])
    assert merged.merged == 1 and len(merged.entries) == len(bank.entries) + 1
    assert any(t.term == "用人单位" for t in translate_query("my boss", "en", merged))
    assert any(t.term == "灵活用工" for t in translate_query("gig employment", "en", merged))


def terms(ts, lang):
    return {t.term for t in ts if t.lang == lang}


def test_translate_en(bank):
    ts = translate_query("Can the employers refuse to pay severance pay after work injuries?", "en", bank)
    assert {"用人单位", "经济补偿", "工伤"} <= terms(ts, "zh")
    assert {"کارفرما", "حق سنوات"} <= terms(ts, "fa")
    # longest first: "work injury" is one phrase, not "work" + "injury"
    assert "work injury" in {t.source for t in ts} and "劳动" not in terms(ts, "zh")
    assert all(0 < t.weight <= 1 and t.origin == "termbank" for t in ts)


def test_translate_fa(bank):
    query = f"آیا کارفرمایان باید حق بیمه{ZWNJ}ی کارگران را بپردازند؟"
    ts = translate_query(query, None, bank)
    assert {"用人单位", "保险费", "工人"} <= terms(ts, "zh")
    assert {"employer", "insurance premium"} <= terms(ts, "en")


def test_translate_zh(bank):
    ts = translate_query("用人单位解除劳动合同应当支付经济补偿吗", "zh", bank)
    assert {"employer", "severance pay"} <= terms(ts, "en")
    assert {"کارفرما", "حق سنوات"} <= terms(ts, "fa")


def test_ambiguous_terms_weigh_less(bank):
    ts = translate_query("compensation", "en", bank)
    assert len(terms(ts, "zh")) > 1 and max(t.weight for t in ts if t.lang == "zh") < 1.0


@pytest.mark.parametrize("word,stem", [
    (f"سیستم{ZWNJ}های", "سیستم"), ("کارگران", "کارگر"), ("کارفرمایان", "کارفرما"),
    (f"بیمه{ZWNJ}شدگان", "بیمهشد"), (f"بیمه{ZWNJ}ی", "بیم"), (f"بیمه{ZWNJ}های", "بیم"),
    (f"خانه{ZWNJ}اش", "خان"), (f"می{ZWNJ}شود", "شود"), ("میشود", "شود"),
    (f"نمی{ZWNJ}تواند", "تواند"), (f"بزرگ{ZWNJ}ترین", "بزرگ"), ("مقررات", "مقرر"),
    ("بپردازد", "پردازد"), ("نپردازد", "پردازد"),
    # endings that only look like affixes stay
    ("سازمان", "سازمان"), ("مالیات", "مالیات"), ("میراث", "میراث"), ("سهام", "سهام"),
    ("بیکاری", "بیکاری"), ("درمانی", "درمانی"), ("دختر", "دختر"), ("پاداش", "پاداش"),
    ("بیمه", "بیم"),
])
def test_stem_fa(word, stem):
    assert stem_fa(normalize(word)) == stem
