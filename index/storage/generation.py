"""Index directories: generations, the CURRENT pointer, the manifest, and verified loading.

An index is a directory. Each build writes a complete generation into a hidden temp
folder, verifies it, renames it to `gen-<id>` and only then atomically replaces the
`CURRENT` file. Readers follow `CURRENT`; a generation is never modified after that, so
a crash at any moment leaves either the old or the new generation serving, never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from index.storage import vectors
from index.storage.reader import LocalStore
from ingest.digest import sha256_file
from index.errors import IndexCorrupt, IndexNotFound, ModelMismatch

STORE_FILE = "store.sqlite"
VECTORS_FILE = "vectors.faiss"
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "CURRENT"
TMP_PREFIX = ".tmp-"
GEN_PREFIX = "gen-"
FORMAT_VERSION = 1
KEEP_GENERATIONS = 2


@dataclass
class Generation:
    """A loaded, verified generation: its manifest and its store (SQLite + FAISS reads)."""

    id: str
    path: Path
    manifest: dict[str, Any]
    store: LocalStore

    def close(self) -> None:
        self.store.close()


def new_generation_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{GEN_PREFIX}{stamp}-{os.getpid()}"


def fsync_path(path: Path) -> None:
    """fsync a file or directory so a rename or write survives power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(gen_dir: Path, manifest: dict[str, Any]) -> None:
    """Add checksums of the data files and write the manifest last (its presence marks completeness)."""
    manifest = dict(manifest, format_version=FORMAT_VERSION)
    manifest["checksums"] = {
        name: sha256_file(gen_dir / name) for name in (STORE_FILE, VECTORS_FILE)
    }
    tmp = gen_dir / (MANIFEST_FILE + ".part")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for name in (STORE_FILE, VECTORS_FILE, tmp.name):
        fsync_path(gen_dir / name)
    os.replace(tmp, gen_dir / MANIFEST_FILE)
    fsync_path(gen_dir)


def current_generation_id(index_dir: Path) -> str | None:
    try:
        value = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value or None


def set_current(index_dir: Path, gen_id: str) -> None:
    """Atomically point CURRENT at a generation (write temp, fsync, rename, fsync dir)."""
    tmp = index_dir / (CURRENT_FILE + ".part")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(gen_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT_FILE)
    fsync_path(index_dir)


def read_manifest(gen_dir: Path) -> dict[str, Any]:
    path = gen_dir / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"{gen_dir.name}: manifest missing (incomplete build)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{gen_dir.name}: manifest unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(f"{gen_dir.name}: unknown manifest format")
    return manifest


def check_model(manifest: dict[str, Any], model_id: str | None, dim: int | None,
                fingerprint: str | None = None) -> None:
    """Refuse an index built with another model than the configured one."""
    built = manifest.get("model", {})
    if model_id is not None and built.get("id") != model_id:
        raise ModelMismatch(
            f"index was built with model {built.get('id')!r}, configured model is {model_id!r}: "
            "rebuild with `policykb build` or pass the same --model"
        )
    if fingerprint is not None and built.get("fingerprint") != fingerprint:
        raise ModelMismatch("index was built with different weights of this model: rebuild it")
    if dim is not None and built.get("dim") != dim:
        raise ModelMismatch(f"index dimension {built.get('dim')} != model dimension {dim}")


def verify_files(gen_dir: Path, manifest: dict[str, Any]) -> None:
    sums = manifest.get("checksums") or {}
    for name in (STORE_FILE, VECTORS_FILE):
        path = gen_dir / name
        if not path.is_file():
            raise IndexCorrupt(f"{gen_dir.name}: {name} missing")
        if sums.get(name) != sha256_file(path):
            raise IndexCorrupt(f"{gen_dir.name}: {name} checksum mismatch (corrupt or replaced)")


