"""Webhooks: register an endpoint for the events your organisation may see, and read its delivery log.

Deliveries are signed with HMAC-SHA256 under a secret shown once at registration (see
:mod:`ledger.services.webhooks` for the headers and the retry schedule). The delivery loop runs in a
daemon thread of this process, started with the first use of these routes.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import PROBLEM_RESPONSES, Page
from ledger_api.schemas.events import WebhookCreate, WebhookCreated, WebhookDeliveryView, WebhookView

router = APIRouter(tags=["webhooks"])

WebhookId = Annotated[str, Path(pattern=r"^wh_[0-9a-f]{24}$", description="The webhook id.")]
_lock = threading.Lock()


@router.post(
    "/v1/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 413, 415, 422)},
    summary="Register a webhook; the signing secret is in this answer only",
)
async def create_webhook(body: WebhookCreate, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    created = await run_in_threadpool(lambda: ledger.webhooks.create(org.id, body.url, body.event_types))
    return JSONResponse(
        {**created.webhook.public(), "secret": created.secret},
        status_code=201,
        headers={"Location": f"/v1/webhooks/{created.webhook.id}"},
    )


@router.get(
    "/v1/webhooks",
    response_model=Page[WebhookView],
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401,)},
    summary="Your organisation's webhooks",
)
async def list_webhooks(org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    hooks = await run_in_threadpool(lambda: ledger.webhooks.of_org(org.id))
    return JSONResponse({"items": [h.public() for h in hooks], "nextCursor": None})


@router.get(
    "/v1/webhooks/{webhook_id}",
    response_model=WebhookView,
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 404)},
    summary="One of your organisation's webhooks",
)
async def get_webhook(webhook_id: WebhookId, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    hook = await run_in_threadpool(lambda: ledger.webhooks.get(org.id, webhook_id))
    return JSONResponse(hook.public())


@router.get(
    "/v1/webhooks/{webhook_id}/deliveries",
    response_model=Page[WebhookDeliveryView],
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 404)},
    summary="The delivery log of a webhook, newest first",
)
async def list_deliveries(webhook_id: WebhookId, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    rows = await run_in_threadpool(lambda: ledger.webhooks.deliveries(org.id, webhook_id))
    items: list[dict[str, Any]] = [r.public() for r in rows]
    return JSONResponse({"items": items, "nextCursor": None})
