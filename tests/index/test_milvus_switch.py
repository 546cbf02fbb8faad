"""Publishing generations to Milvus: the alias moves only after a verified copy, a failed or
killed build leaves it where it was, and searches keep working across a switch.

Two real local generations of the fixture corpus are published to a Milvus Lite file that
this test starts; nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from index.build import build_index
from index.errors import IndexNotFound
from index.query.request import SearchRequest
from index.query.search import Searcher
from index.storage import backends, milvus_schema as ms
from index.storage.generation import list_generations


@pytest.fixture(scope="module")
def two_generations(tmp_path_factory, fixture_index, fixture_corpus, embedder):
    """An index directory holding two generations (old, new) of the fixture corpus."""
    pytest.importorskip("pymilvus")
    index_dir = tmp_path_factory.mktemp("switch") / "index"
    shutil.copytree(fixture_index, index_dir)
    old = list_generations(index_dir)[-1]
    new = build_index(fixture_corpus, index_dir, embedder).generation
    return index_dir, old, new


def config_for(two_generations, tmp_path_factory, prefix):
    uri = str(tmp_path_factory.getbasetemp() / "switch-milvus.db")
    return backends.BackendConfig("milvus", two_generations[0], milvus_uri=uri,
                                  milvus_prefix=prefix)


def test_failed_or_killed_build_leaves_alias(two_generations, tmp_path_factory, embedder):
    _, old, new = two_generations
    config = config_for(two_generations, tmp_path_factory, "fail")
    with pytest.raises(IndexNotFound):
        backends.load(config)
    backends.publish(config, old)
    assert backends.current_id(config) == old

    def crash(stage, done, total):
        raise RuntimeError("build failed half-way")

    with pytest.raises(RuntimeError):
        backends.publish(config, new, progress=crash)
    client = backends.milvus_client(config)
    assert backends.current_id(config) == old
    assert not [c for c in client.list_collections() if ms.collection_name("fail", new) in c]
    assert backends.load(config, model_id=embedder.model_id, dim=embedder.dim).id == old

    # A killed build leaves its collections behind (no except clause ran): the next build
    # drops them, and the alias stayed on the old generation until then.
    killed = ms.collection_name("fail", "gen-killed")
    for part in ("", "_meta"):
        client.create_collection(killed + part, schema=ms.aux_schema("_meta", 2),
                                 index_params=ms.index_params(client, "_meta", True))
    assert backends.current_id(config) == old
    backends.publish(config, new)
    assert backends.current_id(config) == new
    names = client.list_collections()
    assert not [n for n in names if n.startswith(killed)]
    assert ms.collection_name("fail", old) in names  # kept for servers still on it
    backends.publish(config, old)  # switching back to the kept generation: no rewrite
    assert backends.current_id(config) == old
    assert ms.collection_name("fail", new) in client.list_collections()


def test_switch_under_concurrent_searches(two_generations, tmp_path_factory, embedder):
    _, old, new = two_generations
    config = config_for(two_generations, tmp_path_factory, "live")
    backends.publish(config, old)
    served = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(served, embedder)
    errors: list[BaseException] = []
    seen: set[str] = set()
    searches = [0]
    done = threading.Event()

    def search_old() -> None:
        while not done.is_set():
            try:
                page = searcher.search(SearchRequest(q="pension insurance", k=5))
                assert page.hits and page.generation == old
                searches[0] += 1
            except BaseException as exc:  # noqa: BLE001 - counted, then asserted
                errors.append(exc)

    def search_fresh() -> None:  # a worker (re)loading whatever the alias names
        while not done.is_set():
            try:
                loaded = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
                page = Searcher(loaded, embedder).search(SearchRequest(q="住房公积金", k=5))
                assert page.hits
                seen.add(page.generation)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=f) for f in (search_old, search_old, search_fresh)]
    for t in threads:
        t.start()
    try:
        backends.publish(config, new)
    finally:
        done.set()
        for t in threads:
            t.join()
    assert errors == []
    assert searches[0] >= 10  # searches really ran while the copy and the switch happened
    assert backends.current_id(config) == new
    assert searcher.search(SearchRequest(q="pension insurance", k=5)).generation == old
    assert seen <= {old, new}


KILLED_CHILD = """
import os, signal, sys
from index.storage import backends
config = backends.BackendConfig("milvus", sys.argv[1], milvus_uri=sys.argv[2],
                                milvus_prefix="killed")
backends.publish(config, sys.argv[3])
backends.publish(config, sys.argv[4],
                 progress=lambda *_: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_sigkilled_build_leaves_alias(two_generations, tmp_path, embedder):
    """A build process killed (SIGKILL) while writing the new collections: the alias still
    names the old generation, which serves; the next build clears the leftovers."""
    index_dir, old, new = two_generations
    uri = str(tmp_path / "killed.db")  # Milvus Lite: one process per file at a time
    repo = Path(__file__).resolve().parents[2]
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(index_dir), uri, old, new],
                           cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)},
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    config = backends.BackendConfig("milvus", index_dir, milvus_uri=uri, milvus_prefix="killed")
    assert backends.current_id(config) == old
    client = backends.milvus_client(config)
    assert ms.collection_name("killed", new) in client.list_collections()  # half-written
    loaded = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
    assert loaded.id == old
    assert Searcher(loaded, embedder).search(SearchRequest(q="住房公积金", k=3)).hits
    backends.publish(config, new)
    assert backends.current_id(config) == new
