"""What `policykb status --backend milvus` shows: the served generation as Milvus holds it."""

from __future__ import annotations

from typing import Any

from index.storage import milvus_schema as ms
from index.storage.milvus_store import open_milvus_generation
from index.storage.milvus_writer import count


def milvus_status(client: Any, prefix: str, replicas: int | None = None) -> dict[str, Any]:
    """The alias, the collection it names, its manifest, and the row counts Milvus reports.

    Opening the generation checks its passage count against the manifest, as a server does.
    """
    loaded = open_milvus_generation(client, prefix, replicas=replicas)
    base, m = loaded.store.base, loaded.manifest
    generations = sorted({name for name in client.list_collections()
                          if name.startswith(prefix + "_")
                          and not any(name.endswith(p) for p in ms.PARTS[1:])})
    return {
        "backend": "milvus", "alias": prefix, "collection": base, "generation": loaded.id,
        "previous_collection": loaded.store.meta.get("previous"), "built_at": m["built_at"],
        "model": m["model"]["id"], "dimension": m["model"]["dim"],
        "vectors": m["vectors"]["kind"], "documents": m["counts"]["documents"],
        "passages": m["counts"]["passages"],
        "passages_by_language": m["counts"]["by_language"],
        "passages_by_document": loaded.store.passages_by_document(),
        "rows": {base + part: count(client, base + part) for part in ms.PARTS},
        "shards": client.describe_collection(base).get("num_shards"),
        "generations_in_milvus": generations, "manifest": m,
    }
