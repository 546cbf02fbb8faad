"""Build, load, update and refuse: real SQLite + FAISS generations under tmp_path."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid

import pytest

from index.storage import generation as gen
from index.build import build_index
from index.query.request import SearchRequest
from index.query.search import Searcher
from index.errors import BuildLocked, IndexCorrupt, IndexNotFound, ModelMismatch
from tests.fixtures_index import FIXTURE_CORPUS

QUERIES = ["multi-pillar pensions", "养老保险基金监管", "نظارت بر صندوق", "housing fund withdrawal"]


def top_ids(index_dir, embedder, query, k=5):
    loaded = gen.load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    try:
        ranked = Searcher(loaded, embedder).result_set(SearchRequest(q=query), depth=k,
                                                       floor=False)
        return [c.id for c in ranked[:k]]
    finally:
        loaded.close()


@pytest.fixture()
def index_copy(tmp_path, fixture_index):
    dest = tmp_path / "index"
    shutil.copytree(fixture_index, dest)
    return dest


def test_round_trip_same_top_k(fixture_index, searcher, embedder):
    """build -> save -> load -> the same top-k as the searcher that built-and-loaded it."""
    for q in QUERIES:
        expected = [c.id for c in searcher.result_set(SearchRequest(q=q), depth=5,
                                                      floor=False)[:5]]
        assert expected and top_ids(fixture_index, embedder, q) == expected


def test_manifest_records_model_counts_and_checksums(fixture_index, embedder):
    gen_id = gen.current_generation_id(fixture_index)
    manifest = gen.read_manifest(fixture_index / gen_id)
    assert manifest["model"]["id"] == embedder.model_id
    assert manifest["model"]["dim"] == embedder.dim
    assert manifest["counts"]["passages"] == sum(manifest["counts"]["by_language"].values())
    assert set(manifest["checksums"]) == {gen.STORE_FILE, gen.VECTORS_FILE}
    assert manifest["vectors"]["kind"] == "flat"
    assert {"zh", "en", "fa"} <= set(manifest["counts"]["by_language"])


def test_update_reembeds_only_changed_document(tmp_path, fixture_corpus, index_copy, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    unchanged = build_index(corpus, index_copy, embedder, update=True)
    assert unchanged.up_to_date and unchanged.n_embedded == 0
    assert len(unchanged.changes.unchanged) == unchanged.n_documents
    assert not (unchanged.changes.added or unchanged.changes.changed or unchanged.changes.removed)
    old_gen = gen.current_generation_id(index_copy)
    target = corpus / "en_bulletin_repeat.txt"
    target.write_text(target.read_text(encoding="utf-8") +
                      f"\nA new closing paragraph about pension fund audits ({uuid.uuid4()}).\n",
                      encoding="utf-8")
    (corpus / "xss_notice.txt").unlink()
    added = "示例省养老服务条例(2026-11-30).md"
    shutil.copy(FIXTURE_CORPUS.parent / "unlisted" / added, corpus / added)
    result = build_index(corpus, index_copy, embedder, update=True)
    assert result.changes.added == [added]
    assert result.changes.changed == ["en_bulletin_repeat.txt"]
    assert result.changes.removed == ["xss_notice.txt"]
    assert len(result.changes.unchanged) == unchanged.n_documents - 2
    new_gen = gen.current_generation_id(index_copy)
    assert new_gen != old_gen and result.generation == new_gen
    loaded = gen.load_generation(index_copy)
    try:
        rows = [{"doc_id": d} for d, n in loaded.store.passages_by_document().items()
                for _ in range(n)]
        changed = [r for r in rows if r["doc_id"].startswith("en_bulletin")
                   or "bulletin" in r["doc_id"]]
        assert not [r for r in rows if "xss" in r["doc_id"]]
    finally:
        loaded.close()
    # only passages whose text changed were embedded (the bulletin's last passage and the
    # added file's)
    added_passages = sum(1 for r in rows if r["doc_id"].startswith("示例省"))
    assert added_passages and 1 <= result.n_embedded <= len(changed) + added_passages


def test_model_mismatch_refused(fixture_index):
    with pytest.raises(ModelMismatch):
        gen.load_generation(fixture_index, model_id="some-other-model")
    with pytest.raises(ModelMismatch):
        gen.load_generation(fixture_index, dim=768)


def test_truncated_faiss_refused(index_copy):
    path = index_copy / gen.current_generation_id(index_copy) / gen.VECTORS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="checksum"):
        gen.load_generation(index_copy)


@pytest.mark.parametrize("damage", ["truncate", "zero", "flip"])
@pytest.mark.parametrize("name", [gen.STORE_FILE, gen.VECTORS_FILE])
def test_damaged_files_refused(index_copy, name, damage):
    path = index_copy / gen.current_generation_id(index_copy) / name
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) - 100]
    elif damage == "zero":
        data = bytearray(len(data))
    else:
        data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt):
        gen.load_generation(index_copy)


def test_damaged_files_refused_even_with_fixed_checksums(index_copy):
    """A SQLite file whose rows disagree with FAISS is refused even if checksums match."""
    gen_dir = index_copy / gen.current_generation_id(index_copy)
    conn = sqlite3.connect(gen_dir / gen.STORE_FILE)
    conn.execute("DELETE FROM passages WHERE id = (SELECT max(id) FROM passages)")
    conn.commit()
    conn.close()
    manifest = gen.read_manifest(gen_dir)
    manifest.pop("checksums")
    gen.write_manifest(gen_dir, {k: v for k, v in manifest.items() if k != "format_version"})
    with pytest.raises(IndexCorrupt, match="counts disagree"):
        gen.load_generation(index_copy)


def test_mixed_generations_refused(tmp_path, index_copy, fixture_corpus, embedder):
    build_index(fixture_corpus, index_copy, embedder)  # a second generation
    gens = gen.list_generations(index_copy)
    assert len(gens) == 2
    old, new = (index_copy / g for g in gens)
    shutil.copyfile(old / gen.STORE_FILE, new / gen.STORE_FILE)  # store of another generation
    manifest = gen.read_manifest(new)
    gen.write_manifest(new, {k: v for k, v in manifest.items()
                             if k not in ("checksums", "format_version")})
    with pytest.raises(IndexCorrupt, match="generation"):
        gen.load_generation(index_copy)


@pytest.mark.parametrize("field,value", [(("model", "id"), "x"), (("model", "dim"), 7),
                                         (("checksums", gen.STORE_FILE), "0" * 64)])
def test_tampered_manifest_refused(index_copy, embedder, field, value):
    gen_dir = index_copy / gen.current_generation_id(index_copy)
    manifest = json.loads((gen_dir / gen.MANIFEST_FILE).read_text())
    manifest[field[0]][field[1]] = value
    (gen_dir / gen.MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises((IndexCorrupt, ModelMismatch)):
        gen.load_generation(index_copy, model_id=embedder.model_id, dim=embedder.dim)


def test_no_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexNotFound, match="policykb build"):
        gen.load_generation(tmp_path / "missing")


def test_second_build_refused_while_locked(index_copy, fixture_corpus, embedder):
    from index.storage.lock import build_lock

    with build_lock(index_copy):
        with pytest.raises(BuildLocked):
            build_index(fixture_corpus, index_copy, embedder)
    gen.load_generation(index_copy).close()


def test_leftover_temp_files_are_ignored_then_cleaned(index_copy, fixture_corpus, embedder):
    (index_copy / ".tmp-gen-crashed").mkdir()
    (index_copy / ".tmp-gen-crashed" / gen.STORE_FILE).write_bytes(b"garbage")
    (index_copy / "CURRENT.part").write_text("gen-bogus")
    gen.load_generation(index_copy).close()  # startup ignores them
    build_index(fixture_corpus, index_copy, embedder, update=True)
    assert not (index_copy / ".tmp-gen-crashed").exists()
    assert not (index_copy / "CURRENT.part").exists()


def test_backup_and_restore_answer_identically(tmp_path, index_copy, embedder):
    from index.storage.backup import backup_index, restore_index

    before = {q: top_ids(index_copy, embedder, q) for q in QUERIES}
    backup_index(index_copy, tmp_path / "backup")
    restored_dir = tmp_path / "restored"
    new_id = restore_index(tmp_path / "backup", restored_dir)
    assert gen.current_generation_id(restored_dir) == new_id
    for q, ids in before.items():
        assert top_ids(restored_dir, embedder, q) == ids


def test_fingerprint_follows_the_analyser_and_splitter_versions(monkeypatch):
    """`update` must rebuild an index whose FTS5 text or sentence spans older code wrote."""
    from index import build
    from index.query import lexical

    base = build.corpus_fingerprint([], "model", build.BuildSettings())
    monkeypatch.setattr(lexical, "ANALYZER_VERSION", lexical.ANALYZER_VERSION + 1)
    assert build.corpus_fingerprint([], "model", build.BuildSettings()) != base
    monkeypatch.undo()
    monkeypatch.setattr(build, "SPLITTER_VERSION", build.SPLITTER_VERSION + 1)
    assert build.corpus_fingerprint([], "model", build.BuildSettings()) != base
