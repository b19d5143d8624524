"""Schemas, attestations and k-of-n agency reports (docs/design.md §1.4): register, attest, revoke, replace,
recognise, relay a report, and read what is attested about a subject.

Thin: parse, resolve the calling organisation and its signer, call :mod:`ledger.services.attestations`
or :mod:`ledger.services.reports`, answer with the operation. Attestations are consortium facts: every
member may read them (terminals check customs releases, banks credit grades).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledger.bootstrap import Ledger
from ledger.domain.schemas import ReportAction, ReportMessage
from ledger.services.attestations import (
    AttestationView,
    parse_bytes32,
    parse_subject,
)
from ledger.services.consortium import Actor
from ledger.services.errors import FieldProblem, ValidationFailed
from ledger_api.deps import CurrentOrg, IdempotencyKey, LedgerDep, Org, PreferWait, actor_of
from ledger_api.responses import operation_response
from ledger_api.schemas.attestations import (
    AttestationCreate,
    AttestationReplace,
    ReportAccepted,
    ReportSubmit,
    SchemaAccepted,
    SchemaCreate,
)
from ledger_api.schemas.attestations import AttestationView as AttestationBody
from ledger_api.schemas.common import Page, problem_responses
from ledger_api.schemas.operations import Operation

router = APIRouter(tags=["attestations"])

Uid = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="The attestation uid.")]
WRITE_RESPONSES = problem_responses(401, 404, 409, 413, 415, 422)
READ_RESPONSES = problem_responses(401, 404, 422)


def actor(ledger: Ledger, org: Org) -> Actor:
    return actor_of(ledger, org)


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _view(a: AttestationView) -> dict[str, Any]:
    return {
        "uid": _hex(a.uid),
        "schemaId": _hex(a.schema_id),
        "schemaName": a.schema_name,
        "subject": _hex(a.subject),
        "attester": str(a.attester),
        "refUid": _hex(a.ref_uid) if any(a.ref_uid) else None,
        "time": a.time,
        "expirationTime": a.expiration_time,
        "revocationTime": a.revocation_time,
        "recognitions": a.recognitions,
        "effective": a.effective,
        "data": _hex(a.data),
        "fields": a.fields,
        "blockNumber": a.block_number,
        "txHash": a.tx_hash,
    }


@router.post(
    "/v1/schemas",
    status_code=202,
    response_model=SchemaAccepted,
    responses=WRITE_RESPONSES,
    summary="Register an attestation schema (governors and the port authority)",
)
async def register_schema(
    body: SchemaCreate, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    op, schema_id = await run_in_threadpool(
        lambda: ledger.attestations.register_schema(
            actor(ledger, org),
            name=body.name,
            definition=body.definition,
            revocable=body.revocable,
            expiring=body.expiring,
            attester_roles=body.attester_roles,
            required_recognitions=body.required_recognitions,
            body=body.model_dump(by_alias=True),
            idempotency_key=key,
        )
    )
    answer = await operation_response(ledger, op, org.key, wait)
    return JSONResponse(
        {"operation": json.loads(bytes(answer.body)), "schemaId": _hex(schema_id)},
        status_code=answer.status_code,
        headers={"Location": f"/v1/operations/{op.id}"},
    )


@router.post(
    "/v1/attestations",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Attest as your organisation (accredited for the schema)",
)
async def attest(
    body: AttestationCreate, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    def run() -> str:
        service = ledger.attestations
        schema_id = parse_bytes32(body.schema_id, "$.schemaId")
        subject = parse_subject(body.subject)
        data = service.encode_data(schema_id, body.data)
        ref = parse_bytes32(body.ref_uid, "$.refUid") if body.ref_uid else b"\x00" * 32
        op = service.attest(
            actor(ledger, org),
            schema_id,
            subject,
            data,
            ref,
            body=body.model_dump(by_alias=True),
            idempotency_key=key,
        )
        return op.id

    op_id = await run_in_threadpool(run)
    return await operation_response(ledger, op_id, org.key, wait)


@router.post(
    "/v1/attestations/{uid}/revoke",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Revoke an attestation of your organisation (revocable schemas)",
)
async def revoke(
    uid: Uid, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.attestations.revoke(actor(ledger, org), bytes.fromhex(uid[2:]), idempotency_key=key)
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/attestations/{uid}/replace",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Replace an attestation of your organisation in one step (same schema and subject)",
)
async def replace(
    uid: Uid,
    body: AttestationReplace,
    org: CurrentOrg,
    ledger: LedgerDep,
    key: IdempotencyKey,
    wait: PreferWait,
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.attestations.replace(
            actor(ledger, org),
            bytes.fromhex(uid[2:]),
            body.data,
            body={"uid": uid.lower(), **body.model_dump(by_alias=True)},
            idempotency_key=key,
        )
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/attestations/{uid}/recognise",
    status_code=202,
    response_model=Operation,
    responses=WRITE_RESPONSES,
    summary="Recognise another organisation's attestation (mutual recognition)",
)
async def recognise(
    uid: Uid, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    op = await run_in_threadpool(
        lambda: ledger.attestations.recognise(actor(ledger, org), bytes.fromhex(uid[2:]), idempotency_key=key)
    )
    return await operation_response(ledger, op, org.key, wait)


@router.post(
    "/v1/reports",
    status_code=202,
    response_model=Operation,
    responses={
        **WRITE_RESPONSES,
        200: {
            "model": ReportAccepted,
            "description": "Accepted earlier, relayed by another organisation or node: no-op, the uid only",
        },
    },
    summary="Relay a k-of-n signed agency report (anyone may relay)",
)
async def submit_report(
    body: ReportSubmit, org: CurrentOrg, ledger: LedgerDep, key: IdempotencyKey, wait: PreferWait
) -> JSONResponse:
    def run() -> tuple[str | None, bytes | None]:
        schema_id = parse_bytes32(body.schema_id, "$.schema")
        data = ledger.attestations.encode_data(schema_id, body.data)
        signatures = []
        problems = []
        for i, text in enumerate(body.signatures):
            raw = text.removeprefix("0x")
            try:
                signatures.append(bytes.fromhex(raw))
            except ValueError:
                problems.append(FieldProblem(f"$.signatures[{i}]", "hex", "a signature is 65 bytes of hex"))
        if problems:
            raise ValidationFailed(problems)
        if body.action == "REVOKE" and body.target is None:
            raise ValidationFailed([FieldProblem("$.target", "required", "REVOKE names the uid it revokes")])
        report = ReportMessage(
            agency=ledger.organisations.get(body.agency, "$.agency").id,
            schema=schema_id,
            subject=parse_subject(body.subject),
            source_id=parse_bytes32(body.source_id, "$.sourceId"),
            sequence=body.sequence,
            data=data,
            deadline=body.deadline,
            action=ReportAction[body.action],
            target=parse_bytes32(body.target, "$.target") if body.target else b"\x00" * 32,
        )
        outcome = ledger.reports.submit(
            report,
            signatures,
            relayer=actor(ledger, org),
            body=body.model_dump(by_alias=True),
            idempotency_key=key,
        )
        return (outcome.operation.id if outcome.operation else None), outcome.existing_uid

    op_id, existing = await run_in_threadpool(run)
    if op_id is None:
        assert existing is not None
        # A replay: answer with the operation that made the attestation when it is this caller's own.
        original = await run_in_threadpool(ledger.reports.made_by, existing, actor(ledger, org))
        if original is None:
            answer = {"alreadyAccepted": True, "uid": _hex(existing), "operation": None}
            return JSONResponse(answer, status_code=200)
        op_id = original.id
    return await operation_response(ledger, op_id, org.key, wait)


@router.get(
    "/v1/subjects/{subject}/attestations",
    response_model=Page[AttestationBody],
    responses=READ_RESPONSES,
    summary="Attestations about a subject (a title id, an ISO 6346 container number or an organisation id)",
)
async def subject_attestations(
    subject: Annotated[str, Path(min_length=1, max_length=66)],
    org: CurrentOrg,
    ledger: LedgerDep,
    schema: Annotated[
        str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$", description="Only this schema")
    ] = None,
) -> JSONResponse:
    def run() -> list[AttestationView]:
        parsed = parse_subject(subject, "path:subject")
        schema_id = bytes.fromhex(schema[2:]) if schema else None
        views = ledger.attestations.about(parsed, schema_id)
        # The facts table: only what the caller may see of this subject (nothing else is said of it).
        return ledger.audiences.visible_facts(ledger.db, org.id, views)

    views = await run_in_threadpool(run)
    return JSONResponse({"items": [_view(v) for v in views], "nextCursor": None})
