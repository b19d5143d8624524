"""``GET /v1/events``: the ledger's events your organisation may see, as Server-Sent Events.

Each event carries ``id:`` (a monotonically increasing sequence: block number × 100,000 + log index),
``event:`` (the contract event's name) and ``data:`` (JSON). Reconnect with ``Last-Event-ID`` (or
``?after=``) to resume after the last event received. With ``follow=false`` the stream ends once it
has caught up; otherwise it stays open up to ``timeout`` seconds, polling the node's index from where
it has read (never the chain), with comment
keep-alives, and tells the client to reconnect (``retry:``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ledger.services.errors import FieldProblem, ValidationFailed
from ledger.services.events import LedgerEvent
from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import PROBLEM_RESPONSES

router = APIRouter(tags=["events"])

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000


def frame(event: LedgerEvent) -> bytes:
    data = json.dumps(event.to_json(), separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.name}\ndata: {data}\n\n".encode()


def _last_id(header: str | None, after: str | None) -> int:
    text = after if after is not None else header
    if text is None or text == "":
        return -1
    if not text.isdigit() or len(text) > 30:
        raise ValidationFailed([FieldProblem("header:Last-Event-ID", "format", "an event id (digits)")])
    return int(text)


@router.get(
    "/v1/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-Sent Events: id, event (type) and data (JSON) per ledger event.",
        },
        **{k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 422)},
    },
    summary="Stream the events your organisation may see (Server-Sent Events, resumable)",
)
async def stream_events(
    request: Request,
    org: CurrentOrg,
    ledger: LedgerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=30)] = None,
    after: Annotated[str | None, Query(pattern=r"^[0-9]{1,30}$", description="Resume after this id")] = None,
    types: Annotated[
        str | None, Query(max_length=1000, description="Comma-separated event names, e.g. GatedOut,GatedIn")
    ] = None,
    follow: Annotated[bool, Query(description="Keep the stream open for new events")] = True,
    timeout: Annotated[
        float, Query(ge=0, le=300, description="Seconds to keep a followed stream open")
    ] = 60.0,
) -> StreamingResponse:
    start = _last_id(last_event_id, after)
    wanted = {t.strip() for t in types.split(",") if t.strip()} if types else set()
    source = ledger.events

    async def generate() -> AsyncIterator[bytes]:
        cursor = start
        yield f"retry: {RETRY_MS}\n\n".encode()
        deadline = time.monotonic() + timeout
        last_sent = time.monotonic()
        while True:
            batch, through = await run_in_threadpool(source.page, org.id, cursor, 200)
            for event in batch:
                if not wanted or event.name in wanted:
                    yield frame(event)
                    last_sent = time.monotonic()
            moved, cursor = through != cursor, through
            if moved:
                continue
            if not follow or time.monotonic() >= deadline or await request.is_disconnected():
                return
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    headers: dict[str, Any] = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(generate(), media_type="text/event-stream", headers=headers)
