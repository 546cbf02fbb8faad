"""Background reindex jobs: build or update in a thread, then swap the served generation."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.errors import BuildLocked
from index.model.protocol import Embedder


class JobRunner:
    """Runs one build/update at a time and remembers the last jobs' progress."""

    def __init__(self, corpus_dir: Path, index_dir: Path, embedder: Embedder,
                 on_done: Callable[[], object]):
        self.corpus_dir, self.index_dir, self.embedder = corpus_dir, index_dir, embedder
        self.on_done = on_done
        self.jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._running: str | None = None

    def start(self, mode: str) -> dict[str, Any]:
        with self._lock:
            if self._running:
                raise BuildLocked(f"job {self._running} is still running")
            job_id = uuid.uuid4().hex[:12]
            job: dict[str, Any] = {
                "id": job_id, "mode": mode, "state": "running", "stage": "starting",
                "done": 0, "total": 0, "generation": None, "error": None,
                "started_at": time.time(), "finished_at": None}
            self.jobs[job_id] = job
            self._running = job_id
        threading.Thread(target=self._run, args=(job,), daemon=True, name="reindex").start()
        return dict(job)

    def get(self, job_id: str) -> dict[str, Any] | None:
        job = self.jobs.get(job_id)
        return dict(job) if job else None

    def _run(self, job: dict[str, Any]) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            job.update(stage=stage, done=done, total=total)

        from index.build import build_index  # the readers and splitters: only for a job

        try:
            result = build_index(self.corpus_dir, self.index_dir, self.embedder,
                                 update=job["mode"] == "update", progress=progress)
            job.update(state="done", generation=result.generation)
            self.on_done()
        except Exception as exc:  # a failed build leaves the old generation serving
            job.update(state="failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            job["finished_at"] = time.time()
            with self._lock:
                self._running = None
