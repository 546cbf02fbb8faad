"""Admin routes: start a rebuild or update in the background and follow its progress."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from api.deps import admin_allowed, context
from api.schemas import Job, ReindexBody
from index.errors import BuildLocked

router = APIRouter(tags=["admin"], dependencies=[Depends(admin_allowed)])


@router.post("/api/admin/reindex", response_model=Job, status_code=202)
def reindex(request: Request, body: ReindexBody | None = None) -> dict:
    """Start `build` or `update` (default) of the configured corpus; returns the job."""
    try:
        return context(request).jobs.start((body or ReindexBody()).mode)
    except BuildLocked as exc:
        raise HTTPException(409, detail=str(exc)) from None


@router.get("/api/admin/jobs/{job_id}", response_model=Job)
def job_status(request: Request, job_id: str) -> dict:
    """Progress of a reindex job (stage, done/total, resulting generation or error)."""
    job = context(request).jobs.get(job_id)
    if job is None:
        raise HTTPException(404, detail=f"no job {job_id!r}")
    return job
