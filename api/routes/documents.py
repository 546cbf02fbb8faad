"""Documents and passages: browse the corpus and open a hit in context."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from api.deps import context, search_allowed
from api.schemas import DocumentDetail, DocumentList, PassageDetail
from index.query.present import parallel_refs

router = APIRouter(tags=["documents"], dependencies=[Depends(search_allowed)])


@router.get("/api/documents", response_model=DocumentList)
def list_documents(request: Request) -> dict:
    """Every document with its metadata and passage count."""
    with context(request).state.use() as served:
        rows = served.generation.store.documents()
        for r in rows:
            r["passages"] = r.pop("n_passages")
        return {"count": len(rows), "generation": served.generation.id, "documents": rows}


@router.get("/api/documents/{doc_id}", response_model=DocumentDetail)
def get_document(request: Request, doc_id: str = Path(max_length=200)) -> dict:
    """The cleaned text of a document, its metadata, and its passages with offsets."""
    with context(request).state.use() as served:
        store = served.generation.store
        doc = store.document(doc_id)
        if doc is None:
            raise HTTPException(404, detail=f"no document {doc_id!r}")
        doc["passages"] = store.document_passages(doc_id)
        doc["generation"] = served.generation.id
        return doc


@router.get("/api/passages/{passage_id}", response_model=PassageDetail)
def get_passage(request: Request, passage_id: int = Path(ge=0, le=2**62)) -> dict:
    """One passage with its neighbours and its parallels in other languages."""
    with context(request).state.use() as served:
        store = served.generation.store
        row = store.passages([passage_id]).get(passage_id)
        if row is None:
            raise HTTPException(404, detail=f"no passage {passage_id}")
        position = (row["doc_id"], row["ordinal"])
        prev_id, next_id = store.neighbours([position])[position]
        return dict(row, prev_id=prev_id, next_id=next_id,
                    parallels=parallel_refs(row["parallels"], store.passages(row["parallels"])),
                    generation=served.generation.id)
