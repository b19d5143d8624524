"""Projections: one function per contract event, turning a stored log into read-model rows.

Owns how each event changes the read models, and nothing else: no chain access, no transaction
handling (the indexer gives every function the session of the transaction that also stores the log
and moves the checkpoint). A function is called exactly once per log — the event-log row keyed by
(tx hash, log index) is the applied-event marker — and again, in the same order, when a rewind
replays the stored log, so each one is a pure function of the rows before it and the event.

The title state mirrors ``BillOfLadingRegistry`` field by field (``bill(id)``), so that
``portledger reconcile`` can compare them; the rules themselves stay on chain: every ``BillActed``
carries the title's state after the action, which the projection applies as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from ledger.domain.bill_state import BillState, unpack_state
from ledger.domain.codes import BILL_KIND, BILL_STATUS, PROPOSAL_KIND
from ledger.index.models import (
    Account,
    Attestation,
    AttestationSchema,
    Bill,
    BillHistory,
    Eir,
    Organisation,
    Pledge,
    Proposal,
    ReleaseRight,
)

ZERO32 = "0x" + "00" * 32


@dataclass(frozen=True)
class Logged:
    """A log as projections see it: JSON-safe arguments (see :func:`json_args`) and its block time."""

    contract: str
    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    time: int


Projection = Callable[[Session, Logged], None]
M = TypeVar("M", bound=SQLModel)
_ROWS = "index_rows"


def _get(session: Session, model: type[M], key: Any) -> M | None:
    """A row by primary key, also when it was added earlier in this transaction and not yet flushed.

    Rows created by projections are remembered in the session (see :func:`_put`), so lookups need
    no flush: the inserts of a whole block range go to the database in a few batched statements.
    """
    rows: dict[tuple[type[SQLModel], Any], SQLModel] = session.info.setdefault(_ROWS, {})
    found = rows.get((model, key))
    if found is not None:
        return found  # type: ignore[return-value]
    with session.no_autoflush:
        row = session.get(model, key)
    if row is not None:
        rows[(model, key)] = row
    return row


def _put(session: Session, row: SQLModel, key: Any) -> None:
    session.info.setdefault(_ROWS, {})[(type(row), key)] = row
    session.add(row)


def forget_rows(session: Session) -> None:
    """Drop the remembered rows (after bulk deletes that bypass the ORM)."""
    session.info.pop(_ROWS, None)


# ------------------------------------------------------------------------------------ value helpers

_JSON_INT_LIMIT = 2**53


def json_value(value: Any) -> Any:
    """Decoded ABI values → JSON: bytes as 0x-hex, integers beyond 2**53 as 0x-hex, structs as dicts."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < _JSON_INT_LIMIT else f"0x{value:064x}"
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    raise TypeError(f"cannot store a {type(value).__name__} in the event log")


def json_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: json_value(v) for k, v in args.items()}


def as_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16)


def hex32(value: Any) -> str:
    """A uint256 or bytes32 argument as 0x-prefixed 32-byte hex (title ids, uids, right ids)."""
    return f"0x{as_int(value):064x}"


def opt_hex32(value: Any) -> str | None:
    text = hex32(value)
    return None if text == ZERO32 else text


def opt_org(value: Any) -> int | None:
    org = as_int(value)
    return org or None


# ------------------------------------------------------------------------------------ consortium


def _organisation(session: Session, org: Any) -> Organisation:
    row = _get(session, Organisation, as_int(org))
    if row is None:
        raise LookupError(f"event for organisation {org} before its OrganisationAdmitted")
    return row


def organisation_admitted(session: Session, e: Logged) -> None:
    a = e.args
    _put(
        session,
        Organisation(
            id=as_int(a["org"]),
            legal_id=a["legalId"],
            name=a["name"],
            roles=a["roles"],
            suspended=False,
            admin=a["admin"],
            encryption_key=hex32(a["encryptionKey"]),
            admitted_at=e.time,
            admitted_by_proposal=as_int(a["proposalId"]),
            updated_block=e.block_number,
        ),
        as_int(a["org"]),
    )


def organisation_suspended(session: Session, e: Logged) -> None:
    row = _organisation(session, e.args["org"])
    row.suspended = True
    row.updated_block = e.block_number
    session.add(row)


