"""File locks: one writer (build, update, restore) per index directory at a time, and a
non-blocking lock that server workers share to run one admin job at a time."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

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


class HeldLock:
    """An exclusive flock held until `release()` (the kernel drops it if the process dies)."""

    def __init__(self, fh: IO[str]):
        self._fh = fh

    def release(self) -> None:
        self._fh.close()


def take_lock(path: Path, note: str = "") -> HeldLock | None:
    """Take an exclusive flock on `path` without waiting; None when someone holds it.

    `note` (e.g. a job id) replaces the file's text, for whoever is refused to read.
    flock locks belong to the open file, so a second take in the same process is refused
    too: the lock coordinates threads and server worker processes alike.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(note)
    fh.flush()
    return HeldLock(fh)


def is_locked(path: Path) -> bool:
    """Whether some open file (any process) holds the flock on `path` right now."""
    try:
        fh = open(path, encoding="utf-8")
    except FileNotFoundError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
