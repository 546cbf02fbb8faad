"""Issue 17: `policykb serve --workers N`. Several processes answer, all of them switch to
a new generation, and admin jobs are one at a time and visible from every worker (their
state lives in the index directory: api/jobs.py). A real `serve` in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.jobs import JOBS_LOCK, JobRunner, JobStore
from index.errors import BuildLocked
from tests.fixtures_index import REPO, free_port

ADMIN = "admin-key-for-worker-tests"


@pytest.fixture(scope="module")
def index_copy(fixture_index, tmp_path_factory) -> Path:
    """A private copy of the fixture index: these tests write new generations into it."""
    dest = tmp_path_factory.mktemp("workers") / "index"
    shutil.copytree(fixture_index, dest)
    return dest


@pytest.fixture(scope="module")
def two_workers(index_copy, fixture_corpus, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("serve-log") / "stderr.txt"
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", POLICYKB_ADMIN_KEY=ADMIN,
               POLICYKB_RELOAD_POLL_S="0.2", POLICYKB_WORKERS="2",
               POLICYKB_SEARCHES_IN_FLIGHT_PER_CLIENT="16")
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from policykb.cli import main; main()", "serve", "--index",
             str(index_copy), "--corpus", str(fixture_corpus), "--port", str(port)],
            env=env, cwd=index_copy.parent, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        line = proc.stdout.readline()  # blocks until "ready"
        assert "ready" in line and "2 workers" in line, log.read_text()[-2000:]
        base = f"http://127.0.0.1:{port}"
        seen = until(lambda: len(workers_seen(base, "/api/health")) == 2, 120)
        assert seen, f"only one worker answered: {log.read_text()[-2000:]}"
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def workers_seen(base: str, path: str, rounds: int = 16, **kw) -> dict[str, httpx.Response]:
    """Responses by worker (X-Worker) to `rounds` concurrent requests, each on its own
    connection, so that the kernel hands them to whichever worker accepts first."""
    def one(_: int) -> httpx.Response:
        return httpx.get(base + path, timeout=30, **kw)

    with ThreadPoolExecutor(8) as pool:
        return {r.headers["x-worker"]: r for r in pool.map(one, range(rounds))}


def all_workers_serve(base: str, generation: str) -> bool:
    answers = workers_seen(base, "/api/health")
    return len(answers) == 2 and all(r.json()["generation"] == generation
                                     for r in answers.values())


def test_both_workers_answer_searches(two_workers):
    answers = workers_seen(two_workers, "/api/search", rounds=24, params={"q": "pension"})
    assert len(answers) == 2, "one worker took every search"
    for r in answers.values():
        assert r.status_code == 200 and r.json()["hits"]
    health = workers_seen(two_workers, "/api/health")
    assert {str(r.json()["worker"]) for r in health.values()} == set(health)


def test_a_job_runs_once_and_every_worker_sees_it_and_its_generation(two_workers):
    keys = {"X-Admin-Key": ADMIN}
    started = httpx.post(two_workers + "/api/admin/reindex", json={"mode": "update"},
                         headers=keys, timeout=30)
    second = httpx.post(two_workers + "/api/admin/reindex", json={"mode": "update"},
                        headers=keys, timeout=30)
    assert started.status_code == 202, started.text
    job = started.json()
    path = f"/api/admin/jobs/{job['id']}"
    answers = workers_seen(two_workers, path, headers=keys)
    assert len(answers) == 2 and all(r.json()["id"] == job["id"] for r in answers.values())
    final = finished(two_workers, job["id"])
    assert final["state"] == "done", final
    if second.status_code != 409:  # on a busy machine it may arrive after the first ended
        assert second.status_code == 202, second.text
        assert second.json()["started_at"] >= final["finished_at"], "two jobs at once"
        final = finished(two_workers, second.json()["id"])
    assert until(lambda: all_workers_serve(two_workers, final["generation"]), 30)


def finished(base: str, job_id: str) -> dict:
    keys = {"X-Admin-Key": ADMIN}
    path = f"{base}/api/admin/jobs/{job_id}"
    assert until(lambda: httpx.get(path, headers=keys).json()["state"] != "running", 120)
    return httpx.get(path, headers=keys).json()


def test_a_build_by_another_process_is_served_by_every_worker(two_workers, index_copy,
                                                             fixture_corpus, embedder):
    from index.build import build_index

    result = build_index(fixture_corpus, index_copy, embedder, wait=True)
    assert until(lambda: all_workers_serve(two_workers, result.generation), 30)


def test_one_job_at_a_time_across_runners_and_a_dead_workers_job(index_copy, fixture_corpus,
                                                                  embedder):
    """Two runners stand for two workers: the lock and the records are files, not memory."""
    a = JobRunner(fixture_corpus, index_copy, embedder, on_done=lambda: None)
    b = JobRunner(fixture_corpus, index_copy, embedder, on_done=lambda: None)
    job = a.start("build")
    with pytest.raises(BuildLocked, match=job["id"]):
        b.start("update")
    assert b.get(job["id"])["state"] == "running"
    assert until(lambda: b.get(job["id"])["state"] != "running", 120)
    assert b.get(job["id"])["state"] == "done"
    # A record left "running" by a worker that died (its lock went with it) reads as failed.
    JobStore(index_copy).write(dict(job, id="0123456789ab"))
    assert not (index_copy / JOBS_LOCK).read_text() == "0123456789ab"
    assert b.get("0123456789ab")["state"] == "failed"
    assert b.get("../CURRENT") is None
