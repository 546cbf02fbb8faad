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
