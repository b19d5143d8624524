"""``GET /v1/dashboard``: the port authority's aggregate counts (counts below 5 suppressed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ledger.services.dashboard import SUPPRESS_BELOW
from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import ApiModel, problem_responses

router = APIRouter(prefix="/v1", tags=["dashboard"])


class DashboardCell(ApiModel):
    key: str
    count: int | None
    suppressed: bool


class DashboardBody(ApiModel):
    suppress_below: int
    tables: dict[str, list[DashboardCell]]


@router.get(
    "/dashboard",
    response_model=DashboardBody,
    responses=problem_responses(401, 403),
    summary="Aggregate counts for the port authority (a count below 5 is suppressed)",
)
async def dashboard(org: CurrentOrg, ledger: LedgerDep) -> Any:
    tables = await run_in_threadpool(ledger.dashboard.tables, org.id)
    return DashboardBody(
        suppress_below=SUPPRESS_BELOW,
        tables={
            name: [DashboardCell(key=c.key, count=c.count, suppressed=c.suppressed) for c in cells]
            for name, cells in tables.items()
        },
    )
