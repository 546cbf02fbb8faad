"""Language axes (index/query/language_axes.py): what they are, and that the real fixture
index and its searcher apply the same map to passages and queries."""

from __future__ import annotations

import numpy as np
import pytest

from index.build import BuildSettings, build_index
from index.query import language_axes as la
from index.query.fusion import FusionParams
from index.query.request import SearchRequest
from index.query.search import Searcher
from index.storage.generation import load_generation


@pytest.fixture(scope="module")
def axes_index(tmp_path_factory, fixture_corpus, embedder):
    """The fixture corpus built with the axes (opt-in; vectors come from the test cache)."""
    index_dir = tmp_path_factory.mktemp("axes") / "index"
    build_index(fixture_corpus, index_dir, embedder, settings=BuildSettings(language_axes=True))
    loaded = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    yield loaded
    loaded.close()


@pytest.fixture(scope="module")
def axes_searcher(axes_index, embedder):
    return Searcher(axes_index, embedder)


def test_fit_axes_are_orthonormal_and_span_the_mean_differences():
    rng = np.random.default_rng(0)
    means = {lang: rng.normal(size=16) for lang in ("en", "zh", "fa")}
    axes = la.fit_axes(means)
    assert axes.shape == (2, 16)
    assert np.allclose(axes @ axes.T, np.eye(2), atol=1e-5)
    for lang in ("en", "fa"):  # each difference to the base language lies in their span
        d = means[lang] - means["zh"]
        assert np.linalg.norm(d - (axes.T @ (axes @ d))) < 1e-4 * np.linalg.norm(d)


def test_remove_axes_gives_unit_vectors_orthogonal_to_the_axes():
    rng = np.random.default_rng(1)
    axes = la.fit_axes({lang: rng.normal(size=8) for lang in ("en", "zh", "fa")})
    v = rng.normal(size=(5, 8)).astype(np.float32)
    out = la.remove_axes(v, axes)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert np.abs(out @ axes.T).max() < 1e-5
    assert la.remove_axes(v, None) is v  # generations built without axes: unchanged
    one = la.remove_axes(v[0], axes)  # one query vector
    assert one.shape == (8,) and np.allclose(one, out[0], atol=1e-6)


def test_axes_for_another_model_are_computed_from_the_term_bank():
    calls = []

    def encode(texts):  # a stand-in model: every language has its own offset
        calls.append(len(texts))
        offset = 5.0 if all(t.isascii() for t in texts) else -5.0
        return np.array([[offset, float(len(t)), 1.0] for t in texts])

    axes = la.axes_for("not-the-default-model", encode)
    assert len(calls) == 3 and min(calls) > 1000  # the bank's preferred terms, per language
    assert axes.shape == (2, 3) and np.allclose(axes @ axes.T, np.eye(2), atol=1e-5)


def test_shipped_axes_belong_to_the_default_model(embedder):
    axes = la.axes_for(embedder.fingerprint, lambda texts: pytest.fail("computed, not shipped"))
    assert axes.shape == (2, embedder.dim)


def test_default_build_has_no_axes_and_removes_them_at_query_time(searcher, fixture_index,
                                                                   embedder):
    assert la.axes_from_manifest(searcher.gen.manifest) is None
    assert searcher._axes is None
    assert searcher._query_axes is not None  # the shipped axes of the default model
    off = Searcher(searcher.gen, embedder, FusionParams(query_axes=False))
    assert off._query_axes is None


def test_cosines_without_axes_equal_those_of_projected_vectors(searcher, embedder):
    """Computed from raw stored vectors, they equal the cosines of both vectors with the
    axes removed and renormalised (what an index built with the axes stores)."""
    store, axes = searcher.store, searcher._query_axes
    ids = store.passage_ids()
    query = embedder.encode_queries(["conditions for receiving unemployment insurance"])[0]
    stored = store.dense_dots(ids, np.eye(embedder.dim, dtype=np.float32))  # the vectors
    want = la.remove_axes(stored, axes) @ la.remove_axes(query, axes)
    got = la.cosines_without_axes(store.dense_dots(ids, np.vstack([query, axes])), query, axes)
    assert np.allclose(got, want, atol=1e-4)
    assert not np.allclose(got, stored @ query, atol=1e-3)  # the axes do change them


def test_ranked_without_axes_with_raw_cosines_kept_for_the_floors(searcher):
    """Dense candidates are ordered by cosines without the axes, and carry the model's own
    cosine (what the relevance floors were calibrated on)."""
    plan = searcher.plan("unemployment insurance benefits")
    cands = searcher.candidates("dense", plan)
    ids = [c.id for c in cands]
    raw = searcher.store.dense_scores(ids, plan.vector)
    assert [c.dense for c in cands] == pytest.approx(raw, abs=1e-5)
    ranked = [c.fused for c in cands]
    assert ranked == sorted(ranked, reverse=True) and ranked != pytest.approx(raw, abs=1e-3)


def test_generation_stores_its_axes_and_applies_them_to_passages_and_queries(
        axes_index, axes_searcher, embedder):
    axes = la.axes_from_manifest(axes_index.manifest)
    assert axes is not None and axes.shape == (2, embedder.dim)
    ids = axes_index.store.passage_ids()[:20]
    plan = axes_searcher.plan("conditions for receiving unemployment insurance benefits")
    assert abs(float(np.linalg.norm(plan.vector)) - 1) < 1e-4
    assert np.abs(axes @ plan.vector).max() < 1e-4  # the query: no language component
    # The passages too: a passage's stored score for a vector along an axis is ~0.
    for axis in axes:
        assert max(abs(s) for s in axes_index.store.dense_scores(ids, axis)) < 1e-4


@pytest.mark.parametrize("which", ["built with the axes", "axes at query time"])
def test_english_question_reaches_the_chinese_article_by_meaning_alone(which, axes_searcher,
                                                                      searcher):
    """Dense only, no lexical help: the Chinese unemployment-insurance article is found."""
    chosen = axes_searcher if which == "built with the axes" else searcher
    page = chosen.search(SearchRequest(q="conditions for receiving unemployment insurance "
                                           "benefits", mode="dense", lang=["zh"], k=10))
    assert any("失业" in hit["text"] for hit in page.hits[:5]), [h["text"][:40] for h in page.hits]
