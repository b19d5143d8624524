"""The interactive API pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served with their assets.

FastAPI's own pages load Swagger UI, ReDoc, a favicon and fonts from public hosts, so on a closed network
they come up empty. Here the pages point at ``/static/docs/``, a folder inside this package that
``make install`` fills from the pinned npm packages in ``scripts/api_docs`` (the files are not committed).
Nothing here reaches outside the node. The pages are not part of the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "docs"
ASSETS_URL = "/static/docs"

# The files the two pages load; `make install` copies exactly these (see the Makefile).
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
FAVICON = "favicon-32x32.png"
REDOC_JS = "redoc.standalone.js"
ASSETS = (SWAGGER_JS, SWAGGER_CSS, FAVICON, REDOC_JS)


def missing_assets() -> list[str]:
    """The asset files absent from the package folder (empty once `make install` has run)."""
    return [name for name in ASSETS if not (ASSETS_DIR / name).is_file()]


def install(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mount the assets and add the two pages to ``app`` (built with ``docs_url=None, redoc_url=None``)."""
    # check_dir=False: an app built before `make install` still starts; its pages then miss their scripts.
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR, check_dir=False), name="api-docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/{SWAGGER_JS}",
            swagger_css_url=f"{ASSETS_URL}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{ASSETS_URL}/{FAVICON}",
            # Swagger UI would otherwise send the document to a public validator for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redoc_url, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — ReDoc",
            redoc_js_url=f"{ASSETS_URL}/{REDOC_JS}",
            redoc_favicon_url=f"{ASSETS_URL}/{FAVICON}",
            with_google_fonts=False,
        )
