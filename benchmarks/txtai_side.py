"""txtai's side of benchmarks/bench_workers.py: a txtai index of the same passages with the
same vectors, and the txtai API config that serves it with the same model.

Usage (in a Python environment with txtai, which policykb does not depend on):
    python benchmarks/txtai_side.py INDEX_GENERATION_DIR OUT_DIR MODEL_DIR

Embedding 100k passages again on 2 cores would take hours, so the index is built from the
vectors policykb stored (read back from its FAISS file) through txtai's "external"
vectors method; the saved config is then pointed at the model folder with the
sentence-transformers method, so the API embeds each query with the same model (with
E5's "query: " prefix) and searches the same vectors. Everything else (ANN backend and
parameters, content store) is txtai's default with `content: true`.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import faiss
import numpy as np


def our_passages(gen_dir: Path) -> tuple[list[int], list[str], np.ndarray]:
    """(ids, texts, vectors) of a policykb generation, vectors in the same order."""
    conn = sqlite3.connect(f"file:{gen_dir / 'store.sqlite'}?mode=ro", uri=True)
    rows = conn.execute("SELECT id, text FROM passages ORDER BY id").fetchall()
    conn.close()
    index = faiss.read_index(str(gen_dir / "vectors.faiss"))
    ids = [r[0] for r in rows]
    vectors = np.vstack([index.reconstruct(i) for i in ids]).astype(np.float32)
    return ids, [r[1] for r in rows], vectors


def build(gen_dir: Path, out: Path, model_dir: Path) -> None:
    from txtai import Embeddings

    ids, texts, vectors = our_passages(gen_dir)
    by_text = {t: v for t, v in zip(texts, vectors)}

    def lookup(batch: list[str]) -> np.ndarray:
        return np.vstack([by_text[t] for t in batch])

    started = time.perf_counter()
    embeddings = Embeddings(method="external", transform=lookup, content=True, backend="faiss")
    embeddings.index([(i, t, None) for i, t in zip(ids, texts)])
    embeddings.save(str(out / "index"))
    config_file = out / "index" / "config.json"
    config = json.loads(config_file.read_text())
    config.pop("transform", None)
    config.update(method="sentence-transformers", path=str(model_dir),
                  instructions={"query": "query: ", "data": "passage: "})
    config_file.write_text(json.dumps(config, indent=2))
    # The `embeddings` key switches the search routes on; the saved index's config wins.
    (out / "api.yml").write_text(f"path: {out / 'index'}\nwritable: false\nembeddings:\n"
                                 f"  path: {model_dir}\n  content: true\n")
    print(f"txtai index of {len(ids)} passages in {time.perf_counter() - started:.0f} s: "
          f"{config.get('backend')} {config.get('faiss', '')}")


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
