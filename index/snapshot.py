"""A fingerprint of a corpus folder's raw files, so that `update` on an unchanged corpus
answers before it reads, cleans, splits or counts the tokens of anything.

`update` used to ingest the whole corpus (and load the tokenizer for it) only to find the
corpus fingerprint (index.build.corpus_fingerprint) unchanged. A build now also records
this cheaper one beside the generations (FILES_RECORD, with the generation it belongs
to; the generation itself stays as written): every file under the folder, by path and
sha256 of its bytes (a superset of what ingest reads: the manifest, topics.json, hidden
files too), with the model and the settings' part of the corpus fingerprint. Equal, for
the current generation, means nothing to do; anything else takes the full path, where the
corpus fingerprint decides as before (and an index built before this existed gets its
record at its first update).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from index.storage import generation as gen
from ingest.digest import sha256_file

FILES_RECORD = "files-fingerprint.json"


def files_fingerprint(corpus_dir: Path, settings_part: str) -> str | None:
    """sha256 over `settings_part` and (path, sha256) of every file under `corpus_dir`;
    None when a file or folder cannot be read (then the caller ingests as usual)."""
    digest = hashlib.sha256(settings_part.encode())
    root = Path(corpus_dir)
    try:
        for folder, dirs, files in os.walk(root, onerror=_raise):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
                digest.update(sha256_file(path).encode() if path.is_file() else b"-")
    except OSError:
        return None
    return digest.hexdigest()


def _raise(exc: OSError) -> None:
    raise exc


def recorded_files(index_dir: Path) -> str | None:
    """The files fingerprint recorded for the current generation, if any."""
    try:
        record = json.loads((index_dir / FILES_RECORD).read_text(encoding="utf-8"))
        current = gen.current_generation_id(index_dir)
        return str(record["files"]) if current and record["generation"] == current else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_files(index_dir: Path, generation: str | None, fingerprint: str) -> None:
    """Record the corpus files' fingerprint for `generation` (written whole, then renamed;
    the build lock is held by the caller). Best effort: without it, update ingests."""
    if generation is None:
        return
    tmp = index_dir / f".{FILES_RECORD}.tmp"
    try:
        tmp.write_text(json.dumps({"generation": generation, "files": fingerprint}),
                       encoding="utf-8")
        os.replace(tmp, index_dir / FILES_RECORD)
    except OSError:
        pass
