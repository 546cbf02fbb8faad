"""Build and update index generations: ingest, embed (cached), write, verify, switch.

The build writes a complete generation beside the current one and switches CURRENT only
after verifying it, under a lock so two builds never run at once. `update` reuses passage
ids and cached embeddings, so only new or changed passages are embedded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from index.storage import generation as gen
from index.query import lexical
from index.query.language_axes import axes_for, manifest_entry, remove_axes
from index.storage import schema, vectors, writer
from index.storage.cache import EmbeddingCache, embed_spans_with_cache
from index.enrich.run import enrich_passages, passage_spans
from index.changes import Changes, compare_documents
from index.manifest import manifest_for
from index.snapshot import files_fingerprint, record_files, recorded_files
from index.storage.rows import (PassageRow, document_rows, passage_rows, previous_documents,
                                previous_ids, sentence_rows)
from ingest.text.sentences import SPLITTER_VERSION
from ingest.manifest import load_manifest
from ingest.models import Document, Skipped
from ingest.pipeline import INGEST_VERSION, ingest_path
from ingest.split import DEFAULT_BUDGET, DEFAULT_OVERLAP
from ingest.errors import PolicyKBError
from index.storage.lock import build_lock
from index.model.protocol import Embedder

# progress(stage, done, total): each stage is reported at its start (done 0) and as it
# advances, in order: read (files; total 0 = unknown), embed, analyse, write, verify.
Progress = Callable[[str, int, int], None]
CACHE_FILE = "cache/embeddings.sqlite"


@dataclass
class BuildSettings:
    """Everything besides the corpus and the model that changes what a build produces."""

    budget: int = DEFAULT_BUDGET
    overlap: int = DEFAULT_OVERLAP
    # What is prepended to a passage for embedding: "none" | "title". "none": a title line
    # makes a document's passages alike, which breaks cross-language parallel linking
    # (000<->002 seeds: 1 of 5 linked with titles, 5 of 5 without; index/enrich.py).
    context: str = "none"
    vector_kind: str = "auto"
    sentence_vectors: bool = True  # per-sentence vectors for clause selection
    # Remove language identity from vectors (query/language_axes.py). Opt-in: it lifts
    # cross-language retrieval but the relevance floors were calibrated without it.
    language_axes: bool = field(default_factory=lambda: os.environ.get(
        "POLICYKB_LANGUAGE_AXES", "") in ("1", "true", "yes"))
    topics_file: str | None = None  # taxonomy (corpus/topics.json) for topic tagging


@dataclass
class BuildResult:
    generation: str | None
    n_documents: int = 0
    n_passages: int = 0
    n_embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    up_to_date: bool = False
    changes: Changes = field(default_factory=Changes)


def cache_path(index_dir: Path, shared: Path | None = None) -> Path:
    """The embedding cache: env POLICYKB_EMBED_CACHE, else `shared` (evaluation sets share
    one across sets), else beside the generations."""
    return Path(os.environ.get("POLICYKB_EMBED_CACHE") or shared or index_dir / CACHE_FILE)


def embed_text(passage_text: str, title: str, heading_path: list[str], context: str) -> str:
    """What the model reads for a passage: optionally its document title as context."""
    if context == "title" and title:
        return f"{title}\n{passage_text}"
    return passage_text


def corpus_fingerprint(documents: list[Document], model_fp: str, settings: BuildSettings) -> str:
    """A hash of everything a generation is made from; equal fingerprints mean nothing to do."""
    digest = hashlib.sha256(model_fp.encode())
    fields = asdict(settings)
    topics = fields.pop("topics_file")  # its content matters, not where the corpus lives
    digest.update(json.dumps(fields, sort_keys=True).encode())
    digest.update(f"lexical {lexical.ANALYZER_VERSION} sentences {SPLITTER_VERSION} "
                  f"store {schema.SCHEMA_VERSION} ingest {INGEST_VERSION}".encode())
    if topics and Path(topics).is_file():
        digest.update(Path(topics).read_bytes())
    for doc in sorted(documents, key=lambda d: d.meta.id):
        digest.update(json.dumps(asdict(doc.meta), sort_keys=True, ensure_ascii=False).encode())
        digest.update(doc.content_hash.encode())
    return digest.hexdigest()


def build_index(corpus_dir: Path, index_dir: Path, embedder: Embedder, *, update: bool = False,
                settings: BuildSettings | None = None, progress: Progress | None = None,
                wait: bool = False, use_cache: bool = True) -> BuildResult:
    """Build (or, with update=True, refresh) the index of a corpus folder.

    Returns the result; raises PolicyKBError subclasses for conditions the user can fix.
    """
    settings = settings or BuildSettings()
    if settings.topics_file is None and (Path(corpus_dir) / "topics.json").is_file():
        settings = replace(settings, topics_file=str(Path(corpus_dir) / "topics.json"))
    started = time.perf_counter()
    with build_lock(Path(index_dir), wait):
        gen.clean_leftovers(Path(index_dir))
        files_fp = files_fingerprint(Path(corpus_dir),
                                     corpus_fingerprint([], embedder.fingerprint, settings))
        if update and files_fp and files_fp == recorded_files(Path(index_dir)):
            return unchanged(Path(index_dir), started)  # no file changed: read nothing
        files = [0]

        def on_file(*_: Any) -> None:
            files[0] += 1
            if progress:
                progress("read", files[0], 0)

        if progress:
            progress("read", 0, 0)
        report = ingest_path(Path(corpus_dir), embedder.count_tokens,
                             manifest=load_manifest(Path(corpus_dir)),
                             budget=settings.budget, overlap=settings.overlap, on_file=on_file)
        if not report.documents:
            raise PolicyKBError(f"nothing ingested from {corpus_dir}: see the skipped files above")
        ingest_s = time.perf_counter() - started
        changes = compare_documents(report.documents, previous_documents(Path(index_dir)))
        result = write_generation(report.documents, Path(index_dir), embedder, settings,
                                  update=update, progress=progress, use_cache=use_cache)
        if files_fp and not report.skipped:  # a skipped file is reported at every update
            record_files(Path(index_dir), result.generation, files_fp)
    result.skipped, result.changes = report.skipped, changes
    result.timings.update(ingest=ingest_s, **report.seconds)
    result.seconds = time.perf_counter() - started
    return result


def current_fingerprint(index_dir: Path) -> str | None:
    gen_id = gen.current_generation_id(index_dir)
    try:
        return gen.read_manifest(index_dir / gen_id).get("corpus_fingerprint") if gen_id else None
    except PolicyKBError:
        return None


def unchanged(index_dir: Path, started: float) -> BuildResult:
    """The result of an update that found every file as the current generation has it."""
    gen_id = gen.current_generation_id(index_dir)
    counts = gen.read_manifest(index_dir / str(gen_id))["counts"]
    names = sorted(src for src, _ in previous_documents(index_dir).values())
    return BuildResult(gen_id, counts["documents"], counts["passages"], 0, up_to_date=True,
                       changes=Changes(unchanged=names),
                       seconds=time.perf_counter() - started)


def write_generation(documents: list[Document], index_dir: Path, embedder: Embedder,
                     settings: BuildSettings, *, update: bool = False,
                     progress: Progress | None = None, use_cache: bool = True,
                     shared_cache: Path | None = None) -> BuildResult:
    """Write, verify and switch to a new generation made of `documents` (lock held by caller)."""
    fingerprint = corpus_fingerprint(documents, embedder.fingerprint, settings)
    if update and fingerprint == current_fingerprint(index_dir):
        return BuildResult(gen.current_generation_id(index_dir), len(documents),
                           sum(len(d.passages) for d in documents), 0, up_to_date=True)
    gen_id = gen.new_generation_id()
    tmp = index_dir / (gen.TMP_PREFIX + gen_id)
    tmp.mkdir(parents=True)
    try:
        result = _write(documents, index_dir, tmp, gen_id, embedder, settings, fingerprint,
                        update, progress, use_cache, shared_cache)
        t0 = time.perf_counter()
        if progress:
            progress("verify", 0, 1)
        gen.open_generation(tmp, gen_id, embedder.model_id, embedder.dim).close()
        if progress:
            progress("verify", 1, 1)
        result.timings["verify"] = time.perf_counter() - t0
        os.rename(tmp, index_dir / gen_id)
        gen.fsync_path(index_dir)
        gen.set_current(index_dir, gen_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    gen.clean_leftovers(index_dir)
    return result


def _embed(rows: list[PassageRow], sentence: list[list[tuple[int, int]]], index_dir: Path,
           embedder: Embedder, settings: BuildSettings, progress: Progress | None,
           use_cache: bool, shared_cache: Path | None = None
           ) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Passage vectors and sentence vectors of the `sentence` spans, cached where possible."""
    texts, spans = [], []
    for r, sp in zip(rows, sentence):
        text = embed_text(r.text, r.title, r.heading_path, settings.context)
        shift = len(text) - len(r.text)  # the title line comes first
        texts.append(text)
        spans.append([(s + shift, e + shift) for s, e in sp])
    cache = (EmbeddingCache(cache_path(index_dir, shared_cache), embedder.dim) if use_cache
             else None)
    done = [0]
    if progress:
        progress("embed", 0, len(texts))

    def tick(n: int) -> None:
        done[0] += n
        if progress:
            progress("embed", done[0], len(texts))

    try:
        return embed_spans_with_cache(texts, spans, embedder.fingerprint, embedder.dim,
                                      embedder.encode_passages_with_spans, cache,
                                      on_progress=tick,
                                      lengths=[r.n_tokens for r in rows])
    finally:
        if cache:
            cache.close()


