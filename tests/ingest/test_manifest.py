"""Corpus manifest, topic taxonomy and known-answer set: shipped data checked against the files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ingest.manifest import extract_metadata, is_metadata_file, load_manifest
from ingest.errors import PolicyKBError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
TOPICS = {
    "pensions",
    "medical-insurance",
    "fund-supervision",
    "work-injury",
    "unemployment",
    "long-term-care",
    "social-assistance",
    "child-welfare",
    "housing-fund",
    "labour-relations",
}
LANGS = ("zh", "en", "fa")

ZH_HEADER = """# 中华人民共和国示例保险法

2010年10月28日 第十一届全国人民代表大会常务委员会第十七次会议通过

2018年12月29日 第十三届全国人民代表大会常务委员会第七次会议《关于修改〈中华人民共和国示例保险法〉的决定》修正

<!-- INFO END -->

## 第一章 总 则

第一条 为了示例，制定本法。

第九十八条 本法自2011年7月1日起施行。
"""


def _entries() -> list[dict]:
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


def _known_answers() -> list[dict]:
    lines = (CORPUS / "known_answers.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_manifest_covers_every_document_and_nothing_else():
    files = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and not is_metadata_file(p.relative_to(CORPUS).as_posix())
    }
    assert {e["source"] for e in _entries()} == files
    assert {"manifest.json", "topics.json", "known_answers.jsonl", "README.md"} <= {
        p.name for p in CORPUS.iterdir()
    }


def test_manifest_fields_are_well_formed():
    entries = _entries()
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    for e in entries:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", e["id"]), e["id"]
        assert e["title"] and e["language"] in LANGS
        assert e["doc_type"] in {"law", "regulation", "local rule", "article"}
        for key in ("published", "effective"):
            if e[key] is not None:
                assert date.fromisoformat(e[key]).isoformat() == e[key]
        if e["language"] == "zh":
            assert e["issuer"] and e["published"], e["source"]


def test_manifest_is_regenerated_from_the_files():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_manifest.py"), str(CORPUS), "--check"],
        capture_output=True,
        text=True,
        check=False,  # the assert below shows the script's message
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_load_manifest_keys_by_source():
    metas = load_manifest(CORPUS)
    law = metas["laws/社会保险法(2018-12-29).md"]
    assert law.id == "zh-social-insurance-law"
    assert law.doc_type == "law" and law.issuer == "全国人民代表大会常务委员会"
    assert (law.published, law.effective) == ("2018-12-29", "2011-07-01")
    assert metas["articles/002_f20845a9c9d224e9.txt"].language == "fa"
    assert metas["articles/000_639de790055a6b4a.txt"].issuer == ""  # null in JSON


def test_extract_metadata_reads_a_chinese_header():
    meta = extract_metadata(ZH_HEADER, "laws/示例保险法(2018-12-29).md")
    assert meta.title == "中华人民共和国示例保险法"
    assert meta.language == "zh" and meta.doc_type == "law"
    assert meta.issuer == "全国人民代表大会常务委员会"
    assert meta.published == "2018-12-29"
    assert meta.effective == "2011-07-01"
    assert meta.id.isascii() and meta.source == "laws/示例保险法(2018-12-29).md"


def test_extract_metadata_state_council_header_and_name_date():
    text = (
        "# 示例条例\n\n2016年2月3日 国务院第122次常务会议通过\n\n"
        "2016年3月10日 中华人民共和国国务院令第667号公布\n\n2016年5月1日 施行\n\n"
        "<!-- INFO END -->\n\n第一条 示例。\n"
    )
    meta = extract_metadata(text, "regulations/示例条例(2019-03-24).md")
    assert (meta.issuer, meta.doc_type) == ("国务院", "regulation")
    # The file name records a later amendment that the header omits; 施行 is not publication.
    assert (meta.published, meta.effective) == ("2019-03-24", "2016-05-01")


def test_extract_metadata_local_rule_in_force_on_promulgation():
    text = (
        "# 某省示例条例\n\n2020年1月2日 某省第十三届人民代表大会常务委员会第五次会议通过\n\n"
        "<!-- INFO END -->\n\n第三十条 本条例自公布之日起施行。\n"
    )
    meta = extract_metadata(text, "local/某省示例条例.md")
    assert meta.issuer == "某省人民代表大会常务委员会"
    assert (meta.doc_type, meta.published) == ("local rule", "2020-01-02")
    assert meta.effective is None  # the promulgation date is not in the header: don't guess


def test_extract_metadata_splits_a_glued_news_dateline():
    text = "Xi stresses social securityBEIJING - Xi Jinping said on Friday ...\nMore text.\n"
    meta = extract_metadata(text, "articles/009_abc.txt")
    assert meta.title == "Xi stresses social security"
    assert (meta.language, meta.doc_type, meta.published) == ("en", "article", None)


def test_load_manifest_missing_is_empty(tmp_path):
    assert load_manifest(tmp_path) == {}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"id": "a"}',
        '[{"source": "a.txt"}]',
        '[{"id": "a", "source": "a.txt", "published": "2020/01/01"}]',
        '[{"id": "a", "source": "a.txt", "doc_type": "memo"}]',
        '[{"id": "a", "source": "../a.txt"}]',
        '[{"id": "a", "source": "a.txt"}, {"id": "a", "source": "b.txt"}]',
    ],
)
def test_load_manifest_rejects_malformed(tmp_path, content):
    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(PolicyKBError, match="manifest.json"):
        load_manifest(tmp_path)


def test_known_answers_occur_verbatim_in_their_documents():
    by_id = {e["id"]: e for e in _entries()}
    answers = _known_answers()
    assert 24 <= len(answers) <= 48
    assert len({a["id"] for a in answers}) == len(answers)
    for a in answers:
        assert a["lang"] in LANGS and a["query"].strip()
        assert a["expected_doc"] in by_id, a["id"]
        assert all(doc in by_id for doc in a.get("also_ok", [])), a["id"]
        assert 0 < len(a["expected_text"]) <= 60, a["id"]
        source = (CORPUS / by_id[a["expected_doc"]]["source"]).read_text(encoding="utf-8")
        assert a["expected_text"] in source, a["id"]


def test_known_answers_are_multilingual_and_cross_lingual():
    by_id = {e["id"]: e for e in _entries()}
    answers = _known_answers()
    for lang in LANGS:
        assert sum(a["lang"] == lang for a in answers) >= len(answers) // 4
    crossed = [a for a in answers if by_id[a["expected_doc"]]["language"] != a["lang"]]
    assert {a["lang"] for a in crossed} >= {"en", "fa"}


def test_topics_have_all_ten_in_three_languages():
    topics = json.loads((CORPUS / "topics.json").read_text(encoding="utf-8"))
    assert {t["id"] for t in topics} == TOPICS and len(topics) == len(TOPICS)
    for t in topics:
        for field in ("labels", "descriptions"):
            assert all(t[field].get(lang, "").strip() for lang in LANGS), (t["id"], field)
        assert all(len(t["keywords"].get(lang, [])) >= 5 for lang in LANGS), t["id"]
