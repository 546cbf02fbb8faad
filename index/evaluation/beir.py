"""BEIR-format evaluation sets: corpus.jsonl, queries.jsonl and qrels/<split>.tsv."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import PolicyKBError


@dataclass
class BeirSet:
    name: str
    corpus: list[dict[str, Any]]
    queries: dict[str, dict[str, Any]]
    qrels: dict[str, dict[str, int]]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_beir(folder: Path, split: str = "dev") -> BeirSet:
    """Read corpus.jsonl, queries.jsonl and qrels/<split>.tsv (or the only qrels file)."""
    qrels_dir = folder / "qrels"
    qrels_file = qrels_dir / f"{split}.tsv"
    if not qrels_file.is_file():
        found = sorted(qrels_dir.glob("*.tsv")) if qrels_dir.is_dir() else []
        if not found:
            raise PolicyKBError(f"{folder}: no qrels/*.tsv (is this a BEIR folder?)")
        qrels_file = found[0]
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with open(qrels_file, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[2].lstrip("-").isdigit():
                qrels[parts[0]][parts[1]] = int(parts[2])
    queries = {q["_id"]: q for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels}
    return BeirSet(folder.name, list(read_jsonl(folder / "corpus.jsonl")), queries, dict(qrels))
