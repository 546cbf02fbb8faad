"""Backup and restore of the served generation.

The SQLite file is copied through SQLite's online backup API (a consistent snapshot even
if something were writing), the FAISS index is re-serialised from memory, and the manifest
is rewritten with fresh checksums. Restore verifies a backup fully and installs it as a
new generation through the same atomic switch as a build.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from index.storage import generation as gen
from index.storage import vectors
from index.storage.generation import new_generation_id
from index.storage.lock import build_lock
from ingest.errors import PolicyKBError


def backup_index(index_dir: Path, dest: Path) -> str:
    """Write a verified copy of the current generation to `dest` (must not exist)."""
    if dest.exists():
        raise PolicyKBError(f"{dest} exists: choose a new backup folder")
    loaded = gen.load_generation(index_dir)
    tmp = dest.with_name(dest.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        src = sqlite3.connect(f"file:{loaded.path / gen.STORE_FILE}?mode=ro", uri=True)
        out = sqlite3.connect(tmp / gen.STORE_FILE)
        with out:
            src.backup(out)
        src.close()
        out.close()
        assert loaded.store.vectors is not None  # a verified generation has its vectors
        vectors.write_vector_index(loaded.store.vectors, tmp / gen.VECTORS_FILE)
        gen.write_manifest(tmp, {k: v for k, v in loaded.manifest.items() if k != "checksums"})
        gen.open_generation(tmp, loaded.id).close()
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        loaded.close()
    return loaded.id


def restore_index(backup: Path, index_dir: Path) -> str:
    """Install a backup as a new generation (verified first) and switch to it."""
    manifest = gen.read_manifest(backup)
    old_id = manifest["generation"]
    gen.open_generation(backup, old_id).close()
    index_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir):
        gen_id = new_generation_id()
        tmp = index_dir / (gen.TMP_PREFIX + gen_id)
        tmp.mkdir()
        try:
            src = sqlite3.connect(f"file:{backup / gen.STORE_FILE}?mode=ro", uri=True)
            out = sqlite3.connect(tmp / gen.STORE_FILE)
            with out:
                src.backup(out)
                out.execute("UPDATE meta SET value = ? WHERE key = 'generation'",
                            (json.dumps(gen_id),))
            src.close()
            out.close()
            shutil.copyfile(backup / gen.VECTORS_FILE, tmp / gen.VECTORS_FILE)
            manifest = dict(manifest, generation=gen_id, restored_from=old_id)
            manifest.pop("checksums", None)
            gen.write_manifest(tmp, manifest)
            gen.open_generation(tmp, gen_id).close()
            os.rename(tmp, index_dir / gen_id)
            gen.set_current(index_dir, gen_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return gen_id
