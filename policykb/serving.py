"""`policykb serve`: one process, or N worker processes on one socket, and "ready" once
the socket answers."""

from __future__ import annotations

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
    """Print "ready" once /api/health answers at all (200, or 503 without an index): only
    then are the model and the index loaded. With N workers, the first one ready answers;
    the others take connections as they finish loading."""
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/api/health"

    def wait() -> None:
        while not stopped():
            try:
                urllib.request.urlopen(url, timeout=2).close()
            except urllib.error.HTTPError:
                pass  # answered, with an error status
            except OSError:
                time.sleep(0.1)
                continue
            workers_note = f" ({workers} workers)" if workers > 1 else ""
            click.echo(f"policykb: ready on http://{host}:{port}/{workers_note}")
            return

    threading.Thread(target=wait, daemon=True).start()
