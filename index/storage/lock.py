"""The build lock: one writer (build, update, restore) per index directory at a time."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import BuildLocked

LOCK_FILE = "LOCK"


@contextmanager
def build_lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """An exclusive flock on DIR/LOCK; the kernel drops it if the process dies."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise BuildLocked(
                f"another build or update is running on {index_dir}; wait for it or pass --wait"
            ) from None
        yield
    finally:
        fh.close()
