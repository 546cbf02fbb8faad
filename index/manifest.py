"""What a generation's manifest records about how it was built (index.build writes it)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from index.model.protocol import Embedder
from index.query import lexical
from index.storage import writer
from index.storage.rows import PassageRow
from ingest.models import Document
from ingest.text.sentences import SPLITTER_VERSION
from ingest.version import __version__

if TYPE_CHECKING:
    from index.build import BuildSettings


def manifest_for(documents: list[Document], rows: list[PassageRow], gen_id: str,
                 embedder: Embedder, settings: BuildSettings, fingerprint: str,
                 kind: str) -> dict[str, Any]:
    by_lang: dict[str, int] = {}
    for r in rows:
        by_lang[r.language] = by_lang.get(r.language, 0) + 1
    return {
        "generation": gen_id,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {"id": embedder.model_id, "fingerprint": embedder.fingerprint,
                  "dim": embedder.dim, "normalized": True, "metric": "inner_product"},
        "splitter": {"budget_tokens": settings.budget, "overlap_tokens": settings.overlap,
                     "embed_context": settings.context,
                     "sentence_vectors": settings.sentence_vectors,
                     "sentence_splitter_version": SPLITTER_VERSION,
                     "lexical_analyzer_version": lexical.ANALYZER_VERSION},
        "vectors": {"kind": kind},
        "counts": {"documents": len(documents), "passages": len(rows), "by_language": by_lang},
        "corpus_fingerprint": fingerprint,
        "versions": {"policykb": __version__, **writer.library_versions()},
    }
