"""The served index: one generation at a time, swapped atomically, retired when idle.

A request takes a reference to the current (generation, searcher) pair at its start and
uses only that, so every response comes from one generation even while a swap happens.
The old generation is closed only when its last in-flight request has finished.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.storage import backends
from index.storage.backends import BackendConfig
from index.query.search import Searcher
from ingest.errors import PolicyKBError
from index.errors import IndexNotFound
from index.model.protocol import Embedder

log = logging.getLogger("policykb.api")


@dataclass
class Served:
    generation: Any  # a ServedGeneration with close(): local or Milvus (storage factory)
    searcher: Searcher
    users: int = 0
    retired: bool = False


class IndexState:
    """Holds the served generation; `reload()` swaps to CURRENT if it changed and verifies."""

    def __init__(self, index_dir: Path, embedder: Embedder, backend: BackendConfig | None = None):
        self.index_dir = Path(index_dir)
        self.backend = backend or BackendConfig(index_dir=self.index_dir)
        self.embedder = embedder
        self.error: str | None = None
        self._served: Served | None = None
        self._lock = threading.Lock()
        self._last_check = 0.0

    def reload(self) -> bool:
        """Load CURRENT if it differs from what is served; keep serving the old one on error."""
        try:
            gen_id = backends.current_id(self.backend)
        except PolicyKBError as exc:  # Milvus not answering: keep serving what we have
            self.error = str(exc)
            return False
        if gen_id is None:
            if self._served is None:
                self.error = f"no index at {self.index_dir}: run `policykb build corpus/`"
            return False
        if self._served and self._served.generation.id == gen_id:
            return False
        try:
            loaded = backends.load(self.backend, gen_id, self.embedder.model_id,
                                   self.embedder.dim)
        except PolicyKBError as exc:
            self.error = str(exc)
            log.error("refusing generation %s: %s", gen_id, exc)
            return False
        self._swap(Served(loaded, Searcher(loaded, self.embedder)))
        self.error = None
        log.info("now serving generation %s (%s passages)", gen_id,
                 loaded.manifest.get("counts", {}).get("passages", "?"))
        return True

    def maybe_reload(self, every_s: float) -> None:
        """Cheap periodic check for a generation built by another process (CLI build)."""
        now = time.monotonic()
        if now - self._last_check >= every_s:
            self._last_check = now
            self.reload()

    def _swap(self, new: Served) -> None:
        with self._lock:
            old, self._served = self._served, new
            if old:
                old.retired = True
                if old.users == 0:
                    old.generation.close()

    @contextmanager
    def use(self) -> Iterator[Served]:
        """The current generation for the duration of one request."""
        with self._lock:
            served = self._served
            if served is None:
                raise IndexNotFound(self.error or "no valid index loaded")
            served.users += 1
        try:
            yield served
        finally:
            with self._lock:
                served.users -= 1
                if served.retired and served.users == 0:
                    served.generation.close()

    def close(self) -> None:
        with self._lock:
            if self._served:
                self._served.generation.close()
                self._served = None
