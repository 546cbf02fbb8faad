"""Lexical analysis shared by indexing and querying: normalise, then segment.

Chinese runs go through jieba's search mode (words plus their sub-words, so 养老保险
also matches 养老 and 保险); Persian and English use the shared normaliser's words. The
FTS5 table stores these tokens space-separated, and queries are rebuilt from tokens as
quoted strings, so user input is never parsed as FTS5 syntax.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from functools import lru_cache
from pathlib import Path

import jieba

from index.query import jieba_map
from index.query.stem_fa import stem_fa
from ingest.text.normalize import normalize

jieba.setLogLevel(logging.WARNING)

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN_RUN = re.compile(rf"([{HAN}]+)|([^\W_{HAN}]+)")
PERSIAN_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff]")
MAX_QUERY_TOKENS = 64
# Bump when the tokens change: it is part of the corpus fingerprint, so `update` rebuilds an
# index whose FTS5 text an older analyser wrote. (Indexing the join of adjacent Persian
# words, so "چند ستونی" finds "چندستونی", was measured and dropped: parsinlu-fa hybrid
# nDCG@10 0.866 -> 0.860, lexical 0.754 -> 0.737; rare joined tokens such as "دراین"
# outweighed real matches in BM25. Highlights and clause choice still accept the spaced form.)
# 2: Persian words are stemmed (index/query/stem_fa.py: plurals, ezafe, pronouns, verb
# prefixes), so a plural finds its singular (parsinlu-fa, README "Retrieval quality").
ANALYZER_VERSION = 2

# Very frequent function words: they add nothing but noise to an OR query.
STOPWORDS = frozenset(
    "the of and a an to in is are be for on by with as at or that this it from which we our "
    "what how who when where why do does should can shall will must not no its their "
    "的 了 是 在 和 与 及 或 等 也 都 就 而 之 其 对 于 以 为 中 有 吗 呢 什么 怎么 如何 哪些 是否 "
    "و در به از که این را با است برای آن یک تا بر هم یا ها های شود می باید چه چگونه آیا".split()
)


def _segment(text: str) -> list[str]:
    out: list[str] = []
    for match in TOKEN_RUN.finditer(text):
        han, word = match.groups()
        if han:
            out.extend(t for t in jieba.cut_for_search(han) if t.strip())
        elif PERSIAN_LETTER.match(word):
            out.append(stem_fa(word))
        else:
            out.append(word)
    return out


def analyze(text: str) -> list[str]:
    """Tokens of `text` as the FTS index sees them (normalised, segmented)."""
    return _segment(normalize(text))


def index_text(*parts: str) -> str:
    """The FTS5 document for a passage: its analysed parts, space-joined."""
    if not isinstance(jieba.dt.FREQ, dict):
        full_dictionary()
    return " ".join(tok for part in parts if part for tok in _segment(normalize(part)))


@lru_cache(maxsize=4096)
def query_terms(query: str) -> tuple[str, ...]:
    """Distinct content terms of a user query (stopwords dropped unless nothing else is left)."""
    tokens = list(dict.fromkeys(analyze(query)))
    content = [t for t in tokens if t not in STOPWORDS]
    return tuple((content or tokens)[:MAX_QUERY_TOKENS])


def fts_query(terms: tuple[str, ...] | list[str]) -> str | None:
    """An FTS5 MATCH expression that ORs the terms as quoted strings; None when empty."""
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


_map_lock = threading.Lock()


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policykb"


def _default_dictionary() -> Path | None:
    """jieba's own dict.txt, unless a custom dictionary was set (then: None, no mapping)."""
    if jieba.dt.dictionary not in (None, jieba.DEFAULT_DICT):
        return None
    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def warm_up() -> None:
    """Load jieba's dictionary for queries now rather than inside the first search: the
    memory-mapped copy (index/query/jieba_map.py) when written, else jieba's own, writing
    the mapped copy for the next process."""
    with _map_lock:
        if jieba.dt.initialized:
            return
        source = _default_dictionary()
        folder = jieba_map.map_folder(source, _cache_root()) if source else None
        mapped = jieba_map.load_map(folder) if folder else None
        if mapped is not None:
            with jieba.dt.lock:
                if not jieba.dt.initialized:
                    jieba.dt.FREQ, jieba.dt.total = mapped
                    jieba.dt.initialized = True
            return
        jieba.initialize()
        if folder is not None:
            try:
                jieba_map.write_map(folder, jieba.dt.FREQ, jieba.dt.total)
            except OSError as exc:  # read-only home: the next process loads jieba's own
                logging.getLogger(__name__).warning("cannot write %s: %s", folder, exc)


def full_dictionary() -> None:
    """Put jieba's own dict back in place of the mapped one: a build looks up millions of
    strings and a server keeps answering, and segmenting with the binary search took ~4x
    as long (the 2,667 eval queries, twice each: 21 s against 5 s, under load)."""
    with jieba.dt.lock:
        if isinstance(jieba.dt.FREQ, dict):
            return
        own = jieba.Tokenizer(jieba.dt.dictionary)
        own.tmp_dir = jieba.dt.tmp_dir
        own.initialize()
        jieba.dt.FREQ, jieba.dt.total = own.FREQ, own.total


def _use_cache_folder() -> None:
    """jieba's marshal cache beside ours rather than in /tmp, which may be cleaned."""
    try:
        _cache_root().mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(_cache_root())
    except OSError:
        pass


_use_cache_folder()
