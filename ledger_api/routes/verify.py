"""``POST /v1/verify``: is this transport document the current version of a live title?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.bills import StatementKey, VerifyRequest, VerifyResult
from ledger_api.schemas.common import problem_responses

router = APIRouter(prefix="/v1", tags=["verify"])


@router.post(
    "/verify",
    response_model=VerifyResult,
    responses=problem_responses(401, 413, 415, 422),
    summary="Check a transport document against the ledger (checksum, status, who controls it)",
)
def verify(request: VerifyRequest, org: CurrentOrg, ledger: LedgerDep) -> VerifyResult:
    return VerifyResult.of(ledger.bills.verify(request.document, org.id))


@router.get(
    "/statement-key",
    response_model=StatementKey,
    summary="The node's public statement key (verify collateral statements offline)",
)
def statement_key(ledger: LedgerDep) -> JSONResponse:
    statements = ledger.statements
    return JSONResponse(statements.key.describe())
