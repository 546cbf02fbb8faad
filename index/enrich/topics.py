"""Tag passages with taxonomy topics by keyword evidence confirmed by embedding similarity."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.text.normalize import normalize
from index.model.protocol import Embedder

LANGUAGES = ("zh", "en", "fa")
_AR = "\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"  # Arabic-script letters after normalize
_HAN = re.compile("[\u3400-\u9fff]")
_ARABIC = re.compile(f"[{_AR}]")
# Social security as a whole: the anchor that topic similarity is measured against (the
# last row of topic_vectors). Keywords that also describe the whole system ("多层次",
# "multi-level") are weak evidence for the one topic that lists them.
BACKGROUND = {
    "zh": "社会保障体系建设：覆盖全民、统筹城乡、公平统一、安全规范、可持续的多层次社会保障体系，"
          "以及社会保险经办管理、公共服务和法治建设。",
    "en": "Building the social security system as a whole: a multi-level system covering the "
          "entire population, fair, unified and sustainable, with social insurance "
          "administration, public services and the rule of law.",
    "fa": "توسعه کلی نظام امنیت اجتماعی: نظامی چند لایه، فراگیر، عادلانه، یکپارچه و پایدار، "
          "همراه با مدیریت و خدمات بیمه اجتماعی و قانونمندی.",
}


@dataclass(frozen=True)
class Topic:
    """One taxonomy entry (corpus/topics.json), texts keyed by language."""

    id: str
    labels: dict[str, str]
    descriptions: dict[str, str]
    keywords: dict[str, list[str]]


@dataclass(frozen=True)
class TopicParams:
    """Decision thresholds, tuned on benchmarks/data/topic_labels.jsonl (topic_precision.py).

    A passage's semantic score for a topic is `rel + background_weight * over_background`:
    `rel` is its cosine to the topic minus its mean cosine over all topics (raw e5 cosines
    sit in a narrow, text-dependent band), `over_background` its cosine to the topic minus
    its cosine to a description of social security as a whole, so an essay that merely
    surveys the system does not get every topic it names.
    """

    background_weight: float = 1.5
    keyword_weight: float = 0.03  # score added per unit of keyword evidence ...
    evidence_cap: float = 3.0  # ... up to this much evidence
    threshold: float = 0.06  # semantic score + keyword bonus needed, with >= 1 keyword hit
    alone: float = 0.08  # without keywords, only a clear semantic winner gets its topic ...
    alone_margin: float = 0.02  # ... beating the passage's runner-up topic by this much
    max_topics: int = 3


def load_topics(path: Path) -> list[Topic]:
    """Read the taxonomy: a JSON list of {id, labels, descriptions, keywords}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Topic(t["id"], dict(t.get("labels", {})), dict(t.get("descriptions", {})),
                  {k: list(v) for k, v in t.get("keywords", {}).items()}) for t in data]


def topic_vectors(topics: list[Topic], embedder: Embedder) -> np.ndarray:
    """(len(topics) + 1, dim) unit vectors: row i is topics[i], the mean of its
    "label. description" in each language; the last row is the BACKGROUND anchor.

    Embedded as passages (not queries) because they are compared with passage vectors;
    averaging the three languages keeps each vector language-neutral.
    """
    texts, owner = [], []
    for i, t in enumerate(topics):
        for lang in LANGUAGES:
            label, desc = t.labels.get(lang, ""), t.descriptions.get(lang, "")
            if label or desc:
                texts.append(f"{label}. {desc}".strip(". "))
                owner.append(i)
    texts.extend(BACKGROUND.values())
    owner.extend([len(topics)] * len(BACKGROUND))
    vecs = np.asarray(embedder.encode_passages(texts), dtype=np.float32)
    out = np.zeros((len(topics) + 1, vecs.shape[1]), dtype=np.float32)
    np.add.at(out, np.array(owner), vecs)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def keyword_weight(keyword: str) -> float:
    """Evidence of one (normalised) keyword hit: 0.5 for short terms ("护理", "rent",
    "فقر"), which also occur inside unrelated phrases, and for terms that describe the
    whole system (they occur in BACKGROUND); 1.0 otherwise."""
    if any(keyword in normalize(text) for text in BACKGROUND.values()):
        return 0.5
    if _HAN.search(keyword):
        return 1.0 if len(keyword) >= 3 else 0.5
    if re.search(f"[{_AR}]", keyword):
        return 1.0 if " " in keyword or len(keyword) >= 6 else 0.5
    return 1.0 if " " in keyword or "-" in keyword or len(keyword) >= 7 else 0.5


@dataclass
class KeywordIndex:
    """All topics' normalised keywords, looked up by first character: one pass over a
    passage finds every hit (a regex per keyword costs ~15 ms a passage, too slow at 100k)."""

    table: dict[str, list[tuple[int, float]]]  # keyword -> [(topic position, weight)]
    lengths: dict[str, list[int]]  # first character -> keyword lengths, longest first
    starts: re.Pattern[str]  # any first character
    n_topics: int


def compile_keywords(topics: list[Topic]) -> KeywordIndex:
    """Normalised, de-duplicated keywords of every topic (all languages)."""
    table: dict[str, list[tuple[int, float]]] = {}
    for t, topic in enumerate(topics):
        for key in {normalize(w).strip() for words in topic.keywords.values() for w in words}:
            if key:
                table.setdefault(key, []).append((t, keyword_weight(key)))
    lengths: dict[str, set[int]] = {}
    for key in table:
        lengths.setdefault(key[0], set()).add(len(key))
    return KeywordIndex(table, {c: sorted(ls, reverse=True) for c, ls in lengths.items()},
                        _starts_pattern(set(lengths)), len(topics))