def _write(documents: list[Document], index_dir: Path, tmp: Path, gen_id: str, embedder: Embedder,
           settings: BuildSettings, fingerprint: str, update: bool,
           progress: Progress | None, use_cache: bool, shared_cache: Path | None
           ) -> BuildResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rows = passage_rows(documents, previous_ids(index_dir) if update else {})
    # Lexical analysis (jieba, pure Python) runs in a thread while the model embeds: the
    # forward pass releases the GIL and leaves gaps on the cores between its kernels.
    spans = passage_spans(rows) if settings.sentence_vectors else [[] for _ in rows]
    with ThreadPoolExecutor(1, thread_name_prefix="analyse") as pool:
        lex = pool.submit(_analyse, rows)
        vecs, sent_vecs, n_embedded = _embed(rows, spans, index_dir, embedder, settings,
                                             progress, use_cache, shared_cache)
        timings["embed"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if progress:
            progress("analyse", 0, len(rows))
        lex_texts, timings["lexical"] = lex.result()  # its own seconds, beside the embedding
    columns = enrich_passages(rows, vecs, sent_vecs, embedder,
                              Path(settings.topics_file) if settings.topics_file else None)
    records = [r.record(text, group, links, topics) for r, text, group, links, topics
               in zip(rows, lex_texts, columns.dup_group, columns.parallels, columns.topics)]
    # Duplicates, parallels and topics above were calibrated on the model's own vectors; what
    # is stored (and searched) has the language axes removed, as queries will.
    axes = axes_for(embedder.fingerprint, embedder.encode_queries) if settings.language_axes \
        else None
    vecs, sent_vecs = remove_axes(vecs, axes), [remove_axes(v, axes) for v in sent_vecs]
    sentences = sentence_rows(rows, spans, sent_vecs)
    timings["analyse"] = time.perf_counter() - t0
    if progress:
        progress("analyse", len(rows), len(rows))
        progress("write", 0, len(rows))
    t0 = time.perf_counter()
    db = writer.create_store(tmp / gen.STORE_FILE)
    writer.write_documents(db, document_rows(documents))
    writer.write_passages(db, records)
    writer.write_sentences(db, sentences)
    writer.write_meta(db, {"generation": gen_id})
    writer.finish_store(db)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    index = vectors.build_vector_index(vecs, ids, settings.vector_kind)
    vectors.write_vector_index(index, tmp / gen.VECTORS_FILE)
    timings["write"] = time.perf_counter() - t0
    if progress:
        progress("write", len(rows), len(rows))
    manifest = manifest_for(documents, rows, gen_id, embedder, settings, fingerprint,
                            vectors.index_kind(index))
    if axes is not None:
        manifest["language_axes"] = manifest_entry(axes)
    gen.write_manifest(tmp, manifest)
    return BuildResult(gen_id, len(documents), len(rows), n_embedded, timings=timings)


def _analyse(rows: list[PassageRow]) -> tuple[list[str], float]:
    """Lexical index text of every passage (jieba), and the seconds it took."""
    t0 = time.perf_counter()
    texts = [lexical.index_text(r.title, " ".join(r.heading_path), r.text) for r in rows]
    return texts, time.perf_counter() - t0
