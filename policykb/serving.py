"""`policykb serve`: one process, or N worker processes on one socket, and "ready" once
the socket answers."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import click


def run_serve(index_dir: Path, corpus: Path, model: str | None, host: str, port: int,
              workers: int) -> None:
    """Serve until interrupted; with workers > 1 each worker reads the options from the
    POLICYKB_* environment, so they are put there first (CLI options win, as with one)."""
    from api.server import configure_logging, run_workers, server_config
    from api.settings import Settings

    configure_logging()
    os.environ.update(POLICYKB_INDEX_DIR=str(index_dir.resolve()),
                      POLICYKB_CORPUS_DIR=str(corpus.resolve()))
    if model is None:
        os.environ.pop("POLICYKB_MODEL", None)
    else:
        os.environ["POLICYKB_MODEL"] = model
    settings = Settings()
    plural = f" in {workers} worker processes" if workers > 1 else ""
    click.echo(f"policykb: loading the model and {index_dir}{plural} ...", err=True)
    if workers > 1:
        # Each worker's OpenMP pools (the query engine, FAISS) would otherwise each start one
        # thread per core: N workers on the same cores then oversubscribe them.
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
        stop = threading.Event()
        announce_when_answering(host, port, workers, stop.is_set)
        try:
            run_workers(settings, host, port, workers)
        finally:
            stop.set()
        return
    import uvicorn

    from api.main import create_app

    server = uvicorn.Server(server_config(create_app(settings), settings, host, port))
    announce_when_answering(host, port, 1, lambda: server.should_exit)
    server.run()


def announce_when_answering(host: str, port: int, workers: int,
                            stopped: Callable[[], bool]) -> None:
    """Say "answering" once /api/health answers, and "ready" once it says the model and
    dictionaries are warm (status "ok"), or answers 503 (no index: nothing to warm). With N
    workers, the first one ready answers; the others take connections as they finish."""
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/api/health"

    def wait() -> None:
        answering = False
        while not stopped():
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    warm = json.loads(response.read()).get("status") != "warming"
            except urllib.error.HTTPError:
                warm = True  # answered, with an error status
            except (OSError, ValueError):
                time.sleep(0.1)
                continue
            if not answering:
                click.echo(f"policykb: answering on http://{host}:{port}/, warming up ...",
                           err=True)
                answering = True
            if warm:
                workers_note = f" ({workers} workers)" if workers > 1 else ""
                click.echo(f"policykb: ready on http://{host}:{port}/{workers_note}")
                return
            time.sleep(0.1)

    threading.Thread(target=wait, daemon=True).start()