def _starts_pattern(firsts: set[str]) -> re.Pattern[str]:
    """Where a keyword can start: a Han first character anywhere, a Latin or Persian one
    only at a word start (the lookbehind keeps the scan in C, not in a Python loop)."""
    def cls(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    latin = {c for c in firsts if c.isascii() and c.isalnum()}
    arabic = {c for c in firsts if _ARABIC.match(c)}
    other = firsts - latin - arabic
    parts = ([f"(?<![a-z0-9]){cls(latin)}"] if latin else []) + (
        [f"(?<![{_AR}]){cls(arabic)}"] if arabic else []) + ([cls(other)] if other else [])
    return re.compile("|".join(parts) or "(?!)")


def keyword_hits(text: str, index: KeywordIndex) -> list[tuple[int, int, str]]:
    """(start, end, keyword) of every keyword occurrence in normalised text. Han terms
    match anywhere; Latin terms as whole words (plural -s/-es allowed); Persian terms at a
    word start (suffixes such as ها / ان / ی attach to the word)."""
    hits = []
    for m in index.starts.finditer(text):
        i = m.start()
        for n in index.lengths[text[i]]:
            key = text[i : i + n]
            if key in index.table and _ends_word(text, i + n, key):
                hits.append((i, i + n, key))
    return hits


def _word_class(char: str) -> int:
    """1 Latin letter or digit, 2 Arabic-script letter, 0 anything else."""
    if char.isascii():
        return 1 if char.isalnum() else 0
    return 2 if _ARABIC.match(char) else 0


def _ends_word(text: str, end: int, key: str) -> bool:
    if _word_class(key[-1]) != 1:
        return True
    for suffix in ("", "s", "es"):
        after = end + len(suffix)
        if text.startswith(suffix, end) and (after >= len(text) or _word_class(text[after]) != 1):
            return True
    return False


def keyword_evidence(row: dict[str, Any], index: KeywordIndex) -> np.ndarray:
    """Per topic: summed weight of the distinct keywords found in the passage text or its
    heading path. A keyword only counts where no longer keyword of the same topic covers
    it ("基本养老保险" is one hit, not also "养老保险"), so nested synonyms do not pile up;
    a hit in the heading path counts once more (the whole section is about it)."""
    out = np.zeros(index.n_topics, dtype=np.float32)
    for source in (row.get("text", ""), " / ".join(row.get("path") or [])):
        by_topic: dict[int, list[tuple[int, int, str, float]]] = {}
        for s, e, k in keyword_hits(normalize(source), index) if source else []:
            for t, w in index.table[k]:
                by_topic.setdefault(t, []).append((s, e, k, w))
        for t, mine in by_topic.items():
            counted: set[str] = set()
            for s, e, k, w in mine:
                inside = any(a <= s and e <= b and kk != k for a, b, kk, _ in mine)
                if k not in counted and not inside:
                    counted.add(k)
                    out[t] += w
    return out


def assign_topics(rows: list[dict[str, Any]], vecs: np.ndarray, topics: list[Topic],
                  topic_vecs: np.ndarray, params: TopicParams | None = None
                  ) -> list[list[str]]:
    """Topic ids for each passage (best first, at most params.max_topics, possibly none).

    A topic is given when the passage names it (a keyword in its text or heading path)
    and the vector agrees, or, with no keyword, when the vector clearly picks it.

    Args:
        rows: dicts with "text" and "path" (heading path list). The document title is not
            matched: a law's title would tag all its articles alike.
        vecs: (n, dim) unit passage vectors, row-aligned with rows.
        topics, topic_vecs: from load_topics / topic_vectors (background row last).
    """
    p = params or TopicParams()
    if not rows:
        return []
    semantic = semantic_scores(np.asarray(vecs, dtype=np.float32), topic_vecs, p)
    matchers = compile_keywords(topics)
    return [_decide(semantic[i], keyword_evidence(row, matchers), topics, p)
            for i, row in enumerate(rows)]


def semantic_scores(vecs: np.ndarray, topic_vecs: np.ndarray, p: TopicParams) -> np.ndarray:
    """(n, T) centred topic similarity plus the margin over the background anchor."""
    sims = vecs @ topic_vecs[:-1].T  # (n, T) matrix product: cheap even at 100k rows
    over_background = sims - (vecs @ topic_vecs[-1])[:, None]
    return sims - sims.mean(axis=1, keepdims=True) + p.background_weight * over_background


def _decide(semantic: np.ndarray, evidence: np.ndarray, topics: list[Topic], p: TopicParams
            ) -> list[str]:
    score = semantic + p.keyword_weight * np.minimum(evidence, p.evidence_cap)
    chosen = (evidence > 0) & (score >= p.threshold)
    order = np.argsort(-semantic)
    best = order[0]
    runner_up = semantic[order[1]] if len(order) > 1 else -np.inf
    if semantic[best] >= p.alone and semantic[best] - runner_up >= p.alone_margin:
        chosen[best] = True
    ranked = sorted(np.flatnonzero(chosen), key=lambda t: -score[t])
    return [topics[t].id for t in ranked[: p.max_topics]]
