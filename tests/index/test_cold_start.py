"""What makes a cold process fast without changing what it computes: jieba's dictionary
memory-mapped, the tokenizer and the query engine loaded on first use or in the
background, and `update` answering from the files' fingerprint."""

from __future__ import annotations

import random
import shutil

import jieba
import numpy as np

from index.build import build_index
from index.model.embed import Embedder
from index.query import jieba_map, lexical
from index.query.warm import start_warming
from index.snapshot import FILES_RECORD

QUERIES = ["失业保险金的领取条件", "基本养老保险费缴费基数如何确定", "住房公积金提取",
           "社会保险基金监督管理条例第十二条", "工伤保险待遇 pension 养老金", "龘靐齉爩",
           "职工基本养老保险个人账户", "城乡居民最低生活保障"]


def test_mapped_dictionary_segments_exactly_like_jiebas_own(tmp_path):
    lexical.full_dictionary() if jieba.dt.initialized else jieba.initialize()
    own = jieba.dt.FREQ
    folder = jieba_map.map_folder(lexical._default_dictionary(), tmp_path)
    jieba_map.write_map(folder, own, jieba.dt.total)
    mapped, total = jieba_map.load_map(folder)
    assert total == jieba.dt.total and len(mapped) == len(own)
    sample = random.Random(7).sample(list(own), 3000)
    assert all(mapped[k] == own[k] and k in mapped for k in sample)
    for absent in ("", "龘" * 40, "养老保险龘", "x" * 3):
        assert (absent in mapped) == (absent in own) and mapped.get(absent) == own.get(absent)
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = mapped, total, True
    for q in QUERIES:
        assert list(tokenizer.cut_for_search(q)) == list(jieba.dt.cut_for_search(q))
        assert list(tokenizer.cut(q)) == list(jieba.dt.cut(q))


def test_build_analysis_gets_jiebas_own_dict_back(tmp_path):
    jieba.initialize()
    folder = jieba_map.map_folder(lexical._default_dictionary(), tmp_path)
    jieba_map.write_map(folder, jieba.dt.FREQ, jieba.dt.total)
    expected = lexical.index_text("社会保险基金监督管理")
    mapped, _ = jieba_map.load_map(folder)
    saved = jieba.dt.FREQ
    jieba.dt.FREQ = mapped  # as a query process has it after lexical.warm_up()
    try:
        assert lexical.query_terms("社会保险基金监督管理条例") == \
            lexical.query_terms.__wrapped__("社会保险基金监督管理条例")
        assert lexical.index_text("社会保险基金监督管理") == expected
        assert isinstance(jieba.dt.FREQ, dict)  # index_text put the dict back
    finally:
        jieba.dt.FREQ = saved


def test_embedder_loads_tokenizer_and_engine_on_first_use_or_in_background(embedder):
    fresh = Embedder()
    assert fresh._counter_obj is None and fresh._native_queries._engine_obj is None
    assert fresh.query_engine == "native" and not fresh.model_loaded
    for thread in start_warming(fresh):
        thread.join(timeout=120)
    assert fresh._counter_obj is not None and fresh._native_queries._engine_obj is not None
    q = ["失业保险金的领取期限", "multi-pillar pensions"]
    np.testing.assert_allclose(fresh.encode_queries(q), embedder.encode_queries(q), atol=1e-6)
    assert not fresh.model_loaded  # torch never came into it


class CountingEmbedder:
    """The session's embedder, counting the token counts ingest asks for."""

    def __init__(self, inner: Embedder):
        self._inner, self.counted = inner, 0

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def count_tokens(self, text: str) -> int:
        self.counted += 1
        return self._inner.count_tokens(text)


def test_unchanged_update_reads_no_file_and_a_changed_byte_is_seen(tmp_path, fixture_index,
                                                                   fixture_corpus, embedder):
    index_dir, corpus = tmp_path / "index", tmp_path / "corpus"
    shutil.copytree(fixture_index, index_dir)
    shutil.copytree(fixture_corpus, corpus)
    (index_dir / FILES_RECORD).unlink(missing_ok=True)  # as an index built before it
    first = build_index(corpus, index_dir, embedder, update=True)  # ingests, then records
    assert first.up_to_date and (index_dir / FILES_RECORD).is_file()
    counting = CountingEmbedder(embedder)
    result = build_index(corpus, index_dir, counting, update=True)
    assert result.up_to_date and counting.counted == 0
    assert (result.generation, result.n_documents, result.n_passages) == \
        (first.generation, first.n_documents, first.n_passages)
    assert sorted(result.changes.unchanged) == sorted(first.changes.unchanged)
    target = corpus / "en_bulletin_repeat.txt"
    target.write_bytes(target.read_bytes().replace(b"A reader asked", b"A reader once asked"))
    result = build_index(corpus, index_dir, counting, update=True)
    assert counting.counted > 0 and result.changes.changed == ["en_bulletin_repeat.txt"]
