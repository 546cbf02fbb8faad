"""Group passages that say the same thing: identical normalised text or near-identical reprints."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from index.storage.vectors import exact_knn
from ingest.text.normalize import normalize

# Above this many passages only exact (normalised) text is grouped: a k-NN self-search
# over 100k+ vectors costs more than the build can spare for a "seen also in" link.
MAX_NEAR_ROWS = 50_000
NEIGHBOURS = 5
# Passage vectors carry their document title as context, so a reprint under another title
# lands near 0.97, not 1.0; the cosine only proposes pairs, the text check decides.
MIN_COSINE = 0.95
MAX_EDIT_SHARE = 0.03  # changed characters / longer text ...
MIN_EDITS = 3  # ... but a few changed characters are always allowed (a comma, a typo)
MAX_LENGTH_RATIO = 1.1  # longer/shorter normalised length
# Numbers outside "第...条/章" labels: a reprint keeps its dates, amounts and rates.
_NUMBER = re.compile(r"第?(?:[0-9]+(?:[.,][0-9]+)*|[零一二两三四五六七八九十百千万亿]+)")


class _Groups:
    """Union-find over row positions; the root of a set is its smallest passage id."""

    def __init__(self, ids: list[int]):
        self.parent = list(range(len(ids)))
        self.ids = ids

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if self.ids[rb] < self.ids[ra]:
                ra, rb = rb, ra
            self.parent[rb] = ra


def duplicate_groups(rows: list[dict[str, Any]], vecs: np.ndarray | None) -> list[int]:
    """For each row, the id of its duplicate group: the smallest passage id in the group
    (a passage with no duplicate is its own group).

    Args:
        rows: dicts with "id", "text" and "language".
        vecs: (n, dim) unit passage vectors row-aligned with rows, or None for exact only.
    Returns:
        Group ids, row-aligned.
    """
    ids = [int(r["id"]) for r in rows]
    groups = _Groups(ids)
    keys = [normalize(r["text"]) for r in rows]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        groups.union(first.setdefault(key, i), i)
    if vecs is not None and 1 < len(rows) <= MAX_NEAR_ROWS:
        for i, j in near_pairs(np.asarray(vecs, dtype=np.float32)):
            if groups.find(i) != groups.find(j) and _same_text(rows, keys, i, j):
                groups.union(i, j)
    return [ids[groups.find(i)] for i in range(len(rows))]


def near_pairs(vecs: np.ndarray, k: int = NEIGHBOURS, min_cosine: float = MIN_COSINE
               ) -> list[tuple[int, int]]:
    """Row pairs (i < j) among each row's k nearest neighbours with cosine >= min_cosine."""
    sims, nbrs = exact_knn(vecs, vecs, min(k + 1, len(vecs)))
    pairs = set()
    for i, (row_sims, row_nbrs) in enumerate(zip(sims, nbrs, strict=True)):
        for s, j in zip(row_sims, row_nbrs, strict=True):
            if j >= 0 and j != i and s >= min_cosine:
                pairs.add((min(i, int(j)), max(i, int(j))))
    return sorted(pairs)


def _numbers(text: str) -> list[str]:
    return sorted(n for n in _NUMBER.findall(text) if not n.startswith("第"))


def _same_text(rows: list[dict[str, Any]], keys: list[str], i: int, j: int) -> bool:
    """Near-identical: same language, the same numbers, and at most a few characters
    different. Laws repeat template articles that differ in one term or one date
    ("基本养老保险" / "基本医疗保险", "2021年5月1日" / "2021年7月1日"); their vectors are
    0.97+ apart yet they are different provisions, so the text decides, not the vector."""
    if rows[i].get("language") != rows[j].get("language"):
        return False
    a, b = keys[i], keys[j]
    longer = max(len(a), len(b))
    if min(len(a), len(b)) == 0 or longer / min(len(a), len(b)) > MAX_LENGTH_RATIO:
        return False
    if _numbers(a) != _numbers(b):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.quick_ratio() < 1 - MAX_EDIT_SHARE * 2:
        return False
    edits = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes()
                if op != "equal")
    return edits <= max(MIN_EDITS, MAX_EDIT_SHARE * longer)
