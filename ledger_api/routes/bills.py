"""e-B/L routes: issue, list, read, history, document, actions, amend, by reference, collateral
statement. Each handler parses, takes the caller's organisation and calls ``ledger.services.bills``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.services.bills import BillAction, PledgeTerms, parse_bill_id
from ledger_api.deps import CurrentOrg, IdempotencyKey, LedgerDep, PreferWait, actor_of
from ledger_api.responses import operation_response
from ledger_api.schemas.bills import (
    AmendBill,
    Bill,
    BillActionRequest,
    BillPage,
    BillRole,
    BillStatus,
    CollateralStatement,
    History,
    HistoryItem,
    IssueBill,
    PublicBill,
)
from ledger_api.schemas.common import PROBLEM_RESPONSES, TITLE_ID_PATTERN, problem_responses
from ledger_api.schemas.operations import Operation

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
_WRITE = {
    "status_code": 202,
    "response_model": Operation,
    "responses": {
        200: {"model": Operation, "description": "Final operation (after `Prefer: wait`)"},
        **PROBLEM_RESPONSES,
    },
}
_READ = problem_responses(401, 404, 422)


@router.post("", summary="Issue an e-B/L (carrier)", **_WRITE)  # type: ignore[arg-type]
async def issue_bill(
    request: IssueBill, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    body = request.model_dump(mode="json", by_alias=True)
    op = await run_in_threadpool(
        lambda: ledger.bills.issue(
            actor_of(ledger, org), request.document, request.issue_to, body=body, idempotency_key=key
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.get("", response_model=BillPage, responses=_READ, summary="Titles your organisation is a party of")
def list_bills(
    org: CurrentOrg,
    ledger: LedgerDep,
    role: Annotated[BillRole | None, Query(description="Your organisation's role in the title")] = None,
    status: Annotated[BillStatus | None, Query()] = None,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`nextCursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BillPage:
    items, next_cursor = ledger.bills.list_for(org.id, role, status, cursor, limit)
    return BillPage(items=[Bill.of(v) for v in items], next_cursor=next_cursor)


@router.get(
    "/by-reference/{carrier}/{reference}",
    response_model=Bill,
    responses=_READ,
    summary="A title by its carrier and transport document reference",
)
def bill_by_reference(
    carrier: Annotated[
        str,
        Path(
            pattern=r"^[0-9A-Za-z]{1,35}$",
            description="The carrier's org id or its legal identifier (SCAC/SMDG code)",
            examples=["TOLU"],
        ),
    ],
    reference: Annotated[str, Path(min_length=1, max_length=20)],
    org: CurrentOrg,
    ledger: LedgerDep,
) -> Bill:
    return Bill.of(ledger.bills.by_reference(carrier, reference, org.id))


@router.get("/{id}", response_model=Bill, responses=_READ, summary="One title")
async def get_bill(bill_id: BillId, org: CurrentOrg, ledger: LedgerDep) -> Response:
    bills, title = ledger.bills, parse_bill_id(bill_id)
    view = bills.cached(title, org.id)  # a party's lookup is answered from memory
    if view is None:
        view = await run_in_threadpool(bills.get, title, org.id)
    # Serialised here, once: the model is already valid (FastAPI would validate it again).
    return Response(Bill.of(view).model_dump_json(by_alias=True), media_type="application/json")


@router.get("/{id}/history", response_model=History, responses=_READ, summary="Every action on a title")
def bill_history(
    bill_id: BillId,
    org: CurrentOrg,
    ledger: LedgerDep,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`nextCursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 200,
) -> History:
    entries, next_cursor = ledger.bills.history(parse_bill_id(bill_id), org.id, cursor, limit)
    return History(items=[HistoryItem.of(e) for e in entries], next_cursor=next_cursor)


@router.get(
    "/{id}/public",
    response_model=PublicBill,
    responses=_READ,
    summary="A title's public state and container numbers (any member)",
)
def public_bill(bill_id: BillId, org: CurrentOrg, ledger: LedgerDep) -> PublicBill:
    return PublicBill.of(ledger.bills.public(parse_bill_id(bill_id)))


@router.get(
    "/{id}/document",
    responses={
        **problem_responses(401, 403, 404, 422),
        200: {"description": "The decrypted DCSA Transport Document (the current version, or `version`)"},
    },
    summary="The decrypted transport document (its readers: carrier, possessor, holder, straight "
    "consignee, pledge bank; past parties the versions they could read)",
)
def bill_document(
    bill_id: BillId,
    org: CurrentOrg,
    ledger: LedgerDep,
    version: Annotated[
        int | None, Query(ge=1, le=65535, description="An earlier version (default: the current one)")
    ] = None,
) -> JSONResponse:
    return JSONResponse(ledger.bills.document(parse_bill_id(bill_id), org.id, version))


@router.post("/{id}/actions", summary="Act on a title (DCSA action codes, pledge actions)", **_WRITE)  # type: ignore[arg-type]
async def act_on_bill(
    bill_id: BillId,
    request: BillActionRequest,
    org: CurrentOrg,
    ledger: LedgerDep,
    key: IdempotencyKey,
    wait: PreferWait,
) -> JSONResponse:
    body = {"billId": bill_id.lower(), **request.model_dump(mode="json", by_alias=True)}
    pledge = None
    if request.pledge is not None:
        p = request.pledge
        pledge = PledgeTerms(
            p.amount, p.currency, p.registration_ref, p.accept_by, p.maturity, p.notice_period_seconds
        )
    action = BillAction(
        request.action,
        request.recipient,
        request.reason_code,
        request.remark,
        pledge,
        terms_hash=request.terms_hash,
        default_attestation=request.default_attestation,
    )
    op = await run_in_threadpool(
        lambda: ledger.bills.act(
            actor_of(ledger, org), parse_bill_id(bill_id), action, body=body, idempotency_key=key
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post("/{id}/amend", summary="Re-issue the amended document (carrier)", **_WRITE)  # type: ignore[arg-type]
async def amend_bill(
    bill_id: BillId,
    request: AmendBill,
    org: CurrentOrg,
    ledger: LedgerDep,
    key: IdempotencyKey,
    wait: PreferWait,
) -> JSONResponse:
    body = {"billId": bill_id.lower(), **request.model_dump(mode="json", by_alias=True)}
    op = await run_in_threadpool(
        lambda: ledger.bills.amend(
            actor_of(ledger, org), parse_bill_id(bill_id), request.document, body=body, idempotency_key=key
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.get(
    "/{id}/collateral-statement",
    response_model=CollateralStatement,
    responses=_READ,
    summary="A signed statement of the title's state for collateral checks (verify offline)",
)
async def collateral_statement(bill_id: BillId, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    statements = ledger.statements
    signed = await run_in_threadpool(statements.collateral, parse_bill_id(bill_id), org.id)
    return JSONResponse(signed)
