"""``create_app(settings)``: the FastAPI application of one PortLedger node.

The lifespan builds the node (:class:`ledger.bootstrap.Ledger`) unless one is given, starts its
background workers (transaction manager, indexer) and stops them on shutdown. Two guards run before
any route: request bodies above ``max_body_bytes`` (1 MiB by default) get ``413 PAYLOAD_TOO_LARGE``
and bodies that are not JSON get ``415 UNSUPPORTED_MEDIA_TYPE``, so no handler ever sees them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.bootstrap import Ledger
from ledger.services.oracle_messages import MessageCheck
from ledger.settings import Settings
from ledger_api import api_docs, problems
from ledger_api.routes import health, operations

API_TITLE = "PortLedger API"
API_VERSION = "1.0.0"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

DESCRIPTION = """
A permissioned ledger for port trade documents: electronic bills of lading, container release
rights and EIRs, agency attestations.

* Authenticate with `Authorization: Bearer <API key>`; each key acts for one organisation.
* Every write answers `202` with an operation (`pending | mined | failed`); `mined` means its events
  are in the read models. Send `Prefer: wait=N` to get `200` with the final operation (or `202`
  after N seconds). `Idempotency-Key` makes a retry return the same operation.
* A write that would revert on chain is refused at once (`409`/`422`) with the contract's error code.
* Errors are RFC 9457 problems with a stable `code` (see docs/api/errors.md). Bodies are JSON,
  at most 1 MiB.
"""


class Metrics:
    """Request counters and latencies in a registry of this app (not the process-global one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "portledger_http_requests_total",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "portledger_http_request_seconds",
            "HTTP request latency",
            ["route", "method"],
            registry=self.registry,
        )


class RequestGuard:
    """Refuses oversized and non-JSON bodies before routing; records metrics."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, metrics: Metrics):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_seen = {"status": 500}

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen["status"] = int(message["status"])
            await send(message)

        try:
            await self._guarded(scope, receive, send_recording)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(name, scope["method"], str(status_seen["status"])).inc()
            self.metrics.latency.labels(name, scope["method"]).observe(time.perf_counter() - started)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(scope, send, "PAYLOAD_TOO_LARGE", self._too_large())
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = bool(message.get("more_body"))
            if len(body) > self.max_body_bytes:
                await self._refuse(scope, send, "PAYLOAD_TOO_LARGE", self._too_large())
                return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if body and not (content_type == "application/json" or content_type.endswith("+json")):
            shown = content_type or "none"
            await self._refuse(
                scope,
                send,
                "UNSUPPORTED_MEDIA_TYPE",
                f"the body's Content-Type is {shown}; send application/json",
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"the body exceeds {self.max_body_bytes} bytes ({self.max_body_bytes // 1024} KiB); send less"

    async def _refuse(self, scope: Scope, send: Send, code: str, detail: str) -> None:
        response = problems.problem(code, detail, instance=scope.get("path"))
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def create_app(
    settings: Settings | None = None,
    *,
    ledger: Ledger | None = None,
    message_check: MessageCheck | None = None,
) -> FastAPI:
    """The application; ``ledger`` lets a caller (tests, an embedding process) supply a built node.

    ``message_check`` reads oracle messages at the door of ``POST /v1/oracles/{agency}/messages``; this
    package may not import ``oracles``, so the entry points pass it (``cli.api:app`` hands in the
    adapter registry). Without one, messages are stored unread and the runner alone judges them.
    """
    settings = settings or (ledger.settings if ledger is not None else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        node = ledger or Ledger.from_settings(settings)
        app.state.ledger = node
        if settings.run_workers:
            node.start()
        try:
            yield
        finally:
            if settings.run_workers:
                node.stop()
            if ledger is None:
                node.close()

    app = FastAPI(
        title=API_TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc come from ledger_api.api_docs, with their assets served by this app (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    if ledger is not None:
        app.state.ledger = ledger
    metrics = Metrics()
    app.state.metrics = metrics
    app.state.settings = settings
    app.state.message_check = message_check
    problems.install(app)
    api_docs.install(app)
    for router in _routers():
        app.include_router(router)
    from ledger_api.routes import attestations, consortium, dashboard, events, releases, webhooks

    app.include_router(releases.router)
    app.include_router(attestations.router)
    app.include_router(consortium.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
    app.include_router(__import__("ledger_api.routes.ingest", fromlist=["router"]).router)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes, metrics=metrics)
    return app


def _routers() -> list[Any]:
    from ledger_api.routes import bills, containers, timeline, verify

    return [health.router, operations.router, bills.router, timeline.router, containers.router, verify.router]