def organisation_reinstated(session: Session, e: Logged) -> None:
    row = _organisation(session, e.args["org"])
    row.suspended = False
    row.updated_block = e.block_number
    session.add(row)


def role_changed(session: Session, e: Logged) -> None:
    """RoleGranted and RoleRevoked carry the organisation's whole new role set."""
    row = _organisation(session, e.args["org"])
    row.roles = e.args["roles"]
    row.updated_block = e.block_number
    session.add(row)


def admin_changed(session: Session, e: Logged) -> None:
    row = _organisation(session, e.args["org"])
    row.admin = e.args["admin"]
    row.updated_block = e.block_number
    session.add(row)


def encryption_key_changed(session: Session, e: Logged) -> None:
    row = _organisation(session, e.args["org"])
    row.encryption_key = hex32(e.args["encryptionKey"])
    row.updated_block = e.block_number
    session.add(row)


def account_added(session: Session, e: Logged) -> None:
    account = Account(address=e.args["account"], org=as_int(e.args["org"]), added_block=e.block_number)
    _put(session, account, account.address)


def account_removed(session: Session, e: Logged) -> None:
    row = _get(session, Account, e.args["account"])
    if row is not None:
        session.info.get(_ROWS, {}).pop((Account, row.address), None)
        session.delete(row)


def proposal_created(session: Session, e: Logged) -> None:
    a = e.args
    _put(
        session,
        Proposal(
            id=as_int(a["proposalId"]),
            kind=PROPOSAL_KIND[a["kind"]],
            proposer=a["proposer"],
            data=a["data"],
            approvals=0,
            approvers=[],
            executed=False,
            created_at=e.time,
        ),
        as_int(a["proposalId"]),
    )


def proposal_approved(session: Session, e: Logged) -> None:
    row = _get(session, Proposal, as_int(e.args["proposalId"]))
    if row is None:
        raise LookupError(f"approval of unknown proposal {e.args['proposalId']}")
    row.approvals = e.args["approvals"]
    row.approvers = [*row.approvers, e.args["governor"]]
    session.add(row)


def proposal_executed(session: Session, e: Logged) -> None:
    row = _get(session, Proposal, as_int(e.args["proposalId"]))
    if row is None:
        raise LookupError(f"execution of unknown proposal {e.args['proposalId']}")
    row.executed = True
    row.executed_block = e.block_number
    session.add(row)


# ------------------------------------------------------------------------------------ bills


def _bill(session: Session, bill_id: Any) -> Bill:
    row = _get(session, Bill, hex32(bill_id))
    if row is None:
        raise LookupError(f"action on title {hex32(bill_id)} before its BillIssued")
    return row


def _open_pledge(session: Session, bill_id: str) -> Pledge | None:
    return session.exec(
        select(Pledge).where(Pledge.bill_id == bill_id, col(Pledge.status).in_(("REQUESTED", "ACTIVE")))
    ).first()


def _clear_pledge(bill: Bill) -> None:
    bill.pledge_status = "NONE"
    bill.pledgee = None
    bill.pledge_nonce = None
    bill.pledge_amount = None
    bill.pledge_currency = None
    bill.pledge_registration_ref = None
    bill.pledge_accept_by = None
    bill.pledge_maturity = None
    bill.pledge_notice_period = None
    bill.pledge_terms_hash = None
    bill.pledge_accepted_at = None


def _close_pledge(session: Session, bill: Bill, status: str, e: Logged) -> None:
    pledge = _open_pledge(session, bill.id)
    if pledge is not None:
        pledge.status = status
        pledge.closed_block = e.block_number
        session.add(pledge)
    _clear_pledge(bill)


def bill_issued(session: Session, e: Logged) -> None:
    a = e.args
    bill_id = hex32(a["billId"])
    row = _get(session, Bill, bill_id)
    if row is None:
        # Parties are set by the BillActed(ISSUE) that follows in the same transaction.
        row = Bill(
            id=bill_id,
            carrier=as_int(a["carrier"]),
            transport_document_reference=a["transportDocumentReference"],
            kind=BILL_KIND[a["kind"]],
            status="ISSUED",
            consignee=opt_org(a["consignee"]),
            version=a["version"],
            checksum=hex32(a["checksum"]),
            container_root=str(a["containerRoot"]),
            version_issued_at=e.time,
            cid=a["cid"],
            issued_block=e.block_number,
            updated_block=e.block_number,
            updated_tx=e.tx_hash,
        )
    else:  # re-issue of the amended version: same reference (not repeated in the event)
        row.version = a["version"]
        row.checksum = hex32(a["checksum"])
        row.container_root = str(a["containerRoot"])
        row.version_issued_at = e.time
        row.cid = a["cid"]
        row.updated_block = e.block_number
        row.updated_tx = e.tx_hash
    _put(session, row, bill_id)