def verify_contents(gen_dir: Path, manifest: dict[str, Any], store: LocalStore) -> None:
    """Counts, ids and dimension of both halves must agree with each other and the manifest."""
    try:
        found = store.health()
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(f"{gen_dir.name}: {STORE_FILE} unreadable ({exc})") from None
    counts = manifest.get("counts", {})
    if found["integrity"] != "ok":
        raise IndexCorrupt(f"{gen_dir.name}: SQLite integrity check failed: {found['integrity']}")
    if found["generation"] != manifest.get("generation"):
        raise IndexCorrupt(f"{gen_dir.name}: store belongs to generation {found['generation']!r}")
    n_rows, n_fts, n_vecs = found["rows"], found["fts"], found["vector_count"]
    if not (n_rows == n_fts == n_vecs == counts.get("passages")):
        raise IndexCorrupt(
            f"{gen_dir.name}: counts disagree (rows {n_rows}, fts {n_fts}, "
            f"vectors {n_vecs}, manifest {counts.get('passages')})"
        )
    if found["vector_dim"] != manifest.get("model", {}).get("dim"):
        raise IndexCorrupt(f"{gen_dir.name}: vector dimension {found['vector_dim']} != manifest")
    if not np.array_equal(np.sort(found["vector_ids"]), found["ids"]):
        raise IndexCorrupt(f"{gen_dir.name}: FAISS ids do not match passage ids")


def load_generation(index_dir: Path, gen_id: str | None = None, model_id: str | None = None,
                    dim: int | None = None, fingerprint: str | None = None) -> Generation:
    """Load and fully verify a generation (CURRENT by default); raise a clear error otherwise."""
    index_dir = Path(index_dir)
    gen_id = gen_id or current_generation_id(index_dir)
    if gen_id is None:
        raise IndexNotFound(f"no index at {index_dir}: run `policykb build corpus/ --index {index_dir}`")
    gen_dir = index_dir / gen_id
    if not gen_dir.is_dir():
        raise IndexCorrupt(f"CURRENT names {gen_id}, which does not exist in {index_dir}")
    return open_generation(gen_dir, gen_id, model_id, dim, fingerprint)


def open_generation(gen_dir: Path, gen_id: str, model_id: str | None = None,
                    dim: int | None = None, fingerprint: str | None = None) -> Generation:
    """Verify the generation in `gen_dir` (which must hold generation `gen_id`) and open it."""
    manifest = read_manifest(gen_dir)
    if manifest.get("generation") != gen_id:
        raise IndexCorrupt(f"{gen_id}: manifest belongs to generation {manifest.get('generation')!r}")
    check_model(manifest, model_id, dim, fingerprint)
    verify_files(gen_dir, manifest)
    try:
        index = vectors.read_vector_index(gen_dir / VECTORS_FILE)
    except RuntimeError as exc:
        raise IndexCorrupt(f"{gen_id}: {VECTORS_FILE} unreadable ({str(exc)[:120]})") from None
    store = LocalStore(gen_dir / STORE_FILE, index)
    try:
        verify_contents(gen_dir, manifest, store)
    except Exception:
        store.close()
        raise
    return Generation(gen_id, gen_dir, manifest, store)


def list_generations(index_dir: Path) -> list[str]:
    """Complete generation folders, oldest first (ids sort by build time)."""
    if not index_dir.is_dir():
        return []
    return sorted(p.name for p in index_dir.iterdir()
                  if p.is_dir() and p.name.startswith(GEN_PREFIX))


def clean_leftovers(index_dir: Path) -> list[str]:
    """Remove temp folders of aborted builds and old generations beyond KEEP_GENERATIONS.

    Only called while holding the build lock, so no running build owns these folders.
    """
    removed: list[str] = []
    if not index_dir.is_dir():
        return removed
    for path in index_dir.iterdir():
        if path.name.startswith(TMP_PREFIX) or path.name.endswith(".part"):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path.name)
    current = current_generation_id(index_dir)
    gens = [g for g in list_generations(index_dir) if g != current]
    for old in gens[: max(0, len(gens) - (KEEP_GENERATIONS - 1))]:
        shutil.rmtree(index_dir / old, ignore_errors=True)
        removed.append(old)
    return removed
