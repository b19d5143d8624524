"""``GET /v1/operations/{id}``: one operation of the caller's organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from ledger_api.deps import CurrentOrg, LedgerDep, PreferWait
from ledger_api.responses import wait_for_operation
from ledger_api.schemas.common import problem_responses
from ledger_api.schemas.operations import Operation

router = APIRouter(prefix="/v1/operations", tags=["operations"])


@router.get(
    "/{operation_id}",
    response_model=Operation,
    responses=problem_responses(401, 404),
    summary="Read an operation (with `Prefer: wait=N`, wait until it is final)",
)
async def get_operation(
    operation_id: Annotated[
        str, Path(pattern=r"^op_[0-9A-Za-z]{1,40}$", examples=["op_01JDZ8K3V6Q4T0F3W9R5X2M7NB"])
    ],
    org: CurrentOrg,
    ledger: LedgerDep,
    wait: PreferWait,
) -> JSONResponse:
    view = await wait_for_operation(ledger, operation_id, org.key, wait)
    return JSONResponse(view)
