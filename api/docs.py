"""The API description (/openapi.json) and Swagger UI (/docs), served offline.

FastAPI's /docs loads Swagger UI from a CDN and starts it with an inline script; our CSP
(script-src 'self') blocks both, so the page stayed blank. Here the Swagger UI files come
from the fastapi-offline package (Apache-2.0 Swagger UI, see its licence) and the start-up
code is a same-origin script. All of it needs the search key when one is set.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from api.deps import key_allowed

import fastapi_offline

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>policykb API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body></html>
"""
INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"
});
"""

router = APIRouter(include_in_schema=False, dependencies=[Depends(key_allowed)])


ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


@router.get("/openapi.json")
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> Response:
    if name == "init.js":
        return Response(INIT, media_type="text/javascript")
    if name not in ASSETS:
        raise HTTPException(404, detail="no such file")
    return FileResponse(ASSETS_DIR / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})
