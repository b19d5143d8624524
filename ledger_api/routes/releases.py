"""Release rights and EIRs: grant, nominate, release code, gate-out, gate-in, read (docs/design.md §1.3).

Thin: parse, resolve the calling organisation and its signer, call :mod:`ledger.services.releases`,
answer with the operation. A right is visible to the organisations that are or were party to it;
anyone else gets 404.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledger.bootstrap import Ledger
from ledger.services.consortium import Actor
from ledger.services.releases import EirData, ReleaseView
from ledger.services.releases import EirView as EirRecord
from ledger_api.deps import CurrentOrg, IdempotencyKey, LedgerDep, Org, PreferWait, actor_of
from ledger_api.responses import operation_response
from ledger_api.schemas.common import ORG_ID_PATTERN, TITLE_ID_PATTERN, Page, problem_responses
from ledger_api.schemas.operations import Operation
from ledger_api.schemas.releases import (
    Eir,
    EirView,
    GateIn,
    GateOut,
    Nomination,
    Release,
    ReleaseCodeIssued,
    ReleaseCodeRequest,
    ReleaseGrant,
)

router = APIRouter(tags=["releases"])

RightId = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="The release right id.")]
WRITE_RESPONSES = problem_responses(401, 404, 409, 413, 415, 422)
READ_RESPONSES = problem_responses(401, 404, 422)


def actor(ledger: Ledger, org: Org) -> Actor:
    return actor_of(ledger, org)


def _eir(eir: Eir) -> EirData:
    return EirData(
        laden=eir.laden,
        seals=tuple(eir.seals),
        damage_codes=tuple(eir.damage_codes),
        truck_plate=eir.truck_plate,
        event_time=eir.event_time,
        condition=eir.condition,
        remarks=eir.remarks,
    )


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _right(view: ReleaseView) -> dict[str, Any]:
    return {
        "rightId": _hex(view.right_id),
        "billId": _hex(view.bill_id.to_bytes(32, "big")),
        "containerNumber": view.container_number,
        "carrier": str(view.carrier),
        "holder": str(view.holder),
        "terminal": str(view.terminal),
        "depot": str(view.depot) if view.depot else None,
        "validFrom": view.valid_from,
        "validUntil": view.valid_until,
        "status": view.status.name,
        "hasReleaseCode": view.has_release_code,
        "records": [
            {
                "kind": r.kind,
                "recordId": _hex(r.record_id),
                "previousRecordId": _hex(r.previous_record_id),
                "blockNumber": r.block_number,
                "txHash": r.tx_hash,
                "details": {
                    k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                    for k, v in r.details.items()
                },
            }
            for r in view.records
        ],
    }


def _eir_view(eir: EirRecord) -> dict[str, Any]:
    return {
        "direction": eir.direction,
        "rightId": _hex(eir.right_id),
        "billId": _hex(eir.bill_id.to_bytes(32, "big")),
        "containerNumber": eir.container_number,
        "terminal": str(eir.terminal),
        "haulier": str(eir.haulier) if eir.haulier else None,
        "byReleaseCode": eir.by_release_code,
        "recordId": _hex(eir.record_id),
        "previousRecordId": _hex(eir.previous_record_id),
        "laden": eir.laden,
        "sealsHash": _hex(eir.seals_hash),
        "damageCodes": eir.damage_codes,
        "truckPlateHash": _hex(eir.truck_plate_hash),
        "eventTime": eir.event_time,
        "eirChecksum": _hex(eir.eir_checksum),
        "blockNumber": eir.block_number,
        "txHash": eir.tx_hash,
    }


@router.post(
    "/v1/releases",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Grant release rights, one per container (carrier)",
)
async def grant_release(
    body: ReleaseGrant, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.releases.grant(
            actor(ledger, org),
            int(body.bill_id, 16),
            body.container_numbers,
            body.terminal,
            body.valid_from,
            body.valid_until,
            depot=body.depot,
            body=body.model_dump(by_alias=True),
            idempotency_key=key,
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/releases/{right_id}/nominate",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Nominate the right to another organisation (holder)",
)
async def nominate_release(
    right_id: RightId,
    body: Nomination,
    org: CurrentOrg,
    ledger: LedgerDep,
    key: IdempotencyKey,
    wait: PreferWait,
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.releases.nominate(
            actor(ledger, org), bytes.fromhex(right_id[2:]), body.nominee, idempotency_key=key
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/releases/{right_id}/release-code",
    status_code=202,
    response_model=ReleaseCodeIssued,
    responses=WRITE_RESPONSES,
    summary="Issue a one-time release code for a haulier without an account (holder); shown once",
)
async def issue_release_code(
    right_id: RightId,
    body: ReleaseCodeRequest,
    org: CurrentOrg,
    ledger: LedgerDep,
    key: IdempotencyKey,
    wait: PreferWait,
) -> JSONResponse:
    issued = await run_in_threadpool(
        lambda: ledger.releases.issue_release_code(
            actor(ledger, org),
            bytes.fromhex(right_id[2:]),
            body={"rightId": right_id.lower(), **body.model_dump(by_alias=True)},
            idempotency_key=key,
        )
    )
    answer = await operation_response(ledger, issued.operation, org.key, wait)
    payload = {"operation": json.loads(bytes(answer.body)), "releaseCode": issued.code}
    return JSONResponse(
        payload, status_code=answer.status_code, headers={"Location": f"/v1/operations/{issued.operation.id}"}
    )


@router.post(
    "/v1/releases/{right_id}/gate-out",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Record gate-out (EIR out) when the container is release-ready (the right's terminal)",
)
async def gate_out(
    right_id: RightId,
    body: GateOut,
    org: CurrentOrg,
    ledger: LedgerDep,
    key: IdempotencyKey,
    wait: PreferWait,
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.releases.gate_out(
            actor(ledger, org),
            bytes.fromhex(right_id[2:]),
            _eir(body.eir),
            haulier=body.haulier,
            release_code=body.release_code,
            body={"rightId": right_id.lower(), **body.model_dump(by_alias=True)},
            idempotency_key=key,
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/releases/{right_id}/gate-in",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Record gate-in (EIR in) of the returned container (a terminal)",
)
async def gate_in(
    right_id: RightId, body: GateIn, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.releases.gate_in(
            actor(ledger, org),
            bytes.fromhex(right_id[2:]),
            _eir(body.eir),
            body={"rightId": right_id.lower(), **body.model_dump(by_alias=True)},
            idempotency_key=key,
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.get(
    "/v1/releases",
    response_model=Page[Release],
    responses=READ_RESPONSES,
    summary="Release rights your organisation may see (party to the right or to its bill), by right id",
)
async def list_releases(
    org: CurrentOrg,
    ledger: LedgerDep,
    bill_id: Annotated[
        str | None, Query(alias="billId", pattern=TITLE_ID_PATTERN, description="Rights of this title.")
    ] = None,
    container: Annotated[
        str | None,
        Query(min_length=1, max_length=20, description="Rights for this container (ISO 6346 number)."),
    ] = None,
    holder: Annotated[
        str | None, Query(pattern=ORG_ID_PATTERN, description="Rights this organisation holds now.")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`nextCursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSONResponse:
    views, next_cursor = await run_in_threadpool(
        lambda: ledger.releases.list_for(
            Actor(org.id, ""),
            bill_id=int(bill_id, 16) if bill_id else None,
            container_number=container,
            holder=holder,
            cursor=cursor,
            limit=limit,
        )
    )
    return JSONResponse({"items": [_right(v) for v in views], "nextCursor": next_cursor})


@router.get(
    "/v1/releases/{right_id}",
    response_model=Release,
    responses=READ_RESPONSES,
    summary="Read a release right and its records (parties only)",
)
async def get_release(right_id: RightId, org: CurrentOrg, ledger: LedgerDep) -> JSONResponse:
    view = await run_in_threadpool(
        lambda: ledger.releases.get(Actor(org.id, ""), bytes.fromhex(right_id[2:]))
    )
    return JSONResponse(_right(view))


@router.get(
    "/v1/containers/{container_number}/eirs",
    response_model=Page[EirView],
    responses=READ_RESPONSES,
    summary="Equipment interchange receipts of a container that your organisation is party to",
)
async def container_eirs(
    container_number: Annotated[str, Path(min_length=1, max_length=20, examples=["MSKU1234565"])],
    org: CurrentOrg,
    ledger: LedgerDep,
) -> JSONResponse:
    eirs = await run_in_threadpool(lambda: ledger.releases.eirs(Actor(org.id, ""), container_number))
    return JSONResponse({"items": [_eir_view(e) for e in eirs], "nextCursor": None})
