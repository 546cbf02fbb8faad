"""`policykb build --backend milvus`: the command builds, publishes to a Milvus Lite file
started here, and the served generation can then be opened through the factory."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from policykb.cli import cli


def test_build_with_milvus_backend(tmp_path, fixture_corpus, embedder):
    pytest.importorskip("pymilvus")
    from index.storage import backends

    uri = str(tmp_path / "milvus.db")
    result = CliRunner().invoke(cli, ["build", str(fixture_corpus), "--index",
                                      str(tmp_path / "index"), "--backend", "milvus",
                                      "--milvus-uri", uri], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "published to Milvus as policykb_gen_" in result.output
    config = backends.BackendConfig("milvus", tmp_path / "index", milvus_uri=uri)
    loaded = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
    local = backends.load(backends.BackendConfig(index_dir=tmp_path / "index"))
    assert loaded.id == local.id
    assert loaded.manifest["counts"] == local.manifest["counts"]
    found = CliRunner().invoke(cli, ["search", "住房公积金", "--index", str(tmp_path / "index"),
                                     "--backend", "milvus", "--milvus-uri", uri, "--json"],
                               catch_exceptions=False)
    assert found.exit_code == 0, found.output
    assert '"passage_id"' in found.output


def test_milvus_backend_needs_a_uri(tmp_path, fixture_corpus, monkeypatch):
    monkeypatch.delenv("POLICYKB_MILVUS_URI", raising=False)
    result = CliRunner().invoke(cli, ["build", str(fixture_corpus), "--index",
                                      str(tmp_path / "index"), "--backend", "milvus"])
    assert result.exit_code != 0
    assert "--milvus-uri" in result.output


def test_update_publishes_and_status_shows_milvus(tmp_path, fixture_corpus, fixture_index,
                                                  monkeypatch):
    """`update --backend milvus` refreshes the local generation and publishes it; `status
    --backend milvus` then shows the alias, the collection it names and its counts."""
    pytest.importorskip("pymilvus")
    import json
    import shutil

    from index.storage import backends
    from index.storage.generation import current_generation_id

    # Milvus Lite accepts both settings (and keeps one shard, one replica): the publish and
    # the loads pass them through without an error.
    monkeypatch.setenv("POLICYKB_MILVUS_SHARDS", "2")
    monkeypatch.setenv("POLICYKB_MILVUS_REPLICAS", "1")
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(fixture_corpus, corpus)
    shutil.copytree(fixture_index, index_dir)
    milvus = ["--index", str(index_dir), "--backend", "milvus", "--milvus-uri",
              str(tmp_path / "milvus.db")]
    first = CliRunner().invoke(cli, ["update", str(corpus), *milvus], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "published to Milvus as policykb_gen_" in first.output
    before = current_generation_id(index_dir)
    (corpus / "xss_notice.txt").unlink()
    second = CliRunner().invoke(cli, ["update", str(corpus), *milvus], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "0 added, 0 changed, 1 removed" in second.output
    after = current_generation_id(index_dir)
    assert after != before

    shown = CliRunner().invoke(cli, ["status", *milvus, "--json"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    local = json.loads(CliRunner().invoke(cli, ["status", "--index", str(index_dir),
                                                "--json"]).output)
    assert info["alias"] == "policykb" and info["generation"] == after == local["generation"]
    assert info["collection"] == "policykb_" + after.replace("-", "_")
    assert info["previous_collection"] == "policykb_" + before.replace("-", "_")
    assert info["passages"] == local["passages"] == info["rows"][info["collection"]]
    assert info["passages_by_document"] == local["passages_by_document"]
    assert info["documents"] == local["documents"]
    assert info["manifest"]["model"]["id"] == local["model"]
    config = backends.BackendConfig.from_env(index_dir)
    assert (config.milvus_shards, config.milvus_replicas) == (2, 1)
    text = CliRunner().invoke(cli, ["status", *milvus]).output
    assert f"collection: {info['collection']}" in text and "alias: policykb" in text


def test_status_without_a_milvus_index_is_one_line_error(tmp_path):
    pytest.importorskip("pymilvus")
    result = CliRunner().invoke(cli, ["status", "--backend", "milvus", "--milvus-uri",
                                      str(tmp_path / "empty.db")])
    assert result.exit_code == 1
    assert "no Milvus index under alias 'policykb'" in result.output


def test_bad_shard_setting_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYKB_MILVUS_SHARDS", "two")
    result = CliRunner().invoke(cli, ["status", "--backend", "milvus", "--milvus-uri",
                                      str(tmp_path / "m.db")])
    assert result.exit_code == 2
    assert "POLICYKB_MILVUS_SHARDS" in result.output
