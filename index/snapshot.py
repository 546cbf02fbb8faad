"""A fingerprint of a corpus folder's raw files, so that `update` on an unchanged corpus
answers before it reads, cleans, splits or counts the tokens of anything.

`update` used to ingest the whole corpus (and load the tokenizer for it) only to find the
corpus fingerprint (index.build.corpus_fingerprint) unchanged. A build now also records
this cheaper one in the manifest: every file under the folder, by path and sha256 of its
bytes (a superset of what ingest reads: the manifest, topics.json, hidden files too), with
the model and the settings' part of the corpus fingerprint. Equal means nothing to do;
anything else takes the full path, where the corpus fingerprint decides as before.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ingest.digest import sha256_file


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
