"""Best clause and highlights without the model: term coverage, the statute-structure prior,
Persian compounds written with or without a space, and Chinese "；" rules kept whole."""

from __future__ import annotations

from index.query.clauses import best_clause, term_coverage, term_spans
from index.query.lexical import query_terms
from ingest.text.sentences import sentence_spans

WORK_INJURY = ("第十四条 职工有下列情形之一的，应当认定为工伤：（一）在工作时间和工作场所内，"
               "因工作原因受到事故伤害的；（二）在上下班途中，受到非本人主要责任的交通事故伤害的；"
               "（三）法律、行政法规规定应当认定为工伤的其他情形。")


def clause_text(text, query, scores=None, language="zh"):
    spans = sentence_spans(text, language)
    s, e = best_clause(text, query_terms(query), spans, scores)
    return text[s:e]


def test_coverage_counts_distinct_terms_not_repeats():
    terms = ("养老", "保险", "基金", "监管")
    assert term_coverage("国家对社会保险基金实行严格监管。", terms) == 6 / 8
    assert term_coverage("保险保险保险保险保险。", terms) == 2 / 8
    assert term_coverage("", terms) == 0.0 and term_coverage("保险", ()) == 0.0


def test_rare_terms_weigh_more_in_coverage():
    terms = ("نظارت", "صندوق")
    sentence = "نهادهای نظارتی نقش خود را ایفا میکنند"
    assert term_coverage(sentence, terms) == 0.5
    assert term_coverage(sentence, terms, {"نظارت": 3.0, "صندوق": 1.0}) == 0.75


def test_question_about_the_list_gets_its_lead_in():
    assert clause_text(WORK_INJURY, "哪些情形应当认定为工伤") == \
        "第十四条 职工有下列情形之一的，应当认定为工伤："


def test_question_one_item_answers_gets_that_item():
    assert clause_text(WORK_INJURY, "上下班途中交通事故").startswith("（二）在上下班途中")


def test_lead_in_stands_for_its_items_semantically():
    """Cross-language: no shared terms; the items are all a little closer to the question
    than the lead-in, and none stands out, so the rule is the answer."""
    spans = sentence_spans(WORK_INJURY, "zh")
    assert len(spans) == 4
    s, e = best_clause(WORK_INJURY, (), spans, [0.79, 0.823, 0.826, 0.811])
    assert WORK_INJURY[s:e].endswith("应当认定为工伤：")
    s, e = best_clause(WORK_INJURY, (), spans, [0.79, 0.80, 0.90, 0.80])  # one item stands out
    assert WORK_INJURY[s:e].startswith("（二）")


def test_semicolon_rules_stay_one_clause_in_chinese():
    text = ("第十七条 累计缴费满1年不足5年的，领取失业保险金的期限最长为12个月；"
            "满5年不足10年的，期限最长为18个月；10年以上的，期限最长为24个月。重新就业后重新计算。")
    spans = sentence_spans(text, "zh")
    assert len(spans) == 2
    assert text[spans[0][0]:spans[0][1]].endswith("；10年以上的，期限最长为24个月。")
    assert "24个月" in clause_text(text, "失业保险金最长领取多久")


def test_long_chinese_sentence_is_cut_at_semicolons_first():
    part = "参保人员按照规定缴纳基本医疗保险费，享受相应待遇"
    text = "；".join([part] * 8) + "。"  # 8 x 24 characters: over the 160 limit
    pieces = [text[s:e] for s, e in sentence_spans(text, "zh")]
    assert len(pieces) > 1 and all(p.startswith("参保人员") for p in pieces)
    assert "".join(pieces) == text


def test_persian_compound_with_or_without_space_is_one_term():
    text = "یک سیستم بیمه بازنشستگی چند لایه و چند ستونی ایجاد شد"
    marks = [text[s:e] for s, e in term_spans(text, query_terms("بازنشستگی چندستونی"))]
    assert "چند ستونی" in marks and "بازنشستگی" in marks


def test_spaced_compound_does_not_match_inside_a_longer_word():
    text = "تقویت نظارت برای امنیت"
    assert [text[s:e] for s, e in term_spans(text, ("نظارتبر",))] == []
    assert [text[s:e] for s, e in term_spans(text, ("نظارت",))] == ["نظارت"]


def test_longest_term_wins_at_one_start():
    text = "城乡居民基本养老保险制度"
    assert [text[s:e] for s, e in term_spans(text, ("养老", "养老保险", "保险"))] == ["养老保险"]


def test_latin_highlight_runs_to_the_end_of_the_word():
    text = "Pension systems differ; the system of PENSIONS, not suspension."
    marks = [text[s:e] for s, e in term_spans(text, ("system", "pension"))]
    assert marks == ["Pension", "systems", "system", "PENSIONS"]
    mixed = "养老保险systems"
    assert [mixed[s:e] for s, e in term_spans(mixed, ("保险",))] == ["保险"]