def bill_pledge_requested(session: Session, e: Logged) -> None:
    a = e.args
    bill = _bill(session, a["billId"])
    # A request recorded before this one lapsed (the registry cleared it without an event).
    if bill.pledge_status == "REQUESTED":
        _close_pledge(session, bill, "LAPSED", e)
    terms = a["terms"]
    amount = str(as_int(terms["amount"]))
    currency = bytes.fromhex(str(terms["currency"])[2:]).decode("ascii", errors="replace")
    pledge = Pledge(
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        bill_id=bill.id,
        pledgee=as_int(a["pledgee"]),
        nonce=as_int(a["nonce"]),
        pledgor=as_int(a["pledgor"]),
        amount=amount,
        currency=currency,
        registration_ref=hex32(terms["registrationRef"]),
        accept_by=as_int(terms["acceptBy"]),
        maturity=as_int(terms["maturity"]),
        notice_period=as_int(terms["noticePeriod"]),
        terms_hash=hex32(a["termsHash"]),
        status="REQUESTED",
        requested_block=e.block_number,
    )
    session.add(pledge)
    bill.pledge_status = "REQUESTED"
    bill.pledgee = pledge.pledgee
    bill.pledge_nonce = pledge.nonce
    bill.pledge_amount = amount
    bill.pledge_currency = currency
    bill.pledge_registration_ref = pledge.registration_ref
    bill.pledge_accept_by = pledge.accept_by
    bill.pledge_maturity = pledge.maturity
    bill.pledge_notice_period = pledge.notice_period
    bill.pledge_terms_hash = pledge.terms_hash
    bill.updated_block = e.block_number
    bill.updated_tx = e.tx_hash
    session.add(bill)


def _apply_pledge(session: Session, bill: Bill, state: BillState, e: Logged) -> None:
    """The pledge overlay after the action: what ended a recorded pledge, or made it active."""
    if state.pledge_status == "ACTIVE" and bill.pledge_status != "ACTIVE":
        bill.pledge_accepted_at = e.time
        pledge = _open_pledge(session, bill.id)
        if pledge is not None:
            pledge.status = "ACTIVE"
            pledge.accepted_at = e.time
            session.add(pledge)
    elif state.pledge_status == "NONE" and bill.pledge_status != "NONE":
        ended = {"RELEASE_PLEDGE": "RELEASED", "ENFORCE_PLEDGE": "ENFORCED"}
        # Any other action that found a recorded request cleared it because it had lapsed.
        _close_pledge(session, bill, ended.get(state.action, "LAPSED"), e)
    bill.pledge_status = state.pledge_status
    bill.pledgee = state.pledgee or None


def bill_acted(session: Session, e: Logged) -> None:
    a = e.args
    bill = _bill(session, a["billId"])
    state = unpack_state(as_int(a["state"]))
    actor, recipient = as_int(a["actor"]), as_int(a["recipient"])
    session.add(
        BillHistory(
            tx_hash=e.tx_hash,
            log_index=e.log_index,
            bill_id=bill.id,
            block_number=e.block_number,
            time=e.time,
            actor=actor,
            recipient=recipient or None,
            action_code=state.action,
            reason_code=None if state.reason == "NONE" else state.reason,
            remark_hash=opt_hex32(a["remarkHash"]),
            version=bill.version,
        )
    )
    _apply_pledge(session, bill, state, e)
    bill.status = state.status
    bill.possessor = state.possessor or None
    bill.holder = state.holder or None
    bill.prev_possessor = state.prev_possessor or None
    bill.prev_holder = state.prev_holder or None
    bill.version = state.version
    bill.flags = state.flags
    bill.updated_block = e.block_number
    bill.updated_tx = e.tx_hash
    session.add(bill)


