"""The published surface: the error catalogue (table ↔ docs ↔ contract errors), OpenAPI with an
example for every body, /docs, health, readiness and metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger_api.errors_table import (
    SERVICE_ERRORS,
    contract_codes_from_artifacts,
    contract_status,
    render_markdown,
    status_for,
)
from tests.api.conftest import Api

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api" / "errors.md"


def test_the_published_error_catalogue_is_rendered_from_the_table(artifacts_built: Path) -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(contract_codes_from_artifacts()), (
        "docs/api/errors.md is stale: run `python -m ledger_api.errors_table > docs/api/errors.md`"
    )


def test_every_contract_error_is_a_409_or_422_and_service_codes_are_unique(artifacts_built: Path) -> None:
    codes = contract_codes_from_artifacts()
    assert "BILL_NOT_POSSESSOR" in codes and "BILL_PLEDGED" in codes
    assert {contract_status(c) for c in codes} <= {409, 422}
    assert status_for("BILL_PLEDGED") == 409 and status_for("BILL_CHECKSUM_INVALID") == 422
    service = [e.code for e in SERVICE_ERRORS]
    assert len(service) == len(set(service)) and not set(service) & set(codes)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def test_openapi_has_an_example_for_every_request_body(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    missing = []
    for path, item in spec["paths"].items():  # every route, not the bill routes only as before
        for method, operation in item.items():
            body = operation.get("requestBody")
            if not body:
                continue
            media = body["content"].get("application/json", {})
            schema = _resolve(spec, media.get("schema", {}))
            if not (
                media.get("example")
                or media.get("examples")
                or schema.get("examples")
                or schema.get("example")
            ):
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"request bodies without an example: {missing}"
    assert api.client.get("/docs").status_code == 200


def test_health_readiness_and_metrics(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"chain": "ok", "database": "ok", "documentStore": "ok"}
    metrics = api.client.get("/metrics")
    assert metrics.status_code == 200 and "portledger_http_requests_total" in metrics.text
