"""``GET /v1/containers/{containerNumber}/release-status``: is the container release-ready, for which
haulier and right, and if not, every reason (``ledger.services.release_status``). Thin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from ledger.services.release_status import REASONS, Reason, RightStatus
from ledger_api.deps import CurrentOrg, LedgerDep
from ledger_api.schemas.common import problem_responses
from ledger_api.schemas.containers import ReleaseCandidate, ReleaseReason, ReleaseStatus

router = APIRouter(tags=["releases"])


def _candidate(c: RightStatus) -> ReleaseCandidate:
    return ReleaseCandidate(
        bill_id=c.bill_id,
        right_id=c.right_id,
        status=c.status,
        holder=str(c.holder) if c.holder else None,
        terminal=str(c.terminal) if c.terminal else None,
        haulier=str(c.haulier) if c.haulier else None,
        by_release_code=c.by_release_code,
        ready=c.ready,
        reasons=[ReleaseReason(code=r.code, message=r.message, details=r.details) for r in c.reasons],
    )


@router.get(
    "/v1/containers/{container_number}/release-status",
    response_model=ReleaseStatus,
    responses=problem_responses(401, 404, 422),
    summary="Is the container release-ready, for which haulier and right; if not, every reason",
)
async def release_status(
    container_number: Annotated[str, Path(min_length=1, max_length=20, examples=["MSKU1234565"])],
    org: CurrentOrg,
    ledger: LedgerDep,
) -> ReleaseStatus:
    found = await run_in_threadpool(ledger.release_status.of_container, container_number, org.id)
    best = found.best
    reasons = best.reasons if best is not None else [Reason("NO_RIGHT", REASONS["NO_RIGHT"])]
    return ReleaseStatus(
        container_number=found.container_number,
        ready=found.ready is not None,
        right_id=best.right_id if best else None,
        bill_id=best.bill_id if best else None,
        haulier=str(best.haulier) if best and best.haulier else None,
        by_release_code=bool(best and best.by_release_code),
        reasons=[ReleaseReason(code=r.code, message=r.message, details=r.details) for r in reasons],
        checked_at=found.checked_at,
        rights=[_candidate(c) for c in found.candidates],
    )
