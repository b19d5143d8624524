"""Oracle message ingest: an agency or terminal system posts a raw message for its own organisation.

``POST /v1/oracles/{agency}/messages`` stores the message in the node's database as a message of the
*calling* organisation (:mod:`ledger.services.oracle_messages`) and answers ``202`` with its id; that
organisation's runner (``portledger oracle run``, configured for it) takes it from there. Another
organisation's runner never sees it, so one terminal cannot make another terminal's runner record a
gate-out. The service first reads the bytes with the app's message check (the oracles' adapter
registry, given to ``create_app`` by the entry point): a message no adapter can read is answered ``422
MESSAGE_UNREADABLE`` naming its segment, position and rule, and is not stored. The route does not
sign: the runner's signers parse every message again themselves. Posting the same bytes again stores
nothing and answers ``duplicate: true`` with the first message's id.

Only an active organisation holding the agency's role may post (``customs``: CUSTOMS, ``maritime``:
MARITIME, ``terminal``: TERMINAL). Bodies are JSON (the API refuses others): the message text, or its
bytes in base64 for non-UTF-8 interchanges. ``GET /v1/oracles/{agency}/messages/{id}`` shows the
sender what became of its message.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ledger.services.errors import FieldProblem, Forbidden, NotFound, ValidationFailed
from ledger.services.oracle_messages import MAX_FILENAME, MESSAGE_ID_PATTERN
from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import PROBLEM_RESPONSES, ApiModel

router = APIRouter(tags=["oracles"])

AGENCY_ROLES = {"customs": "CUSTOMS", "maritime": "MARITIME", "terminal": "TERMINAL"}

Agency = Annotated[
    Literal["customs", "maritime", "terminal"], PathParam(description="Whose oracle receives it.")
]
MessageId = Annotated[str, PathParam(pattern=MESSAGE_ID_PATTERN, description="The message id (msg_…).")]


class MessagePost(ApiModel):
    content: str = Field(
        description="The message: text (UTF-8), or base64 when contentEncoding is base64.",
        examples=["UNA:+.? 'UNB+UNOC:3+CUSTOMSGW:ZZZ+BROKER01:ZZZ+260115:0930+CR000001'..."],
        min_length=1,
    )
    content_encoding: Literal["utf-8", "base64"] = Field(default="utf-8")
    filename: str | None = Field(
        default=None,
        description="The sender's file name (kept, made safe, for the runner's logs and format sniffing).",
        max_length=MAX_FILENAME,
        examples=["cusres-000123.edi"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content": "UNA:+.? 'UNB+UNOC:3+CUSTOMSGW:ZZZ+BROKER01:ZZZ+260115:0930+CR000001'...",
                    "contentEncoding": "utf-8",
                    "filename": "cusres-000123.edi",
                }
            ]
        }
    )


class MessageReceived(ApiModel):
    id: str = Field(description="The message id; the first message's id when duplicate.", examples=["msg_…"])
    agency: str
    sha256: str
    duplicate: bool = Field(description="Your organisation had already sent these bytes; nothing was stored.")
    status: str = Field(description="queued, done, rejected or dead-lettered.", examples=["queued"])
    received_at: str


class MessageView(ApiModel):
    id: str
    agency: str
    sha256: str
    filename: str | None
    status: str = Field(examples=["queued", "done", "rejected", "dead-lettered"])
    reason: dict[str, Any] | None = Field(
        description="Why it was refused, or why it still waits (code, segment, position, reason)."
    )
    operations: list[dict[str, Any]] = Field(
        description="The chain writes its actions became: action key, idempotency key, status, txHash, uid."
    )
    received_at: str
    updated_at: str


@router.post(
    "/v1/oracles/{agency}/messages",
    status_code=202,
    response_model=MessageReceived,
    summary="Send an inbound message to your organisation's oracle",
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 403, 413, 415, 422)},
)
async def post_message(
    request: Request, agency: Agency, body: MessagePost, org: CurrentOrg, ledger: LedgerDep
) -> JSONResponse:
    member = await run_in_threadpool(ledger.organisations.get, org.id)
    role = AGENCY_ROLES[agency]
    if role not in member.roles or member.suspended:
        raise Forbidden(f"only an active {role} organisation may send messages to the {agency} oracle")
    if body.content_encoding == "base64":
        try:
            raw = base64.b64decode(body.content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                [FieldProblem("$.content", "base64", "the content is not base64")]
            ) from None
        if not raw:
            raise ValidationFailed([FieldProblem("$.content", "min_length", "the content is empty")])
    else:
        raw = body.content.encode("utf-8")
    check = getattr(request.app.state, "message_check", None)
    received = await run_in_threadpool(
        ledger.oracle_messages.receive, org.id, agency, raw, body.filename, check=check
    )
    message = received.message
    answer: dict[str, Any] = MessageReceived(
        id=message.id,
        agency=message.agency,
        sha256=message.sha256,
        duplicate=received.duplicate,
        status=message.status,
        received_at=message.public()["receivedAt"],
    ).model_dump(by_alias=True)
    return JSONResponse(
        answer, status_code=202, headers={"Location": f"/v1/oracles/{message.agency}/messages/{message.id}"}
    )


@router.get(
    "/v1/oracles/{agency}/messages/{message_id}",
    response_model=MessageView,
    summary="What became of a message your organisation sent",
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 404, 422)},
)
async def get_message(
    agency: Agency, message_id: MessageId, org: CurrentOrg, ledger: LedgerDep
) -> dict[str, Any]:
    message = await run_in_threadpool(ledger.oracle_messages.get, org.id, message_id)
    if message.agency != agency:
        raise NotFound(f"no oracle message {message_id}")
    view: dict[str, Any] = message.public()
    return view
