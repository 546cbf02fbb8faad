"""Metadata of files the manifest does not list: inferred from the file, with its source."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.infer import infer_metadata, text_doc_type, text_issuer
from ingest.pipeline import ingest_file
from tests.ingest.test_pipeline import count_tokens

UNLISTED = Path(__file__).resolve().parents[1] / "data" / "unlisted"
LOCAL = "示例省养老服务条例(2026-11-30).md"


def test_unlisted_local_rule_from_file_name_and_text() -> None:
    doc = ingest_file(UNLISTED / LOCAL, UNLISTED, count_tokens)
    meta, src = doc.meta, doc.meta_sources
    assert (meta.doc_type, src["doc_type"]) == ("local rule", "text")
    assert (meta.issuer, src["issuer"]) == ("示例省人民代表大会常务委员会", "text")
    assert (meta.published, src["published"]) == ("2026-11-30", "file name")
    assert (meta.effective, src["effective"]) == ("2027-03-01", "text")
    assert (meta.title, src["title"]) == ("示例省养老服务条例", "text")


def test_front_matter_beats_the_text() -> None:
    doc = ingest_file(UNLISTED / "plain-regulation.md", UNLISTED, count_tokens)
    meta, src = doc.meta, doc.meta_sources
    assert (meta.title, src["title"]) == ("示例基金监督办法", "front matter")
    assert (meta.doc_type, src["doc_type"]) == ("regulation", "front matter")
    assert (meta.published, src["published"]) == ("2026-05-20", "front matter")
    assert (meta.issuer, src["issuer"]) == ("国务院", "text")
    assert (meta.effective, src["effective"]) == ("2026-07-01", "text")
    assert "title:" not in doc.text and "---" not in doc.text


def test_manifest_still_wins(tmp_path: Path) -> None:
    from ingest.models import DocumentMeta

    shutil.copy(UNLISTED / LOCAL, tmp_path / LOCAL)
    listed = DocumentMeta(id="x", title="Listed", doc_type="regulation", source=LOCAL)
    doc = ingest_file(tmp_path / LOCAL, tmp_path, count_tokens, {LOCAL: listed})
    assert (doc.meta.doc_type, doc.meta.issuer, doc.meta.published) == ("regulation", "", None)
    assert doc.meta_sources["doc_type"] == "manifest"


def test_plain_article_stays_an_article() -> None:
    facts = infer_metadata("Pension reform\n\nThe basic pension will rise.", "a.txt",
                           "Pension reform")
    assert (facts["doc_type"].value, facts["doc_type"].source) == ("article", "default")
    assert facts["issuer"].value == "" and facts["published"].value is None


def test_issuer_and_type_rules() -> None:
    articles = "第一条 甲。\n第二条 乙。\n"
    assert text_issuer("2012年4月28日 中华人民共和国国务院令第619号公布") == "国务院"
    assert text_issuer("2010年10月28日 第十一届全国人民代表大会常务委员会第十七次会议通过") \
        == "全国人民代表大会常务委员会"
    assert text_doc_type(articles, "中华人民共和国示例法", "") == "law"
    assert text_doc_type(articles, "城市生活无着人员救助管理办法", "") == "regulation"
    assert text_doc_type(articles, "深圳市养老服务条例", "") == "local rule"
    assert text_doc_type(articles, "最高人民法院关于审理工伤案件的解释", "") \
        == "judicial interpretation"
    assert text_doc_type("No articles here.", "示例法", "") == ""
