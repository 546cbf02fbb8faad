"""Embedder on the real default model: order, norms, token counts, cross-lingual sense."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from index.model.convert import DEFAULT_MODEL_ID
from index.model.embed import Embedder, _choose_prompt, default_token_counter
from index.errors import ModelUnavailable

# Lengths deliberately out of order, so that sorting by length really permutes them.
MIXED = [
    "养老金",
    ("Employees and employers share pension contributions; the employer withholds the "
     "employee's share from wages every month and pays both to the fund. ") * 3,
    "بیمه بیکاری",
    "职工达到法定退休年龄且累计缴费满十五年的，按月领取基本养老金。",
    "کارفرما موظف است حق بیمه کارگران را تا آخر ماه بعد به سازمان تأمین اجتماعی بپردازد.",
    "",
    "Work injury.",
    "社会保险经办机构应当及时、足额支付社会保险待遇。" * 4,
]


def test_identity(embedder):
    assert embedder.model_id == DEFAULT_MODEL_ID
    assert embedder.dim == 384
    assert embedder.query_prompt == "query: " and embedder.passage_prompt == "passage: "


def test_order_is_restored_after_length_sorting(embedder):
    together = embedder.encode_passages(MIXED)
    alone = np.vstack([embedder.encode_passages([t]) for t in MIXED])
    assert together.shape == (len(MIXED), 384) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=2e-4)


def test_rows_have_unit_norm(embedder):
    for vecs in (embedder.encode_passages(MIXED), embedder.encode_queries(MIXED)):
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.encode_queries([]).shape == (0, 384)


def test_count_tokens_counts_content_only(embedder):
    assert embedder.count_tokens("") == 0
    assert 1 <= embedder.count_tokens("pension") <= 3
    short, long = MIXED[3], MIXED[3] * 3
    assert embedder.count_tokens(long) > 2 * embedder.count_tokens(short)
    tokenizer = embedder._st.tokenizer
    for text in MIXED:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert embedder.count_tokens(text) == len(ids)


def test_counts_are_not_capped_by_the_model_limit(embedder):
    text = "社会保险基金专款专用，任何组织和个人不得侵占或者挪用。" * 60
    embedder.encode_passages([text])  # transformers leaves truncation set on its tokenizer
    assert embedder.count_tokens(text) > 1000


def test_max_tokens_leaves_room_for_specials_and_prompts(embedder):
    assert 500 <= embedder.max_tokens <= 510
    words = ("pension " * 2000).split()
    lo, hi = 0, len(words)
    while lo < hi:  # the longest text with exactly max_tokens content tokens
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if embedder.count_tokens(" ".join(words[:mid])) <= embedder.max_tokens \
            else (lo, mid - 1)
    text = " ".join(words[:lo])
    for prompt in (embedder.query_prompt, embedder.passage_prompt):
        assert len(embedder._st.tokenizer(prompt + text)["input_ids"]) <= 512


def test_default_token_counter_matches_and_needs_no_torch(embedder):
    count = default_token_counter()
    assert [count(t) for t in MIXED] == [embedder.count_tokens(t) for t in MIXED]
    code = ("import sys; from index.model.embed import default_token_counter as d; "
            "assert d()('养老金 pension') > 0; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_query_is_closer_to_its_translation_than_to_unrelated_text(embedder):
    query = embedder.encode_queries(["When can I receive my monthly old-age pension?"])[0]
    passages = embedder.encode_passages([
        "达到法定退休年龄时累计缴费满十五年的，按月领取基本养老金。",
        "بیمه‌شده پس از رسیدن به سن بازنشستگی، مستمری ماهانه دریافت می‌کند.",
        "The canteen on the third floor serves lunch from noon until two o'clock.",
        "食堂位于三楼，中午十二点到两点供应午餐。",
    ])
    zh, fa, unrelated_en, unrelated_zh = passages @ query
    assert min(zh, fa) > max(unrelated_en, unrelated_zh)


def test_fingerprint_is_the_weights_sha256_and_is_cached(embedder, default_model_dir):
    weights = default_model_dir / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert embedder.fingerprint == digest
    assert (default_model_dir / ".policykb-fingerprint.json").is_file()


def test_prompt_choice():
    assert _choose_prompt(None, {}, ("query",), "query: ", "intfloat/multilingual-e5-small") \
        == "query: "
    assert _choose_prompt(None, {}, ("query",), "query: ", "sentence-transformers/LaBSE") == ""
    assert _choose_prompt("", {"query": "q: "}, ("query",), "query: ", "x-e5") == ""
    assert _choose_prompt(None, {"document": "d: "}, ("passage", "document"), "p: ", "m") == "d: "


def test_unknown_model_is_refused_with_advice():
    with pytest.raises(ModelUnavailable, match="hf download"):
        Embedder("no-such-org/no-such-model")


def test_model_name_resolves_from_local_hf_cache_only(tmp_path, monkeypatch):
    from index.model.files import cached_snapshot

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    folder = tmp_path / "models--org--model"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("abc123")
    (folder / "snapshots" / "abc123").mkdir(parents=True)
    assert cached_snapshot("org/model") == folder / "snapshots" / "abc123"
    assert cached_snapshot("org/missing") is None


def _span_reference(embedder, text, span):
    """A span's vector computed the slow, obvious way: mean of the token vectors (one
    sentence-transformers forward pass) of the tokens whose characters overlap the span."""
    import torch

    prompt = embedder.passage_prompt
    enc = embedder._st.tokenizer([prompt + text], return_tensors="pt",
                                 return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping")[0].numpy()
    with torch.inference_mode():
        tokens = embedder._st.forward(dict(enc))["token_embeddings"][0].numpy()
    s, e = span[0] + len(prompt), span[1] + len(prompt)
    inside = (offsets[:, 1] > offsets[:, 0]) & (offsets[:, 0] < e) & (offsets[:, 1] > s)
    vec = tokens[inside].mean(axis=0)
    return vec / np.linalg.norm(vec)


def test_span_vectors_equal_the_token_mean_and_fall_back_when_cut(embedder):
    texts = [MIXED[3] + MIXED[4], MIXED[1], "x " * 600 + "tail sentence."]
    spans = [[(0, len(MIXED[3])), (len(MIXED[3]), len(texts[0]))],
             [(0, 70), (71, 140), (141, len(MIXED[1]))],
             [(0, 20), (1200, len(texts[2]))]]  # the second span lies past the 512-token cut
    passage, sentence = embedder.encode_passages_with_spans(texts, spans)
    np.testing.assert_allclose(passage, embedder.encode_passages(texts), atol=1e-5)
    for i in range(2):
        assert sentence[i].shape == (len(spans[i]), 384)
        for j, span in enumerate(spans[i]):
            ref = _span_reference(embedder, texts[i], span)
            assert float(sentence[i][j] @ ref) > 0.9999
    # sentences of one passage differ from each other and from the passage
    assert float(sentence[0][0] @ sentence[0][1]) < 0.99
    np.testing.assert_allclose(sentence[2][1], passage[2], atol=1e-5)
    assert float(sentence[2][0] @ passage[2]) < 0.9999
