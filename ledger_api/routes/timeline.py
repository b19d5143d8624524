"""``GET /v1/bills/{id}/timeline``: every event of a title's causal chain that the caller may see
(``ledger.services.timeline``). Thin: parse the id, take the caller's organisation, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from ledger.services.bills import parse_bill_id
from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import TITLE_ID_PATTERN, problem_responses
from ledger_api.schemas.timeline import Timeline, TimelineItem

router = APIRouter(prefix="/v1/bills", tags=["bills"])

BillId = Annotated[
    str,
    Path(
        alias="id",
        pattern=TITLE_ID_PATTERN,
        description="Title id: 0x + 64 hex digits",
        examples=["0x" + "5c" * 32],
    ),
]


@router.get(
    "/{id}/timeline",
    response_model=Timeline,
    responses=problem_responses(401, 404, 422),
    summary="A title's causal chain: title actions, pledges, customs facts, release rights, gate moves",
)
async def bill_timeline(bill_id: BillId, org: CurrentOrg, ledger: LedgerDep) -> Timeline:
    title = parse_bill_id(bill_id)
    entries = await run_in_threadpool(ledger.timeline.of_bill, title, org.id)
    return Timeline(bill_id=f"0x{title:064x}", items=[TimelineItem.of(e) for e in entries])
