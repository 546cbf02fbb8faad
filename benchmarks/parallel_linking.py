"""Precision and recall of index.enrich.parallels.link_parallels on NTREX (en/fa/zh translations).

Usage: python -m benchmarks.parallel_linking [--cosines 0.8,0.85] [--gaps 0,0.01] [--corpus-check]

Every English query sentence and every Persian and Chinese corpus sentence of
/work/shared/eval/ntrex-xling is one passage in its own document; `enN`, `faN` and `zhN`
translate each other. Precision = correct links / links made; recall = true en-fa, en-zh
and fa-zh pairs linked / all such pairs among the texts. Vectors are cached in
var/cache/ntrex_vectors.npy (keyed by the model fingerprint and the text list; a
.json beside it holds the key), the corpus check's in var/cache/corpus_vectors.npy.
--corpus-check also reports how many passages of the English seed article 000 link to
their Persian translation in article 002 of the shipped corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
NTREX = REPO.parent / "shared" / "eval" / "ntrex-xling"
CACHE = REPO / "var" / "cache" / "ntrex_vectors.npy"
CORPUS_CACHE = REPO / "var" / "cache" / "corpus_vectors.npy"
SENTENCE_CACHE = REPO / "var" / "cache" / "corpus_sentence_vectors.npy"
LATE_CACHE = REPO / "var" / "cache" / "corpus_late_chunks.npz"
_NUM = re.compile(r"\d+$")


def load_ntrex(root: Path) -> list[dict[str, Any]]:
    """en queries then fa/zh corpus sentences, as rows with id/doc_id/language/text/key."""
    texts = []
    for name in ("queries.jsonl", "corpus.jsonl"):
        for line in (root / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line))
    return [{"id": i, "doc_id": t["_id"], "language": t["lang"], "text": t["text"],
             "key": _NUM.search(t["_id"]).group()} for i, t in enumerate(texts)]


def cached_vectors(texts: list[str], embedder: Any, path: Path) -> np.ndarray:
    """Embed as passages once; reuse while the model and the texts are the same."""
    digest = hashlib.sha256(embedder.fingerprint.encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    stamp = path.with_suffix(".json")
    if path.is_file() and stamp.is_file() and json.loads(stamp.read_text())["key"] == digest.hexdigest():
        return np.load(path)
    vecs = embedder.encode_passages(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    stamp.write_text(json.dumps({"key": digest.hexdigest(), "n": len(texts)}))
    return vecs


def score_links(rows: list[dict[str, Any]], links: list[list[int]]) -> dict[str, float]:
    """Precision over links made; recall over all true cross-language pairs present."""
    by_id = {r["id"]: r for r in rows}
    made = {(min(r["id"], j), max(r["id"], j))
            for r, js in zip(rows, links, strict=True) for j in js}
    correct = sum(1 for a, b in made if by_id[a]["key"] == by_id[b]["key"])
    langs: dict[str, set[str]] = {}
    for r in rows:
        langs.setdefault(r["key"], set()).add(r["language"])
    true_pairs = sum(len(ls) * (len(ls) - 1) // 2 for ls in langs.values())
    return {"links": len(made), "correct": correct, "true_pairs": true_pairs,
            "precision": correct / len(made) if made else 1.0,
            "recall": correct / true_pairs if true_pairs else 1.0}


# The last sections of seed article 002 (fa) translate seed article 000 (en) paragraph by
# paragraph; 002 stops at the heading of 000's last section ("توسعه و"), so that one has no
# counterpart. English heading (first passage: none) -> Persian heading.
SEED_PAIRS = {
    "": "درک دقیق روابط کلیدی",
    "Goal-driven and problem-oriented approaches": "رویکردهای هدفمند و مشکلگرا",
    "Systemic integration and key priorities": "یکپارچگی سیستماتیک و اولویتهای کلیدی",
    "Unified standards and innovative explorations": "استانداردهای متحد و اکتشافات نوآورانه",
    "Formulating policies and providing management and services":
        "تدوین سیاست و ارائه مدیریت و خدمات",
    "Development and secure performance": None,
}


def corpus_rows(embedder: Any) -> tuple[list[dict[str, Any]], np.ndarray]:
    """All passages of the shipped corpus, embedded the way the build embeds them."""
    from index.build import embed_text
    from ingest.manifest import load_manifest
    from ingest.pipeline import ingest_path

    corpus = REPO / "corpus"
    report = ingest_path(corpus, embedder.count_tokens, manifest=load_manifest(corpus))
    rows = [{"id": 0, "doc_id": doc.meta.id, "language": p.language, "text": p.text,
             "title": doc.meta.title, "path": p.heading_path, "ordinal": p.ordinal,
             "source": doc.meta.source} for doc in report.documents for p in doc.passages]
    for i, r in enumerate(rows):
        r["id"] = i
    texts = [embed_text(r["text"], r["title"], r["path"], "title") for r in rows]
    return rows, cached_vectors(texts, embedder, CORPUS_CACHE)


def corpus_check(embedder: Any, params: Any) -> None:
    """Print how many passages of seed article 000 (en) link to the right passage of 002,
    linking the whole corpus the way the build would (see the report in index/parallels)."""
    from index.enrich.duplicates import duplicate_groups
    from index.enrich.parallels import content_vectors, link_parallels
    from ingest.text.sentences import sentence_spans

    rows, vecs = corpus_rows(embedder)
    # Every sentence of every passage (single-sentence passages too: the vectors must be
    # free of the title context the passage vectors carry), embedded on its own.
    spans = [sentence_spans(r["text"], r.get("language") or "und") for r in rows]
    svecs = cached_vectors([r["text"][s:e] for r, sp in zip(rows, spans) for s, e in sp],
                           embedder, SENTENCE_CACHE)
    by_row = sentence_vectors_by_row(spans, svecs, vecs)
    groups = duplicate_groups(rows, vecs)
    late = late_chunks(rows, embedder)
    variants = {
        "passage vectors (title context), as build vectors": link_parallels(
            rows, vecs, params, groups),
        "late-chunked sentence vectors of title-free passages": link_parallels(
            rows, content_vectors(late), params, groups, sentence_vecs=late),
        "separately embedded title-free sentences": link_parallels(
            rows, content_vectors(by_row), params, groups, sentence_vecs=by_row)}
    for name, links in variants.items():
        print(f"\n{name}:")
        _report_seed_links(rows, links)


def sentence_vectors_by_row(spans: list[list[tuple[int, int]]], sentence_vecs: np.ndarray,
                            passage_vecs: np.ndarray) -> list[np.ndarray]:
    """Row-aligned (m_i, dim) sentence vectors, in text order (`sentence_vecs` holds every
    row's sentences in row order); a row without sentences gets its passage vector."""
    ends = np.cumsum([len(sp) for sp in spans], dtype=np.int64)
    return [sentence_vecs[e - len(sp) : e] if sp else passage_vecs[i : i + 1]
            for i, (sp, e) in enumerate(zip(spans, ends, strict=True))]


def late_chunks(rows: list[dict[str, Any]], embedder: Any) -> list[np.ndarray]:
    """Per passage: sentence vectors pooled from one title-free forward pass (late
    chunking, Embedder.encode_passages_with_spans); single-sentence passages get the
    passage vector. Cached in var/cache/corpus_late_chunks.npz."""
    from ingest.text.sentences import sentence_spans

    spans = [sp if len(sp := sentence_spans(r["text"], r["language"])) > 1 else []
             for r in rows]
    digest = hashlib.sha256(embedder.fingerprint.encode())
    for r in rows:
        digest.update(r["text"].encode("utf-8") + b"\0")
    path = LATE_CACHE.with_name(f"{LATE_CACHE.stem}-{digest.hexdigest()[:16]}.npz")
    if not path.is_file():
        passage, sentences = embedder.encode_passages_with_spans([r["text"] for r in rows],
                                                                 spans)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, passage=passage, flat=np.concatenate(sentences),
                 counts=np.array([len(x) for x in sentences]))
    data = np.load(path)
    ends = np.cumsum(data["counts"])
    return [data["flat"][e - n : e] if n else data["passage"][i : i + 1]
            for i, (n, e) in enumerate(zip(data["counts"], ends, strict=True))]