# ------------------------------------------------------------------------------------ release


def _right(session: Session, right_id: Any) -> ReleaseRight:
    row = _get(session, ReleaseRight, hex32(right_id))
    if row is None:
        raise LookupError(f"event of release right {hex32(right_id)} before its ReleaseGranted")
    return row


def _advance(row: ReleaseRight, e: Logged) -> None:
    row.step += 1
    row.last_record_id = hex32(e.args["recordId"])
    row.updated_block = e.block_number


def release_granted(session: Session, e: Logged) -> None:
    a = e.args
    right_id = hex32(a["rightId"])
    row = _get(session, ReleaseRight, right_id)
    step = 1 if row is None else row.step + 1
    fresh = ReleaseRight(
        id=right_id,
        bill_id=hex32(a["billId"]),
        container_number=a["containerNumber"],
        carrier=as_int(a["carrier"]),
        holder=as_int(a["holder"]),
        terminal=as_int(a["terms"]["terminal"]),
        depot=opt_org(a["terms"]["depot"]),
        valid_from=as_int(a["terms"]["validFrom"]),
        valid_until=as_int(a["terms"]["validUntil"]),
        status="GRANTED",
        step=step,
        last_record_id=hex32(a["recordId"]),
        code_hash=None,
        updated_block=e.block_number,
    )
    if row is None:
        _put(session, fresh, right_id)
    else:
        for field in ReleaseRight.model_fields:
            setattr(row, field, getattr(fresh, field))
        session.add(row)


def release_nominated(session: Session, e: Logged) -> None:
    row = _right(session, e.args["rightId"])
    _advance(row, e)
    row.holder = as_int(e.args["to"])
    row.code_hash = None
    session.add(row)


def release_code_set(session: Session, e: Logged) -> None:
    row = _right(session, e.args["rightId"])
    _advance(row, e)
    row.code_hash = opt_hex32(e.args["codeHash"])
    session.add(row)


def release_revoked(session: Session, e: Logged) -> None:
    row = _right(session, e.args["rightId"])
    _advance(row, e)
    row.status = "REVOKED"
    row.code_hash = None
    session.add(row)


def _eir(e: Logged, direction: str, terminal: int, haulier: int | None, by_code: bool, customs: Any) -> Eir:
    a = e.args
    eir = a["eir"]
    return Eir(
        record_id=hex32(a["recordId"]),
        previous_record_id=hex32(a["previousRecordId"]),
        right_id=hex32(a["rightId"]),
        bill_id=hex32(a["billId"]),
        direction=direction,
        container_number=a["containerNumber"],
        terminal=terminal,
        haulier=haulier,
        by_release_code=by_code,
        customs_release=opt_hex32(customs) if customs is not None else None,
        laden=bool(eir["laden"]),
        seals_hash=opt_hex32(eir["sealsHash"]),
        damage_codes=list(eir["damageCodes"]),
        truck_plate_hash=opt_hex32(eir["truckPlateHash"]),
        event_time=as_int(eir["eventTime"]),
        eir_checksum=hex32(eir["eirChecksum"]),
        block_number=e.block_number,
        time=e.time,
        tx_hash=e.tx_hash,
    )


def gated_out(session: Session, e: Logged) -> None:
    a = e.args
    row = _right(session, a["rightId"])
    _advance(row, e)
    row.status = "GATED_OUT"
    session.add(row)
    session.add(
        _eir(
            e,
            "OUT",
            as_int(a["terminal"]),
            opt_org(a["haulier"]),
            bool(a["byReleaseCode"]),
            a["customsRelease"],
        )
    )


def gated_in(session: Session, e: Logged) -> None:
    a = e.args
    row = _right(session, a["rightId"])
    _advance(row, e)
    row.status = "GATED_IN"
    session.add(row)
    session.add(_eir(e, "IN", as_int(a["terminal"]), None, False, None))


# ------------------------------------------------------------------------------------ attestations


def schema_registered(session: Session, e: Logged) -> None:
    a = e.args
    record = a["record"]
    _put(
        session,
        AttestationSchema(
            id=hex32(a["schemaId"]),
            name=record["name"],
            definition=record["definition"],
            revocable=record["revocable"],
            expiring=record["expiring"],
            reports_only=record["reportsOnly"],
            permanent=record["permanent"],
            attester_roles=record["attesterRoles"],
            required_recognitions=record["requiredRecognitions"],
            active=True,
        ),
        hex32(a["schemaId"]),
    )


