"""Build-time enrichment with the real model: sentences, topics, duplicates, parallels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.build import embed_text
from index.enrich.duplicates import duplicate_groups
from index.enrich.parallels import content_vectors, link_parallels
from index.enrich.run import passage_spans
from index.storage.rows import PassageRow
from ingest.text.sentences import sentence_spans
from index.enrich.topics import (
    assign_topics,
    compile_keywords,
    keyword_evidence,
    keyword_weight,
    load_topics,
    topic_vectors,
)
from ingest.pipeline import ingest_path

REPO = Path(__file__).resolve().parents[2]
TOPICS = REPO / "corpus" / "topics.json"


@pytest.fixture(scope="module")
def fixture_rows(fixture_corpus, embedder):
    """The fixture corpus as build rows (ids in corpus order) with their passage vectors."""
    report = ingest_path(fixture_corpus, embedder.count_tokens, manifest={})
    rows = [{"id": 0, "doc_id": d.meta.id, "ordinal": p.ordinal, "text": p.text,
             "language": p.language, "title": d.meta.title, "path": p.heading_path}
            for d in report.documents for p in d.passages]
    for i, r in enumerate(rows):
        r["id"] = 100 + i  # ids need not be positions
    vecs = embedder.encode_passages([embed_text(r["text"], r["title"], r["path"], "title")
                                     for r in rows])
    return rows, vecs


@pytest.fixture(scope="module")
def fixture_sentences(fixture_rows, embedder):
    """Sentence vectors of every fixture passage, late-chunked from one forward pass over
    the title-free passage (a single-sentence passage: its passage vector). Title-context
    vectors pull a document's passages together and link translations poorly."""
    rows, _ = fixture_rows
    spans = [sp if len(sp := sentence_spans(r["text"], r["language"])) > 1 else []
             for r in rows]
    passage, sentences = embedder.encode_passages_with_spans([r["text"] for r in rows], spans)
    return [s if len(s) else passage[i : i + 1] for i, s in enumerate(sentences)]


@pytest.fixture(scope="module")
def topic_model(embedder):
    topics = load_topics(TOPICS)
    return topics, topic_vectors(topics, embedder)


# ---- sentences ----------------------------------------------------------------------------

def _check_cover(text, spans):
    """In order, non-overlapping, trimmed, and every non-space character inside a span."""
    covered = set()
    for (s, e), nxt in zip(spans, spans[1:] + [(len(text), len(text))], strict=True):
        assert 0 <= s < e <= nxt[0]
        assert not text[s].isspace() and not text[e - 1].isspace()
        covered.update(range(s, e))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


def test_sentence_spans_chinese_clauses():
    text = ("第十四条 职工有下列情形之一的，应当认定为工伤：（一）在工作时间和工作场所内，"
            "因工作原因受到事故伤害的；（二）患职业病的。\n依照本条第（一）项规定办理。")
    spans = sentence_spans(text, "zh")
    _check_cover(text, spans)
    assert [text[s:e] for s, e in spans] == [
        "第十四条 职工有下列情形之一的，应当认定为工伤：",
        "（一）在工作时间和工作场所内，因工作原因受到事故伤害的；",
        "（二）患职业病的。",
        "依照本条第（一）项规定办理。",  # a reference to an item is no clause start
    ]


def test_sentence_spans_english_abbreviations_and_decimals():
    text = ("Mr. Li paid 3.5 percent, e.g. the basic pension. The U.S. system differs! "
            "The key relationships are as follows: First, goal-driven; Second, "
            "problem-oriented.\nNew paragraph")
    spans = sentence_spans(text, "en")
    _check_cover(text, spans)
    assert [text[s:e] for s, e in spans] == [
        "Mr. Li paid 3.5 percent, e.g. the basic pension.", "The U.S. system differs!",
        "The key relationships are as follows:", "First, goal-driven;",
        "Second, problem-oriented.", "New paragraph"]


def test_sentence_spans_persian():
    text = "با درک دقیق روابط کلیدی، قادر خواهیم بود. آیا این کافی است؟ بله؛ نرخ ۳.۵ درصد است.\nپایان"
    spans = sentence_spans(text, "fa")
    _check_cover(text, spans)
    assert [text[s:e] for s, e in spans] == [
        "با درک دقیق روابط کلیدی، قادر خواهیم بود.", "آیا این کافی است؟", "بله؛",
        "نرخ ۳.۵ درصد است.", "پایان"]


