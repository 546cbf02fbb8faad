"""Markdown syntax leaves display text; structure and offsets survive the deletion."""

from __future__ import annotations

from pathlib import Path

from ingest.markdown import LEFTOVER, heading_spans, strip_markdown
from ingest.pipeline import ingest_file
from tests.ingest.test_pipeline import count_tokens

DATA = Path(__file__).resolve().parents[1] / "data"
MARKED = ("---\ntitle: T\n---\n# 条例\n\n## 第一章 总则 ##\n\n**第一条** 为了保障权益，"
          "见[说明](http://x.cn/a)。\n\n- 第一项；\n* 第二项。\n\n---\n\n> 引文\n")


def test_strip_deletes_only_markup_and_maps_offsets() -> None:
    stripped = strip_markdown(MARKED)
    assert stripped.text == ("条例\n\n第一章 总则\n\n第一条 为了保障权益，见说明。\n\n"
                             "第一项；\n第二项。\n\n\n引文\n")
    assert not LEFTOVER.search(stripped.text)
    for word in ("第一章", "第一条", "说明", "第二项", "引文"):
        assert stripped.text[stripped.offset(MARKED.index(word)):].startswith(word)
    # an offset inside a deleted marker lands where the marker was
    assert stripped.offset(MARKED.index("## ")) == stripped.text.index("第一章")


def test_plain_text_without_markup_is_unchanged() -> None:
    text = "Pension reform\n\n1. Coverage expands - to all workers; 3 * 4 = 12 # not a heading.\n"
    stripped = strip_markdown(text)
    assert stripped.text == text and stripped.deleted == []


def test_ingested_markdown_law_shows_no_markers_and_keeps_headings() -> None:
    root = DATA / "unlisted"
    doc = ingest_file(root / "示例省养老服务条例(2026-11-30).md", root, count_tokens)
    assert doc.meta.title == "示例省养老服务条例"
    assert not LEFTOVER.search(doc.text) and "- 建设" not in doc.text
    for p in doc.passages:
        assert doc.text[p.start:p.end] == p.text
        assert not LEFTOVER.search(p.text)
    assert ["第二章 服务保障", "第三条"] in [p.heading_path for p in doc.passages]
    heads = heading_spans(doc.text, [(p.start, p.end, p.heading_path) for p in doc.passages])
    assert [(h["text"], h["level"]) for h in heads] == [("第一章 总则", 1), ("第二章 服务保障", 1)]
    assert all(doc.text[h["start"]:h["end"]] == h["text"] for h in heads)
