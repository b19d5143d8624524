"""Oracle message ingest: an agency or terminal system posts a raw message; it lands in that oracle's inbox.

``POST /v1/oracles/{agency}/messages`` stores the message as a file in the inbox folder the agency's
``portledger oracle run --inbox DIR`` reads (``<data dir>/inbox/<agency>``, as ``make run`` lays it out, or
``$PORTLEDGER_ORACLE_INBOX_DIR/<agency>``). The route does not parse or sign: the runner's signers parse
every message themselves, and a message they cannot read goes to the inbox's dead-letter folder. The
file is written under a dot name and renamed into place, so the runner never sees half a message; the
name carries the SHA-256 of the content, so posting the same message twice stores it once.

Only an organisation holding the agency's role may post to its inbox (``customs``: CUSTOMS, ``maritime``:
MARITIME, ``terminal``: TERMINAL). Bodies are JSON (the API refuses others): the message text, or its
bytes in base64 for non-UTF-8 interchanges.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ledger.services.errors import FieldProblem, Forbidden, ValidationFailed
from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import PROBLEM_RESPONSES, ApiModel

router = APIRouter(tags=["oracles"])

INBOX_ENV = "PORTLEDGER_ORACLE_INBOX_DIR"
AGENCY_ROLES = {"customs": "CUSTOMS", "maritime": "MARITIME", "terminal": "TERMINAL"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

Agency = Annotated[
    Literal["customs", "maritime", "terminal"], PathParam(description="Whose oracle inbox receives it.")
]


class MessagePost(ApiModel):
    content: str = Field(
        description="The message: text (UTF-8), or base64 when contentEncoding is base64.",
        examples=["UNA:+.? 'UNB+UNOC:3+CUSTOMSGW:ZZZ+BROKER01:ZZZ+260115:0930+CR000001'..."],
        min_length=1,
    )
    content_encoding: Literal["utf-8", "base64"] = Field(default="utf-8")
    filename: str | None = Field(
        default=None,
        description="The sender's file name (kept, made safe, as a suffix of the stored name).",
        max_length=120,
        examples=["cusres-000123.edi"],
    )


class MessageStored(ApiModel):
    agency: str
    stored_as: str = Field(description="File name in the inbox.")
    sha256: str
    duplicate: bool = Field(description="The same content was already in the inbox or processed by it.")


def inbox_dir(data_dir: Path, agency: str) -> Path:
    base = os.environ.get(INBOX_ENV)
    return (Path(base) if base else data_dir / "inbox") / agency


def _store(folder: Path, name: str, raw: bytes) -> bool:
    """Write ``raw`` as ``folder/name`` atomically; False if a message with that name is already known."""
    folder.mkdir(parents=True, exist_ok=True)
    known = [folder / name, *(folder / sub / name for sub in ("done", "dead-letter", "rejected"))]
    if any(p.exists() for p in known):
        return False
    tmp = folder / f".{name}.part"
    with tmp.open("wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    return True


@router.post(
    "/v1/oracles/{agency}/messages",
    status_code=202,
    response_model=MessageStored,
    summary="Store an inbound message in an oracle's inbox",
    responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 403, 413, 415, 422)},
)
async def post_message(agency: Agency, body: MessagePost, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    member = await run_in_threadpool(ledger.organisations.get, org.id)
    role = AGENCY_ROLES[agency]
    if role not in member.roles or member.suspended:
        raise Forbidden(f"only an active {role} organisation may post to the {agency} oracle's inbox")
    if body.content_encoding == "base64":
        try:
            raw = base64.b64decode(body.content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                [FieldProblem("$.content", "base64", "the content is not base64")]
            ) from None
    else:
        raw = body.content.encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()
    suffix = _SAFE_NAME.sub("_", body.filename).strip("._")[:80] if body.filename else "message"
    name = f"{digest[:16]}-{suffix or 'message'}"
    stored = await run_in_threadpool(_store, inbox_dir(ledger.settings.data_dir, agency), name, raw)
    answer: dict[str, Any] = MessageStored(
        agency=agency, stored_as=name, sha256=digest, duplicate=not stored
    ).model_dump(by_alias=True)
    return JSONResponse(answer, status_code=202)
