"""Retrieval evaluation on BEIR-format sets: lexical, dense and hybrid side by side.

Each set's corpus goes through the product's own pipeline (split, embed, FAISS + FTS5
generation) into its own index directory, so the numbers measure what staff get. The
embedding cache and the corpus fingerprint make a repeated run skip the embedding.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.build import BuildSettings, build_lock, write_generation
from index.fusion import FusionParams
from index.generation import load_generation
from index.search import SearchRequest, Searcher
from ingest.language import detect_language
from ingest.models import Document, DocumentMeta
from ingest.split import split_document
from ingest.structure import find_structure
from policykb.errors import PolicyKBError

MODES = ("lexical", "dense", "hybrid")
# Eval sets need no clause selection or topics: only what ranking uses.
EVAL_SETTINGS = BuildSettings(sentence_vectors=False)
DEPTH = 100


@dataclass
class BeirSet:
    name: str
    corpus: list[dict[str, Any]]
    queries: dict[str, dict[str, Any]]
    qrels: dict[str, dict[str, int]]


@dataclass
class Scores:
    ndcg10: list[float] = field(default_factory=list)
    recall100: list[float] = field(default_factory=list)
    mrr10: list[float] = field(default_factory=list)

    def add(self, ranked: list[str], rel: dict[str, int]) -> None:
        self.ndcg10.append(ndcg_at(ranked, rel, 10))
        self.recall100.append(recall_at(ranked, rel, DEPTH))
        self.mrr10.append(mrr_at(ranked, rel, 10))

    def summary(self) -> dict[str, float]:
        def mean(xs: list[float]) -> float:
            return round(sum(xs) / len(xs), 4) if xs else 0.0

        return {"nDCG@10": mean(self.ndcg10), "R@100": mean(self.recall100),
                "MRR@10": mean(self.mrr10), "queries": len(self.ndcg10)}


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


def ndcg_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    relevant = {d for d, g in rel.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    for i, d in enumerate(ranked[:k]):
        if rel.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def beir_documents(beir: BeirSet, count_tokens: Callable[[str], int],
                   settings: BuildSettings) -> list[Document]:
    """BEIR corpus entries as documents, split by the product's own splitter."""
    docs = []
    for entry in beir.corpus:
        text = entry.get("text") or ""
        if not text.strip():
            continue
        lang = entry.get("lang") or detect_language(text)
        meta = DocumentMeta(id=str(entry["_id"]), title=entry.get("title") or "",
                            language=lang, source=f"{beir.name}/corpus.jsonl")
        passages = split_document(text, find_structure(text, lang), lang, count_tokens,
                                  settings.budget, settings.overlap)
        for p in passages:
            p.doc_id = meta.id
        docs.append(Document(meta=meta, text=text, language=lang, passages=passages,
                             content_hash=hashlib.sha256(text.encode()).hexdigest()))
    return docs


def ensure_index(beir: BeirSet, work_dir: Path, embedder: Any, settings: BuildSettings,
                 progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Index a BEIR corpus (a no-op when its fingerprint is unchanged)."""
    index_dir = work_dir / beir.name
    docs = beir_documents(beir, embedder.count_tokens, settings)
    with build_lock(index_dir, wait=True):
        write_generation(docs, index_dir, embedder, settings, update=True, progress=progress)
    return index_dir


def ranked_docs(searcher: Searcher, query: str, mode: str) -> list[str]:
    """Document ids in rank order (a document ranks at its best passage)."""
    # No relevance floor: metrics need the full ranking to depth 100.
    result = searcher.search(SearchRequest(query=query, k=DEPTH * 2, mode=mode, floor=False))
    seen: dict[str, None] = {}
    for hit in result.hits:
        for doc_id in [hit.row["doc_id"], *(a["doc_id"] for a in hit.also_in)]:
            seen.setdefault(doc_id, None)
    return list(seen)[:DEPTH]


def evaluate_set(beir: BeirSet, index_dir: Path, embedder: Any, params: FusionParams,
                 modes: tuple[str, ...] = MODES,
                 on_query: Callable[[], None] | None = None) -> dict[str, Any]:
    """Metrics per mode, overall and per query language."""
    loaded = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(loaded, embedder, params)
    scores: dict[tuple[str, str], Scores] = defaultdict(Scores)
    searcher.prime_queries([q["text"] for q in beir.queries.values()])
    try:
        for qid, q in beir.queries.items():
            lang = q.get("lang") or detect_language(q["text"])
            for mode in modes:
                ranked = ranked_docs(searcher, q["text"], mode)
                scores[(mode, "all")].add(ranked, beir.qrels[qid])
                scores[(mode, lang)].add(ranked, beir.qrels[qid])
            if on_query:
                on_query()
    finally:
        loaded.close()
    out: dict[str, Any] = {"set": beir.name, "corpus": len(beir.corpus), "modes": {}}
    for (mode, lang), s in sorted(scores.items()):
        out["modes"].setdefault(mode, {})[lang] = s.summary()
    return out
