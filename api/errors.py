"""Error responses: our named exceptions as HTTP errors, and one 422 for bad input that
never echoes the input back.

FastAPI's default 422 repeats the rejected value. A lone surrogate, NaN or raw bytes
cannot be encoded as JSON, so the error about bad input became a 500; and a 100 KB query
came back whole. Here a 422 names the field (loc) and the rule (msg, type), each cut
short and escaped where not encodable, and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from index.errors import BuildLocked, IndexCorrupt, IndexNotFound, QueryError
from ingest.errors import PolicyKBError

ERROR_STATUS = {IndexNotFound: 503, IndexCorrupt: 503, QueryError: 422, BuildLocked: 409}
MAX_ERRORS = 10
MAX_TEXT = 120


def safe_text(value: Any, limit: int = MAX_TEXT) -> str:
    """`value` as text of at most `limit` characters that always encodes as UTF-8."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def describe(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error without its input or context (both may be the raw input)."""
    loc = [part if isinstance(part, int) else safe_text(part, 60)
           for part in error.get("loc", ())][:8]
    return {"loc": loc, "msg": safe_text(error.get("msg", "invalid")),
            "type": safe_text(error.get("type", "value_error"), 60)}


def validation_response(errors: list[dict[str, Any]]) -> JSONResponse:
    detail = [describe(e) for e in errors[:MAX_ERRORS]]
    return JSONResponse({"detail": detail}, status_code=422)


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(list(exc.errors()))

    @app.exception_handler(PolicyKBError)
    async def policykb_error(request: Request, exc: PolicyKBError) -> JSONResponse:
        status = next((s for t, s in ERROR_STATUS.items() if isinstance(exc, t)), 500)
        return JSONResponse({"detail": safe_text(str(exc), 500)}, status_code=status)
