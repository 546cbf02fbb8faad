"""Retrieval evaluation on BEIR-format sets: lexical, dense and hybrid side by side.

Each set's corpus goes through the product's own pipeline (split, embed, FAISS + FTS5
generation) into its own index directory, so the numbers measure what staff get. The
embedding cache and the corpus fingerprint make a repeated run skip the embedding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.build import CACHE_FILE, BuildSettings, write_generation
from index.evaluation.beir import BeirSet
from index.evaluation.metrics import DEPTH, Scores
from index.model.protocol import Embedder
from index.query.fusion import FusionParams
from index.query.request import SearchRequest
from index.query.search import Searcher
from index.storage import backends
from index.storage.backends import BackendConfig
from index.storage.lock import build_lock
from ingest.language import detect_language
from ingest.models import Document, DocumentMeta
from ingest.pipeline import document_from_text

MODES = ("lexical", "dense", "hybrid")
# Eval sets need no clause selection or topics: only what ranking uses.
EVAL_SETTINGS = BuildSettings(sentence_vectors=False)


def beir_documents(beir: BeirSet, count_tokens: Callable[[str], int],
                   settings: BuildSettings) -> list[Document]:
    """BEIR corpus entries as documents, split by the product's own splitter."""
    docs = []
    for entry in beir.corpus:
        text = entry.get("text") or ""
        if not text.strip():
            continue
        meta = DocumentMeta(id=str(entry["_id"]), title=entry.get("title") or "",
                            language=entry.get("lang") or detect_language(text),
                            source=f"{beir.name}/corpus.jsonl")
        docs.append(document_from_text(text, meta, count_tokens, settings.budget,
                                       settings.overlap))
    return docs


def ensure_index(beir: BeirSet, work_dir: Path, embedder: Embedder, settings: BuildSettings,
                 progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Index a BEIR corpus (a no-op when its fingerprint is unchanged)."""
    index_dir = work_dir / beir.name
    docs = beir_documents(beir, embedder.count_tokens, settings)
    with build_lock(index_dir, wait=True):
        # One cache for all sets: stard-zh and stard-xling share a corpus, embedded once.
        write_generation(docs, index_dir, embedder, settings, update=True, progress=progress,
                         shared_cache=work_dir / CACHE_FILE)
    return index_dir


def ranked_docs(searcher: Searcher, query: str, mode: str) -> list[str]:
    """Document ids in rank order (a document ranks at its best passage)."""
    # No relevance floor: metrics need the full ranking to depth 100.
    req = SearchRequest.model_validate({"q": query, "mode": mode})
    pool = searcher.result_set(req, depth=DEPTH * 2, floor=False)
    seen: dict[str, None] = {}
    for hit in pool[: DEPTH * 2]:
        for doc_id in [hit.row["doc_id"], *(a["doc_id"] for a in hit.also_in)]:
            seen.setdefault(doc_id, None)
    return list(seen)[:DEPTH]


def evaluate_set(beir: BeirSet, index_dir: Path, embedder: Embedder, params: FusionParams,
                 modes: tuple[str, ...] = MODES,
                 on_query: Callable[[], None] | None = None,
                 crosslingual: bool = True, backend: BackendConfig | None = None
                 ) -> dict[str, Any]:
    """Metrics per mode, overall and per query language (`crosslingual=False`: the query's
    own terms only, as before cross-lingual lexical evidence). With a Milvus `backend` the
    set's generation is published there (alias `<prefix>_<set>`) and searched there."""
    config = backends.for_index(backend or BackendConfig(), index_dir, beir.name)
    if config.name != "local":
        backends.publish(config)
    loaded = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
    searcher = Searcher(loaded, embedder, params, crosslingual=crosslingual)
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
