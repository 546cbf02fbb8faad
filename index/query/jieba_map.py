"""jieba's prefix dictionary as sorted arrays on disk, memory-mapped by query processes.

jieba keeps its dictionary as one dict of ~500,000 words and prefixes and unmarshals it
from its cache at every start: 1.7 s of a cold `search` (more than the search), all of it
holding the GIL. A query looks up a few hundred strings, so a query process maps the same
entries as a sorted array instead (opened in milliseconds, binary-searched in C) and jieba
segments exactly as with its own dict: same keys, same counts, same total. A build
analyses millions of characters and wants the real dict: `lexical.index_text` puts it
back, and so does a server once it answers (see lexical.full_dictionary).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1  # bump when the files below change
_MISSING = object()
MEMO = 100_000  # lookups remembered (then forgotten all at once)


class MappedFreq:
    """The read side of jieba's FREQ dict (`in`, `[]`, `get`) over sorted arrays."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray):
        self._keys, self._counts = keys, counts
        self._width = keys.dtype.itemsize // 4  # numpy stores str as UTF-32
        self._n = len(keys)
        self._seen: dict[str, Any] = {}  # a query's prefixes recur across its cuts

    def get(self, word: str, default: Any = None) -> Any:
        count = self._seen.get(word, _MISSING)
        if count is _MISSING:
            count = self._lookup(word)
            if len(self._seen) >= MEMO:
                self._seen.clear()
            self._seen[word] = count
        return default if count is _MISSING else count

    def _lookup(self, word: str) -> Any:
        if len(word) > self._width or not word:  # numpy would cut a longer word to fit
            return _MISSING
        i = int(np.searchsorted(self._keys, word))
        if i < self._n and self._keys[i] == word:
            return int(self._counts[i])
        return _MISSING

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word, _MISSING) is not _MISSING

    def __getitem__(self, word: str) -> int:
        count = self.get(word, _MISSING)
        if count is _MISSING:
            raise KeyError(word)
        return int(count)

    def __len__(self) -> int:
        return self._n


def map_folder(dictionary: Path, cache_root: Path) -> Path:
    """Where the arrays of a jieba dictionary file live: named by its size and mtime."""
    stat = dictionary.stat()
    return cache_root / f"jieba-map-{FORMAT}-{stat.st_size}-{stat.st_mtime_ns}"


def load_map(folder: Path) -> tuple[MappedFreq, int] | None:
    """The mapped dictionary and jieba's total, or None when not written (yet)."""
    try:
        total = int(json.loads((folder / "total.json").read_text(encoding="utf-8"))["total"])
        keys = np.load(folder / "keys.npy", mmap_mode="r")
        counts = np.load(folder / "counts.npy", mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return MappedFreq(keys, counts), total


def write_map(folder: Path, freq: dict[str, int], total: int) -> None:
    """Write the sorted arrays of jieba's loaded dictionary (once per dictionary file),
    into a temporary sibling renamed into place: readers see all of it or nothing."""
    keys = np.array(sorted(freq))
    counts = np.array([freq[k] for k in keys.tolist()], dtype=np.int64)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    np.save(tmp / "keys.npy", keys)
    np.save(tmp / "counts.npy", counts)
    (tmp / "total.json").write_text(json.dumps({"total": total}), encoding="utf-8")
    try:
        os.rename(tmp, folder)
    except OSError:  # another process was first: keep its copy
        for part in tmp.iterdir():
            part.unlink()
        tmp.rmdir()
