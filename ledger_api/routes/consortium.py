"""The consortium: the member directory and governance proposals (docs/design.md §1.1).

Thin: parse, resolve the calling organisation and its signer, call :mod:`ledger.services.consortium`.
The directory is visible to every member (it is how parties find each other's ids and encryption keys);
proposing and approving need a governor account, which the Consortium contract checks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledger.bootstrap import Ledger
from ledger.services.consortium import Actor
from ledger_api.deps import CurrentOrg, IdempotencyKey, LedgerDep, Org, PreferWait, actor_of
from ledger_api.responses import operation_response
from ledger_api.schemas.common import Page, problem_responses
from ledger_api.schemas.consortium import OrganisationView, ProposalCreate, ProposalView
from ledger_api.schemas.operations import Operation

router = APIRouter(tags=["consortium"])

ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The proposal id (sequential from 1).")]
WRITE_RESPONSES = problem_responses(401, 404, 409, 413, 415, 422)
READ_RESPONSES = problem_responses(401, 404)


def actor(ledger: Ledger, org: Org) -> Actor:
    return actor_of(ledger, org)


@router.get(
    "/v1/orgs",
    response_model=Page[OrganisationView],
    responses=READ_RESPONSES,
    summary="The consortium's member organisations",
)
async def list_organisations(org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    members = await run_in_threadpool(lambda: ledger.consortium.organisations())
    items = [
        {
            "id": str(m.id),
            "legalId": m.legal_id,
            "name": m.name,
            "roles": list(m.roles),
            "suspended": m.suspended,
            "encryptionKey": "0x" + m.encryption_key.hex(),
        }
        for m in members
    ]
    return JSONResponse({"items": items, "nextCursor": None})


@router.post(
    "/v1/governance/proposals",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Propose a membership change (governors)",
)
async def propose(
    body: ProposalCreate, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    arguments = body.model_dump(by_alias=True, exclude={"kind"}, exclude_none=True)
    op = await run_in_threadpool(
        lambda: ledger.consortium.propose(
            actor(ledger, org), body.kind, arguments, body=body.model_dump(by_alias=True), idempotency_key=key
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/governance/proposals/{proposal_id}/approve",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Approve a proposal (governors); it executes when approvals reach the threshold",
)
async def approve(
    proposal_id: ProposalId, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.consortium.approve(actor(ledger, org), proposal_id, idempotency_key=key)
    )
    return await operation_response(ledger, op, org.key, wait)


@router.get(
    "/v1/governance/proposals/{proposal_id}",
    response_model=ProposalView,
    responses=READ_RESPONSES,
    summary="A governance proposal (every member may read the audit trail)",
)
async def get_proposal(proposal_id: ProposalId, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    view = await run_in_threadpool(lambda: ledger.consortium.proposal(proposal_id))
    return JSONResponse({**view, "id": str(view["id"])})
