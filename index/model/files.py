"""Where a model lives on disk and what identifies its weights, found without the network
or the model libraries: a folder, the converted default, or the local Hugging Face cache."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from index.errors import ModelUnavailable
from ingest.digest import sha256_file
from index.model.convert import DEFAULT_MODEL_ID, ensure_default_model

FINGERPRINT_FILE = ".policykb-fingerprint.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def cached_snapshot(repo: str) -> Path | None:
    """A model already in the local Hugging Face cache, found on disk alone.

    Reads the cache layout (models--org--name/refs/main -> snapshots/<rev>) instead of
    calling the hub client, so resolving a name can never reach the network.
    """
    root = Path(os.environ.get("HF_HUB_CACHE") or Path(
        os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "hub")
    folder = root.expanduser() / f"models--{repo.replace('/', '--')}"
    try:
        revision = (folder / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    snapshot = folder / "snapshots" / revision
    return snapshot if snapshot.is_dir() else None


def resolve_model(model: str | Path | None) -> tuple[Path, str]:
    """Turn a model argument into (local folder, model id) without touching the network."""
    if model is None or str(model) == DEFAULT_MODEL_ID:
        return ensure_default_model(), DEFAULT_MODEL_ID
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve(), str(path.resolve())
    name = str(model)
    for repo in (name, f"sentence-transformers/{name}") if "/" not in name else (name,):
        folder = cached_snapshot(repo)
        if folder is not None:
            return folder, name
    raise ModelUnavailable(
        f"model {name!r} is neither a folder nor in the local Hugging Face cache: download it "
        f"on a connected machine (`hf download {name}`) or pass the model's folder path"
    )


def weights_fingerprint(folder: Path) -> str:
    """sha256 of the folder's weight file(s), cached by (size, mtime) in a small JSON file.

    Hashing ~470 MB takes a second or two; the index manifest needs it at every load.
    """
    files = sorted(p for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    if not files:
        raise ModelUnavailable(f"no weight files in {folder}: is it a sentence-transformers model?")
    cache_path = folder / FINGERPRINT_FILE
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    entries: dict[str, dict[str, Any]] = {}
    for file in files:
        rel, stat = file.relative_to(folder).as_posix(), file.stat()
        key = [stat.st_size, stat.st_mtime_ns]
        hit = cache.get(rel)
        sha = hit["sha256"] if hit and hit.get("stat") == key else sha256_file(file)
        entries[rel] = {"stat": key, "sha256": sha}
    if entries != cache:
        try:  # best effort: a read-only folder just means hashing again next time
            fd, tmp = tempfile.mkstemp(prefix=FINGERPRINT_FILE, dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh, indent=1)
            os.replace(tmp, cache_path)
        except OSError:
            pass
    if len(entries) == 1:
        return str(next(iter(entries.values()))["sha256"])
    lines = "".join(f"{rel} {e['sha256']}\n" for rel, e in entries.items())
    return hashlib.sha256(lines.encode()).hexdigest()