def schema_active_changed(session: Session, e: Logged) -> None:
    row = _get(session, AttestationSchema, hex32(e.args["schemaId"]))
    if row is not None:
        row.active = bool(e.args["active"])
        session.add(row)


def attested(session: Session, e: Logged) -> None:
    a = e.args
    _put(
        session,
        Attestation(
            uid=hex32(a["uid"]),
            schema_id=hex32(a["schemaId"]),
            subject=hex32(a["subject"]),
            attester=as_int(a["attester"]),
            ref_uid=opt_hex32(a["refUID"]),
            time=e.time,
            expiration_time=as_int(a["expirationTime"]),
            revocation_time=0,
            recognitions=0,
            data=a["data"],
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        ),
        hex32(a["uid"]),
    )


def _attestation(session: Session, uid: Any) -> Attestation:
    row = _get(session, Attestation, hex32(uid))
    if row is None:
        raise LookupError(f"event of attestation {hex32(uid)} before its Attested")
    return row


def revoked(session: Session, e: Logged) -> None:
    row = _attestation(session, e.args["uid"])
    row.revocation_time = e.time
    session.add(row)


def replaced(session: Session, e: Logged) -> None:
    row = _attestation(session, e.args["oldUid"])
    row.replaced_by = hex32(e.args["newUid"])
    session.add(row)


def recognised(session: Session, e: Logged) -> None:
    row = _attestation(session, e.args["uid"])
    row.recognitions = e.args["recognitions"]
    session.add(row)


# ------------------------------------------------------------------------------------ dispatch

PROJECTIONS: dict[tuple[str, str], Projection] = {
    ("Consortium", "OrganisationAdmitted"): organisation_admitted,
    ("Consortium", "OrganisationSuspended"): organisation_suspended,
    ("Consortium", "OrganisationReinstated"): organisation_reinstated,
    ("Consortium", "RoleGranted"): role_changed,
    ("Consortium", "RoleRevoked"): role_changed,
    ("Consortium", "AdminChanged"): admin_changed,
    ("Consortium", "EncryptionKeyChanged"): encryption_key_changed,
    ("Consortium", "AccountAdded"): account_added,
    ("Consortium", "AccountRemoved"): account_removed,
    ("Consortium", "ProposalCreated"): proposal_created,
    ("Consortium", "ProposalApproved"): proposal_approved,
    ("Consortium", "ProposalExecuted"): proposal_executed,
    ("BillOfLadingRegistry", "BillIssued"): bill_issued,
    ("BillOfLadingRegistry", "BillActed"): bill_acted,
    ("BillOfLadingRegistry", "BillPledgeRequested"): bill_pledge_requested,
    ("ContainerRelease", "ReleaseGranted"): release_granted,
    ("ContainerRelease", "ReleaseNominated"): release_nominated,
    ("ContainerRelease", "ReleaseCodeSet"): release_code_set,
    ("ContainerRelease", "ReleaseRevoked"): release_revoked,
    ("ContainerRelease", "GatedOut"): gated_out,
    ("ContainerRelease", "GatedIn"): gated_in,
    ("AttestationRegistry", "SchemaRegistered"): schema_registered,
    ("AttestationRegistry", "SchemaActiveChanged"): schema_active_changed,
    ("AttestationRegistry", "Attested"): attested,
    ("AttestationRegistry", "Revoked"): revoked,
    ("AttestationRegistry", "Replaced"): replaced,
    ("AttestationRegistry", "Recognised"): recognised,
}
"""(contract, event) → projection. Events not listed (governors, threshold, nodes, caches, report
signer sets, accepted reports, the ERC-721 ``Transfer``, whose possession change the following
``BillActed`` state carries) are kept in the event log only."""


def project(session: Session, event: Logged) -> None:
    """Apply one stored log to the read models (no-op for events kept only in the log)."""
    projection = PROJECTIONS.get((event.contract, event.name))
    if projection is not None:
        projection(session, event)


__all__ = ["BILL_STATUS", "PROJECTIONS", "Logged", "json_args", "project"]