def test_sentence_spans_cover_every_fixture_passage(fixture_rows):
    rows, _ = fixture_rows
    for r in rows:
        _check_cover(r["text"], sentence_spans(r["text"], r["language"]))


def test_single_sentence_passages_get_no_sentence_spans():
    """Their passage vector already stands for their one sentence: nothing is stored twice."""
    single = "第三十三条 住房公积金管理中心应当依法接受审计部门的审计监督。"
    rows = [PassageRow(7, "d", 0, single, 0, len(single), "zh", [], 20, "h", ""),
            PassageRow(8, "d", 1, "One sentence. And another one.", 0, 30, "en", [], 8, "h",
                       "")]
    assert passage_spans(rows) == [[], [(0, 13), (14, 30)]]


# ---- topics -------------------------------------------------------------------------------

CLEAR = [
    ("zh", ("第十四条 职工有下列情形之一的，应当认定为工伤：（一）在工作时间和工作场所内，因工作原因"
           "受到事故伤害的；（二）患职业病的。工伤职工应当享受工伤保险待遇。"), "work-injury"),
    ("zh", ("第三条 职工个人缴存的住房公积金和职工所在单位为职工缴存的住房公积金，属于职工个人所有。"
           "职工购买、建造住房的，可以提取职工住房公积金账户内的存储余额。"), "housing-fund"),
    ("en", ("Xi urged efforts to accelerate the building of a multi-level and multi-pillar "
           "old-age insurance system, with basic pensions, enterprise annuities and private "
           "pensions, to meet people's diverse demands."), "pensions"),
    ("fa", ("مقرری بیکاری به افرادی پرداخت می‌شود که بیمه بیکاری پرداخت کرده‌اند و بدون میل خود "
           "بیکار شده‌اند."), "unemployment"),
]


def test_clear_passages_get_their_topic(embedder, topic_model):
    topics, tvecs = topic_model
    rows = [{"text": t, "language": lang, "path": []} for lang, t, _ in CLEAR]
    got = assign_topics(rows, embedder.encode_passages([t for _, t, _ in CLEAR]), topics, tvecs)
    for (_, _, want), assigned in zip(CLEAR, got, strict=True):
        assert assigned[:1] == [want], (want, assigned)
        assert len(assigned) <= 3


def test_general_passages_get_no_topic(embedder, topic_model):
    topics, tvecs = topic_model
    texts = ["第七十条 本办法自2014年5月1日起施行。",
             ("Policymaking lays the foundation for improvements, while management and services "
             "ensure that policies are put into effect.")]
    rows = [{"text": t, "language": "zh" if i == 0 else "en", "path": []}
            for i, t in enumerate(texts)]
    assert assign_topics(rows, embedder.encode_passages(texts), topics, tvecs) == [[], []]


def test_keywords_match_whole_words_and_nested_terms_once():
    topics = load_topics(TOPICS)
    ids = [t.id for t in topics]
    matchers = compile_keywords(topics)
    ev = keyword_evidence({"text": "The current parent company", "path": []}, matchers)
    assert ev[ids.index("housing-fund")] == 0  # "rent" is not in "current" or "parent"
    ev = keyword_evidence({"text": "参加基本养老保险", "path": []}, matchers)
    assert ev[ids.index("pensions")] == 1.0  # not also 养老保险
    assert keyword_weight("护理") == 0.5 and keyword_weight("multi-level") == 0.5
    assert keyword_weight("工伤保险") == 1.0


def test_topic_vectors_have_a_background_row(topic_model):
    topics, tvecs = topic_model
    assert tvecs.shape[0] == len(topics) + 1
    assert np.allclose(np.linalg.norm(tvecs, axis=1), 1.0, atol=1e-5)


# ---- duplicates ---------------------------------------------------------------------------

def test_exact_reprint_grouped(fixture_rows):
    rows, vecs = fixture_rows
    groups = duplicate_groups(rows, vecs)
    by_key = {(r["doc_id"], r["ordinal"]): g for r, g in zip(rows, groups, strict=True)}
    original = next(r for r in rows if r["doc_id"] == "en_key_relationships" and r["ordinal"] == 1)
    assert by_key[("en_reprint_goal_driven", 0)] == by_key[("en_key_relationships", 1)]
    assert by_key[("en_key_relationships", 1)] == original["id"]  # smallest id in the group
    # nothing else is grouped: every other group has one member
    sizes = {g: groups.count(g) for g in groups}
    assert sorted(sizes.values(), reverse=True)[:2] == [2, 1]


