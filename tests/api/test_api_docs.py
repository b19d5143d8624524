"""/docs and /redoc work on a closed network: every script, style sheet and icon they load comes from the
app itself, answers 200 with a body of the right type, and no reference names another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from ledger.settings import Settings
from ledger_api import api_docs
from ledger_api.main import create_app

# What each kind of reference must be served as.
EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class _References(HTMLParser):
    """Collects every ``src=`` and ``href=`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.found


@pytest.fixture(scope="module")
def client() -> TestClient:
    missing = api_docs.missing_assets()
    assert not missing, f"{missing} missing from {api_docs.ASSETS_DIR}: run `make install`"
    # No `with`: the lifespan (chain, database) is not needed to serve the pages.
    return TestClient(create_app(Settings()))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_page_loads_only_assets_served_by_the_app(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    references = _references(response.text)
    assert references, f"{page} references no asset"
    external = [ref for ref in references if urlsplit(ref).scheme or urlsplit(ref).netloc]
    assert not external, f"{page} loads from other hosts: {external}"
    assert not re.findall(r"https?://", response.text), f"{page} names a URL of another host"
    for ref in references:
        asset = client.get(ref)
        assert asset.status_code == 200, f"{page} → {ref}: {asset.status_code}"
        assert asset.content, f"{page} → {ref}: empty body"
        kind = EXPECTED_TYPES[ref[ref.rfind(".") :]]
        assert kind in asset.headers["content-type"], f"{ref}: {asset.headers['content-type']}"


def test_docs_page_points_at_the_openapi_document(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        assert "/openapi.json" in client.get(page).text
    assert client.get("/openapi.json").json()["info"]["title"] == "PortLedger API"


def test_docs_pages_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/docs", "/redoc"} & set(paths)
