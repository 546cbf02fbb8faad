"""Background reindex jobs: build or update in a thread, then swap the served generation.

Jobs are coordinated through the index directory, not process memory, so that every
server worker (`policykb serve --workers N`) sees the same jobs:

- `JOBS.lock`: an flock held by the worker running a job for as long as it runs; a second
  job, from any worker, is refused (409) while it is held. The kernel drops it if that
  worker dies, so a job record still saying "running" without the lock held is reported
  as failed.
- `jobs/<id>.json`: the job's record (stage, done/total, generation, error), replaced
  atomically as it progresses; any worker answers `GET /api/admin/jobs/<id>` from it.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.errors import BuildLocked
from index.model.protocol import Embedder
from index.storage.lock import HeldLock, build_lock, is_locked, take_lock

JOBS_LOCK = "JOBS.lock"
JOBS_DIR = "jobs"
KEEP_JOBS = 50  # records kept; older ones are removed when a job starts
WRITE_EVERY_S = 0.5  # progress is written at most this often (and at every stage change)
JOB_ID = re.compile(r"[0-9a-f]{12}")


class JobStore:
    """Job records as small JSON files in INDEX/jobs/, readable by every worker."""

    def __init__(self, index_dir: Path):
        self.dir = Path(index_dir) / JOBS_DIR
        self.lock_path = Path(index_dir) / JOBS_LOCK

    def write(self, job: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{job['id']}.{os.getpid()}.part"
        tmp.write_text(json.dumps(job), encoding="utf-8")
        os.replace(tmp, self.dir / f"{job['id']}.json")

    def read(self, job_id: str) -> dict[str, Any] | None:
        if not JOB_ID.fullmatch(job_id):
            return None
        try:
            job: dict[str, Any] = json.loads(
                (self.dir / f"{job_id}.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if job["state"] == "running" and not is_locked(self.lock_path):
            job.update(state="failed", error="the server worker running this job stopped")
        return job

    def prune(self) -> None:
        records = sorted(self.dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in records[: max(0, len(records) - KEEP_JOBS)]:
            old.unlink(missing_ok=True)


class JobRunner:
    """Runs one build/update at a time across all workers on this index directory."""

    def __init__(self, corpus_dir: Path, index_dir: Path, embedder: Embedder,
                 on_done: Callable[[], object]):
        self.corpus_dir, self.index_dir, self.embedder = corpus_dir, index_dir, embedder
        self.on_done = on_done
        self.store = JobStore(index_dir)

    def start(self, mode: str) -> dict[str, Any]:
        job_id = uuid.uuid4().hex[:12]
        held = take_lock(self.store.lock_path, job_id)
        if held is None:
            running = self.store.lock_path.read_text(encoding="utf-8").strip()
            raise BuildLocked(f"job {running or '?'} is still running")
        try:
            with build_lock(Path(self.index_dir)):  # refused now if a CLI build runs
                pass
            job: dict[str, Any] = {
                "id": job_id, "mode": mode, "state": "running", "stage": "starting",
                "done": 0, "total": 0, "generation": None, "error": None,
                "started_at": time.time(), "finished_at": None}
            self.store.prune()
            self.store.write(job)
        except BaseException:
            held.release()
            raise
        threading.Thread(target=self._run, args=(job, held), daemon=True,
                         name="reindex").start()
        return dict(job)

    def get(self, job_id: str) -> dict[str, Any] | None:
        return self.store.read(job_id)

    def _run(self, job: dict[str, Any], held: HeldLock) -> None:
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            changed = stage != job["stage"]
            job.update(stage=stage, done=done, total=total)
            if changed or time.monotonic() - last[0] >= WRITE_EVERY_S:
                last[0] = time.monotonic()
                self.store.write(job)

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
            self.store.write(job)  # the final record first, then others may start a job
            held.release()