def test_near_identical_reprint_grouped(embedder):
    base = ("A goal-driven approach will help keep social security work on the right path. "
            "A problem-oriented approach, on the other hand, will help us make progress along "
            "this path. Therefore, we must be both goal-driven and problem-oriented.")
    reprint = base.replace("hand,", "hand").replace("Therefore,", "Therefore").replace(
        "goal-driven approach", "goal driven approach")  # three small edits
    rows = [{"id": 5, "text": base, "language": "en"},
            {"id": 3, "text": reprint, "language": "en"},
            {"id": 9, "text": "Development is a prerequisite for the secure performance of the "
                              "social security system.", "language": "en"},
            {"id": 4, "text": "  " + base.upper() + " ", "language": "en"}]
    vecs = embedder.encode_passages([r["text"] for r in rows])
    assert duplicate_groups(rows, vecs) == [3, 3, 9, 3]
    assert duplicate_groups(rows, None) == [4, 3, 9, 4]  # exact only (normalised text)


def test_template_articles_with_another_term_or_date_not_grouped(embedder):
    texts = ["第十五条 军人入伍前已经参加基本养老保险的，由地方社会保险经办机构办理基本养老保险关系转移。",
             "第二十二条 军人入伍前已经参加基本医疗保险的，由地方社会保险经办机构办理基本医疗保险关系转移。",
             "第五十条 本条例自2021年5月1日起施行。", "第五十九条 本条例自2021年7月1日起施行。",
             "第四十三条 工伤职工有下列情形之一的，停止享受工伤保险待遇：（一）丧失享受待遇条件的；",
             "第四十二条 工伤职工有下列情形之一的，停止享受工伤保险待遇：(一)丧失享受待遇条件的；"]
    rows = [{"id": i, "text": t, "language": "zh"} for i, t in enumerate(texts)]
    vecs = embedder.encode_passages(texts)
    assert duplicate_groups(rows, vecs) == [0, 1, 2, 3, 4, 4]  # only the same provision


# ---- parallels ----------------------------------------------------------------------------

def test_persian_translation_linked_to_english_original(fixture_rows, fixture_sentences):
    rows, vecs = fixture_rows
    groups = duplicate_groups(rows, vecs)
    links = link_parallels(rows, content_vectors(fixture_sentences), groups=groups,
                           sentence_vecs=fixture_sentences)
    position = {r["id"]: i for i, r in enumerate(rows)}
    fa_by_heading = {r["path"][-1]: r["id"] for r in rows
                     if r["doc_id"] == "fa_key_relationships" and r["path"]}
    en = [i for i, r in enumerate(rows) if r["doc_id"] == "en_key_relationships" and r["path"]]
    assert len(en) == len(FA_HEADINGS)
    right = 0
    for i, heading in zip(en, FA_HEADINGS, strict=True):
        want = fa_by_heading.get(heading) if heading else None
        assert set(links[i]) <= {want}, (rows[i]["path"], links[i])  # never a wrong paragraph
        right += want in links[i]
    assert right >= 0.8 * len(en)
    for i, got in enumerate(links):  # across languages and documents, symmetric per group
        for j in got:
            other = rows[position[j]]
            assert other["language"] != rows[i]["language"]
            assert other["doc_id"] != rows[i]["doc_id"]
            assert groups[i] in links[position[j]]


# Persian headings of en_key_relationships' sections, in order ("Development and secure
# performance" has no translation: the Persian file stops at its heading).
FA_HEADINGS = ["رویکردهای هدفمند و مشکلگرا", "یکپارچگی سیستماتیک و اولویتهای کلیدی",
               "استانداردهای متحد و اکتشافات نوآورانه", "تدوین سیاست و ارائه مدیریت و خدمات",
               None]


def test_no_links_within_a_language_or_document(embedder):
    texts = ["Unemployment benefit is paid monthly to insured people who lost their job.",
             "失业保险金按月发放给失去工作的参保人员。",
             "Unemployment benefit is paid every month to insured people who lost their job."]
    rows = [{"id": i, "doc_id": doc, "language": lang, "text": t}
            for i, (t, lang, doc) in enumerate(zip(texts, ["en", "zh", "en"], ["d1", "d1", "d2"],
                                                    strict=True))]
    vecs = embedder.encode_passages(texts)
    # en-zh share a document, en-en share a language: nothing to link
    assert link_parallels(rows[:2], vecs[:2]) == [[], []]
    assert link_parallels([rows[0], rows[2]], vecs[[0, 2]]) == [[], []]
    rows[1]["doc_id"] = "d3"
    assert link_parallels(rows[:2], vecs[:2]) == [[1], [0]]
