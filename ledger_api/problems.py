"""Errors → RFC 9457 problem details (``application/problem+json``) with a stable ``code``.

One handler per error family: service refusals (:mod:`ledger.services.errors`), decoded contract
reverts (the custom error's name as the code, its arguments in ``args``), outbox and document errors,
FastAPI's request validation (every failing path in ``errors``) and Starlette's HTTP errors. Status
codes come from :mod:`ledger_api.errors_table` only. Nothing here leaks a traceback or a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.documents import DocumentError, DocumentInvalid, EnvelopeError, StoreError, StoreUnavailable
from ledger.domain.errors import ContractRevert, LedgerError
from ledger.outbox import IdempotencyConflict, OperationNotFound
from ledger.services.errors import DocumentNotBound, MessageUnreadable, UnknownOrganisation, ValidationFailed
from ledger_api.errors_table import is_published, status_for, title_for

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://portledger.example/problems/"

_log = logging.getLogger(__name__)


def problem(
    code: str,
    detail: str,
    *,
    status: int | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json answer for ``code`` (status from the error table unless given)."""
    status = status or status_for(code)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": title_for(code),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return "0x" + value.to_bytes(32, "big").hex() if value >= 0 else str(value)
    return value


def _loc_to_path(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts.pop(0)
        prefix = "$" if where == "body" else f"{where}:"
    else:
        prefix = "$"
    path = prefix
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path not in ("query:", "path:", "header:") else "") + str(part)
    return path


_LIMITS = ("max_length", "min_length", "le", "lt", "ge", "gt")
"""The bounds a failing rule states; an error carries its bound as ``limit`` (``maxLength`` 120 → 120)."""


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))]
        entry: dict[str, Any] = {
            "path": _loc_to_path(loc),
            "rule": str(err.get("type", "invalid")),
            "message": str(err.get("msg")),
        }
        context = err.get("ctx") or {}
        for bound in _LIMITS:
            value = context.get(bound)
            if isinstance(value, int | float) and not isinstance(value, bool):
                entry["limit"] = value
                break
        out.append(entry)
    return out


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        if any(e["rule"] == "json_invalid" for e in errors):
            detail = "the body is not valid JSON: " + "; ".join(e["message"] for e in errors)
        else:
            detail = f"{len(errors)} invalid field(s): " + ", ".join(e["path"] for e in errors[:10])
        return problem("VALIDATION_FAILED", detail, instance=request.url.path, errors=errors)

    @app.exception_handler(ValidationFailed)
    async def _service_invalid(request: Request, exc: ValidationFailed) -> JSONResponse:
        return problem(
            exc.code, str(exc), instance=request.url.path, errors=[p.to_json() for p in exc.problems]
        )

    @app.exception_handler(DocumentNotBound)
    async def _not_bound(request: Request, exc: DocumentNotBound) -> JSONResponse:
        return problem(
            exc.code, str(exc), instance=request.url.path, errors=[p.to_json() for p in exc.problems]
        )

    @app.exception_handler(MessageUnreadable)
    async def _unreadable(request: Request, exc: MessageUnreadable) -> JSONResponse:
        return problem(
            exc.code,
            str(exc),
            instance=request.url.path,
            segment=exc.segment,
            position=exc.position,
            rule=exc.rule,
            reason=exc.reason,
        )

    @app.exception_handler(UnknownOrganisation)
    async def _unknown_org(request: Request, exc: UnknownOrganisation) -> JSONResponse:
        return problem(
            exc.code,
            str(exc),
            instance=request.url.path,
            errors=[{"path": exc.path, "rule": "organisation", "message": "not a consortium organisation"}],
        )

    @app.exception_handler(DocumentInvalid)
    async def _document_invalid(request: Request, exc: DocumentInvalid) -> JSONResponse:
        errors = [
            {"path": "$.document" + p.path[1:], "rule": p.rule, "message": p.message}
            for p in exc.report.errors
        ]
        return problem("VALIDATION_FAILED", str(exc), instance=request.url.path, errors=errors)

    @app.exception_handler(ContractRevert)
    async def _revert(request: Request, exc: ContractRevert) -> JSONResponse:
        detail = f"the contract refuses this: {exc.name}; nothing was queued or sent"
        return problem(
            exc.code, detail, instance=request.url.path, error=exc.name, args=_json_value(exc.plain_args())
        )

    @app.exception_handler(IdempotencyConflict)
    async def _conflict(request: Request, exc: IdempotencyConflict) -> JSONResponse:
        detail = (
            f"Idempotency-Key {exc.key!r} was already used for a different request "
            f"(operation {exc.operation_id}); use a new key for a new request"
        )
        return problem(exc.code, detail, instance=request.url.path, operationId=exc.operation_id)

    @app.exception_handler(OperationNotFound)
    async def _op_not_found(request: Request, exc: OperationNotFound) -> JSONResponse:
        return problem("NOT_FOUND", f"no operation {exc.operation_id}", instance=request.url.path)

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return problem("STORE_UNAVAILABLE", str(exc), instance=request.url.path)

    @app.exception_handler(LedgerError)
    async def _ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
        if not is_published(exc.code):
            _log.error("unpublished error code %s on %s %s", exc.code, request.method, request.url.path)
            return problem("INTERNAL_ERROR", "unexpected error; nothing about it is shown here")
        return problem(exc.code, str(exc), instance=request.url.path)

    @app.exception_handler(DocumentError)
    async def _document_error(request: Request, exc: DocumentError) -> JSONResponse:
        if isinstance(exc, EnvelopeError | StoreError):
            # A stored envelope or key wrap that does not open is the node's problem, not the caller's.
            _log.error("document store or envelope failure on %s: %s", request.url.path, exc.code)
            return problem("INTERNAL_ERROR", "a stored document could not be read; the operator is told")
        code = exc.code if exc.code == "DOCUMENT_NOT_CANONICALISABLE" else "VALIDATION_FAILED"
        return problem(code, str(exc), instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            401: "UNAUTHENTICATED",
            403: "FORBIDDEN",
            404: "NOT_FOUND",
            405: "METHOD_NOT_ALLOWED",
            413: "PAYLOAD_TOO_LARGE",
            415: "UNSUPPORTED_MEDIA_TYPE",
        }.get(exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "VALIDATION_FAILED")
        detail = str(exc.detail) if exc.detail else title_for(code)
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = f"no route {request.method} {request.url.path}; see /docs"
        return problem(code, detail, status=exc.status_code, instance=request.url.path, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            "INTERNAL_ERROR", "unexpected error; nothing about it is shown here", instance=request.url.path
        )