def _report_seed_links(rows: list[dict[str, Any]], links: list[list[int]]) -> None:
    right = wrong = expected = 0
    for r in (r for r in rows if r["source"].startswith("articles/000_")):
        want = SEED_PAIRS.get(r["path"][-1] if r["path"] else "")
        expected += want is not None
        for j in links[r["id"]]:
            other = rows[j]
            ok = other["source"].startswith("articles/002_") and other["path"][-1:] == [want]
            right, wrong = right + ok, wrong + (not ok)
            print(f"  000#{r['ordinal']} -> {other['doc_id']}#{other['ordinal']} "
                  f"{'right' if ok else 'WRONG'}: {other['text'][:40]!r}")
    n_links = sum(len(ls) for ls in links) // 2
    print(f"  000 -> 002: {right} of {expected} translatable passages linked right, "
          f"{wrong} wrong links; {n_links} links in the whole corpus ({len(rows)} passages)")


def orphaned(rows: list[dict[str, Any]], vecs: np.ndarray
             ) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The same texts minus the fa and zh translations of every second English sentence:
    in a real corpus most passages have no translation, and those must stay unlinked."""
    en_keys = sorted({r["key"] for r in rows if r["language"] == "en"}, key=int)
    drop = set(en_keys[::2])
    keep = [i for i, r in enumerate(rows) if r["language"] == "en" or r["key"] not in drop]
    return [dict(rows[i], id=n) for n, i in enumerate(keep)], vecs[keep]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cosines", default="", help="comma list of min_score values")
    parser.add_argument("--gaps", default="", help="comma list of min_gap values")
    parser.add_argument("--corpus-check", action="store_true", help="also link 000 <-> 002")
    args = parser.parse_args()

    from index.model.embed import Embedder
    from index.enrich.parallels import ParallelParams, link_parallels

    embedder = Embedder()
    rows = load_ntrex(NTREX)
    started = time.perf_counter()
    vecs = cached_vectors([r["text"] for r in rows], embedder, CACHE)
    print(f"{len(rows)} texts, vectors in {time.perf_counter() - started:.1f} s")
    base = ParallelParams()
    cosines = [float(c) for c in args.cosines.split(",") if c] or [base.min_score]
    gaps = [float(g) for g in args.gaps.split(",") if g] or [base.min_gap]
    for name, (rs, vs) in (("all translations present", (rows, vecs)),
                           ("half the English sentences orphaned", orphaned(rows, vecs))):
        print(f"\n{name}: {len(rs)} texts")
        print(f"{'min_score':>9} {'gap':>6} {'links':>6} {'correct':>7} {'true':>6} "
              f"{'precision':>9} {'recall':>6}")
        for cos in cosines:
            for gap in gaps:
                s = score_links(rs, link_parallels(rs, vs, replace(base, min_score=cos,
                                                                    min_gap=gap)))
                print(f"{cos:9.3f} {gap:6.3f} {s['links']:6d} {s['correct']:7d} "
                      f"{s['true_pairs']:6d} {s['precision']:9.3f} {s['recall']:6.3f}")
    if args.corpus_check:
        corpus_check(embedder, base)


if __name__ == "__main__":
    main()
