"""What an update changed: documents added, changed, removed and kept, by source path."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.models import Document


@dataclass
class Changes:
    """Documents (by source path) compared with the generation that was current before."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def compare_documents(documents: list[Document], before: dict[str, tuple[str, str]]
                      ) -> Changes:
    """What an update adds, changes (text), removes and keeps, by document id."""
    changes = Changes()
    for doc in documents:
        old = before.get(doc.meta.id)
        name = doc.meta.source or doc.meta.id
        bucket = (changes.added if old is None else
                  changes.unchanged if old[1] == doc.content_hash else changes.changed)
        bucket.append(name)
    current = {doc.meta.id for doc in documents}
    changes.removed = sorted(src for doc_id, (src, _) in before.items() if doc_id not in current)
    return changes
