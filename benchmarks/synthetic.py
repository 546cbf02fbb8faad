"""A synthetic index of N passages for latency benchmarks, built without embedding N texts.

Passages are sentences of the shipped corpus recombined at random; their vectors are the
real embeddings of the source passages plus small noise (so neighbourhoods look like real
ones). The vectors are put in the build's embedding cache first, so the real build path
(store, FTS5, FAISS choice, manifest, verification) runs unchanged and embeds nothing.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import numpy as np

from index.build import CACHE_FILE, BuildSettings, embed_text, write_generation
from index.storage.lock import build_lock
from index.storage.cache import EmbeddingCache, text_key
from ingest.manifest import load_manifest
from ingest.models import Document, DocumentMeta, Passage
from ingest.pipeline import ingest_path

REPO = Path(__file__).resolve().parents[1]
SENTENCE = re.compile(r"[^。！？.!?؟\n]+[。！？.!?؟]?")


def corpus_sentences(embedder) -> tuple[list[tuple[str, str]], list[np.ndarray]]:
    """(language, sentence) pairs of the shipped corpus and their passage's real vector."""
    report = ingest_path(REPO / "corpus", embedder.count_tokens,
                         manifest=load_manifest(REPO / "corpus"))
    passages = [p for d in report.documents for p in d.passages]
    vecs = embedder.encode_passages([p.text for p in passages])
    out, out_vecs = [], []
    for p, v in zip(passages, vecs):
        for s in SENTENCE.findall(p.text):
            if len(s.strip()) > 8:
                out.append((p.language, s.strip()))
                out_vecs.append(v)
    return out, out_vecs


def build_synthetic(index_dir: Path, n: int, embedder, seed: int = 0) -> None:
    """Build a generation of `n` synthetic passages at `index_dir` (reused if present)."""
    if (index_dir / "CURRENT").exists():
        return
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    sentences, svecs = corpus_sentences(embedder)
    docs, cache_items = [], []
    # Sentence vectors are not cached for synthetic texts: clauses fall back to
    # term matching, which is also what a passage without sentence vectors gets.
    settings = BuildSettings(sentence_vectors=False)
    for i in range(n):
        picks = [rng.randrange(len(sentences)) for _ in range(rng.randint(2, 5))]
        lang = sentences[picks[0]][0]
        text = " ".join(sentences[j][1] for j in picks) + f" [{i}]"
        vec = np.mean([svecs[j] for j in picks], axis=0) + nrng.normal(0, 0.02, svecs[0].shape)
        vec = (vec / np.linalg.norm(vec)).astype(np.float32)
        meta = DocumentMeta(id=f"syn-{i}", title=f"Synthetic {i // 50}", language=lang,
                            doc_type=rng.choice(["law", "regulation", "local rule", "article"]))
        passage = Passage(meta.id, 0, text, 0, len(text), lang, [], 0)
        docs.append(Document(meta, text, lang, [passage],
                             hashlib.sha256(text.encode()).hexdigest()))
        key_text = embed_text(text, meta.title, [], settings.context)
        cache_items.append((text_key(embedder.fingerprint, key_text), vec))
    cache = EmbeddingCache(index_dir / CACHE_FILE, embedder.dim)
    cache.put_many(cache_items)
    cache.close()
    with build_lock(index_dir):
        write_generation(docs, index_dir, embedder, settings)
