"""Which storage backend serves an index: the factory behind the storage seam.

"local" (the default, no extra install) is a directory of SQLite + FAISS generations with
a CURRENT pointer (index/storage/generation.py). "milvus" is a Milvus deployment, or a
Milvus Lite file when the URI is a local path, with an alias naming the served generation
(index/storage/milvus_store.py). Settings come from the CLI's options or the environment:
POLICYKB_BACKEND, POLICYKB_MILVUS_URI, POLICYKB_MILVUS_TOKEN, POLICYKB_MILVUS_DB,
POLICYKB_MILVUS_PREFIX, POLICYKB_MILVUS_SHARDS, POLICYKB_MILVUS_REPLICAS.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.errors import IndexNotFound
from index.storage import generation as gen
from index.storage.lock import build_lock
from index.storage.protocol import ServedGeneration

BACKENDS = ("local", "milvus")
_clients: dict[tuple[str, str | None, str | None], Any] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True)
class BackendConfig:
    """Where generations live. `index_dir` is always used: a Milvus build stages its
    local generation there (and keeps the embedding cache) before publishing it."""

    name: str = "local"
    index_dir: Path = Path("var/index")
    milvus_uri: str | None = None
    milvus_token: str | None = None
    milvus_db: str | None = None
    milvus_prefix: str = "policykb"
    # Passed to Milvus when a build creates a generation's collections (num_shards) and when
    # they are loaded (replica_number); None leaves Milvus's defaults. Milvus Lite ignores both.
    milvus_shards: int | None = None
    milvus_replicas: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.name not in BACKENDS:
            raise ValueError(f"unknown backend {self.name!r}: choose one of {BACKENDS}")
        if self.name == "milvus" and not self.milvus_uri:
            raise ValueError("the milvus backend needs a URI: --milvus-uri or "
                             "POLICYKB_MILVUS_URI (a local path means Milvus Lite)")

    @classmethod
    def from_env(cls, index_dir: Path, **overrides: Any) -> BackendConfig:
        """Settings from POLICYKB_* variables; `overrides` that are not None win."""
        env: dict[str, Any] = {"name": os.environ.get("POLICYKB_BACKEND", "local"),
               "milvus_uri": os.environ.get("POLICYKB_MILVUS_URI"),
               "milvus_token": os.environ.get("POLICYKB_MILVUS_TOKEN"),
               "milvus_db": os.environ.get("POLICYKB_MILVUS_DB"),
               "milvus_prefix": os.environ.get("POLICYKB_MILVUS_PREFIX", "policykb"),
               "milvus_shards": _env_int("POLICYKB_MILVUS_SHARDS"),
               "milvus_replicas": _env_int("POLICYKB_MILVUS_REPLICAS")}
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(index_dir=Path(index_dir), **env)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def milvus_client(config: BackendConfig) -> Any:
    """One client per (uri, token, db) per process; Milvus Lite allows one per file."""
    from index.storage import milvus_schema

    key = (str(config.milvus_uri), config.milvus_token, config.milvus_db)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = milvus_schema.connect(*key)
        return _clients[key]


@contextmanager
def _milvus_errors(config: BackendConfig) -> Iterator[None]:
    """Milvus's own errors (server down, collection gone) as a PolicyKBError the API keeps
    serving through and the CLI prints in one line."""
    from index.storage.milvus_schema import milvus

    try:
        yield
    except milvus().MilvusException as exc:
        raise IndexNotFound(f"Milvus at {config.milvus_uri}: {exc.message}") from None


def current_id(config: BackendConfig) -> str | None:
    """The id of the generation being served now, None when there is none."""
    if config.name == "local":
        return gen.current_generation_id(config.index_dir)
    with _milvus_errors(config):
        return _milvus_current_id(config)


def _milvus_current_id(config: BackendConfig) -> str | None:
    from index.storage import milvus_schema as ms

    client = milvus_client(config)
    base = ms.served_collection(client, config.milvus_prefix)
    return None if base is None else ms.meta_value(client, base, "generation",
                                                   config.milvus_replicas)


def load(config: BackendConfig, gen_id: str | None = None, model_id: str | None = None,
         dim: int | None = None) -> Any:
    """Open and verify the served generation (or `gen_id`, local only); it has close()."""
    if config.name == "local":
        return gen.load_generation(config.index_dir, gen_id, model_id, dim)
    from index.storage.milvus_store import open_milvus_generation

    # Milvus serves what the alias names; if it moved since `gen_id` was read, the newer
    # generation is the one to serve anyway.
    with _milvus_errors(config):
        loaded: ServedGeneration = open_milvus_generation(
            milvus_client(config), config.milvus_prefix, model_id, dim,
            replicas=config.milvus_replicas)
    return loaded


def publish(config: BackendConfig, gen_id: str | None = None, progress: Any = None) -> str:
    """Copy the local generation `gen_id` (CURRENT by default) to Milvus and switch to it."""
    from index.storage.milvus_writer import publish as publish_to

    gen_id = gen_id or gen.current_generation_id(config.index_dir)
    if gen_id is None:
        raise IndexNotFound(f"no local generation in {config.index_dir} to publish")
    # Under the build lock: two publishes from this index never interleave their drops.
    with build_lock(config.index_dir, wait=True):
        local = gen.load_generation(config.index_dir, gen_id)
        try:
            return publish_to(local, milvus_client(config), config.milvus_prefix, progress,
                              shards=config.milvus_shards, replicas=config.milvus_replicas)
        finally:
            local.close()


def for_index(config: BackendConfig, index_dir: Path, name: str) -> BackendConfig:
    """`config` for another local index (an evaluation set), under its own alias."""
    return replace(config, index_dir=Path(index_dir),
                   milvus_prefix=re.sub(r"\W", "_", f"{config.milvus_prefix}_{name}"))


def milvus_status(config: BackendConfig) -> dict[str, Any]:
    """The served Milvus generation: alias, collection, manifest and row counts."""
    from index.storage.milvus_status import milvus_status as describe

    with _milvus_errors(config):
        return describe(milvus_client(config), config.milvus_prefix, config.milvus_replicas)
