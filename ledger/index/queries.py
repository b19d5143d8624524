"""Read functions over the index, the only way the API and services read the read models.

Owns lookups by id, filters and cursor pagination. Lists answer ``(items, next_cursor)``: the cursor is
opaque (URL-safe base64 of the last item's sort key), stable while rows change (keyset pagination on
an immutable key), and ``None`` on the last page. Nothing here writes or talks to the chain.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import exists, or_, tuple_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from ledger.chain.deployment import CONTAINER_RELEASE
from ledger.db import Database
from ledger.index.models import (
    Account,
    Attestation,
    AttestationSchema,
    Bill,
    BillHistory,
    Eir,
    IndexEvent,
    Organisation,
    Pledge,
    Proposal,
    ReleaseRight,
)
from ledger.index.projections import hex32

T = TypeVar("T", bound=SQLModel)
Page = tuple[list[T], str | None]
BillRole = Literal["possessor", "holder", "carrier", "pledgee"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class InvalidCursor(ValueError):
    """The cursor was not produced by this index (or was altered)."""


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(f"not a cursor of this list: {cursor!r}") from exc
    if not isinstance(key, list) or len(key) != size:
        raise InvalidCursor(f"not a cursor of this list: {cursor!r}")
    return key


def _page(
    db: Database,
    query: SelectOfScalar[T],
    keys: Sequence[Any],
    names: Sequence[str],
    cursor: str | None,
    limit: int,
) -> Page[T]:
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor is not None:
        after = decode_cursor(cursor, len(keys))
        query = query.where(tuple_(*keys) > tuple_(*after))
    query = query.order_by(*keys).limit(limit + 1)
    with db.transaction() as session:
        rows = list(session.exec(query).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, n) for n in names])


def _id(value: str | int) -> str:
    return hex32(value)


# ------------------------------------------------------------------------------------ bills


def get_bill(db: Database, bill_id: str | int) -> Bill | None:
    with db.transaction() as session:
        return session.get(Bill, _id(bill_id))


def get_bill_by_reference(db: Database, carrier: int, transport_document_reference: str) -> Bill | None:
    with db.transaction() as session:
        return session.exec(
            select(Bill).where(
                Bill.carrier == carrier, Bill.transport_document_reference == transport_document_reference
            )
        ).first()


def list_bills(
    db: Database,
    *,
    org: int | None = None,
    role: BillRole | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Bill]:
    """Titles by id; with ``org``, those where it is the ``role`` (any of them when ``role`` is None)."""
    query = select(Bill)
    if role is not None and org is None:
        raise ValueError("a role filter needs the organisation")
    if org is not None:
        columns: dict[str, ColumnElement[bool]] = {
            "possessor": col(Bill.possessor) == org,
            "holder": col(Bill.holder) == org,
            "carrier": col(Bill.carrier) == org,
            "pledgee": col(Bill.pledgee) == org,
        }
        query = query.where(columns[role] if role else or_(*columns.values()))
    if status is not None:
        query = query.where(Bill.status == status)
    return _page(db, query, [col(Bill.id)], ["id"], cursor, limit)


def may_know_bill(db: Database, bill_id: str | int, org: int) -> bool:
    """Whether ``org`` is or was a party of the title (its carrier, possessor, holder, consignee or
    pledgee now, an actor or recipient of its history, or the bank of one of its pledges): one query."""
    key = _id(bill_id)
    party = or_(
        col(Bill.carrier) == org,
        col(Bill.possessor) == org,
        col(Bill.holder) == org,
        col(Bill.consignee) == org,
        col(Bill.pledgee) == org,
    )
    query = select(
        or_(
            exists().where(col(Bill.id) == key, party),
            exists().where(
                col(BillHistory.bill_id) == key,
                or_(col(BillHistory.actor) == org, col(BillHistory.recipient) == org),
            ),
            exists().where(col(Pledge.bill_id) == key, col(Pledge.pledgee) == org),
        )
    )
    with db.transaction() as session:
        return bool(session.exec(query).one())


def issued_version(db: Database, bill_id: str | int, version: int) -> dict[str, Any] | None:
    """The ``BillIssued`` arguments of one version of the title (its CID, checksum, reference), or
    None: the event beside the history entry of that version's issue or re-issue."""
    key = _id(bill_id)
    with db.transaction() as session:
        hashes = session.exec(
            select(BillHistory.tx_hash).where(BillHistory.bill_id == key, BillHistory.version == version)
        ).all()
        if not hashes:
            return None
        for event in session.exec(
            select(IndexEvent).where(col(IndexEvent.tx_hash).in_(hashes), IndexEvent.name == "BillIssued")
        ).all():
            if hex32(event.args["billId"]) == key and int(event.args["version"]) == version:
                return dict(event.args)
    return None


def bill_history(
    db: Database, bill_id: str | int, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[BillHistory]:
    """The endorsement chain of a title, oldest first."""
    query = select(BillHistory).where(BillHistory.bill_id == _id(bill_id))
    keys = [col(BillHistory.block_number), col(BillHistory.log_index)]
    return _page(db, query, keys, ["block_number", "log_index"], cursor, limit)


def get_pledge(db: Database, bill_id: str | int, nonce: int) -> Pledge | None:
    """The pledge request of a title with this pledge nonce (each request has the next nonce)."""
    with db.transaction() as session:
        return session.exec(
            select(Pledge).where(Pledge.bill_id == _id(bill_id), Pledge.nonce == nonce)
        ).first()


def list_pledges(
    db: Database,
    *,
    bill_id: str | int | None = None,
    pledgee: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Pledge]:
    query = select(Pledge)
    if bill_id is not None:
        query = query.where(Pledge.bill_id == _id(bill_id))
    if pledgee is not None:
        query = query.where(Pledge.pledgee == pledgee)
    if status is not None:
        query = query.where(Pledge.status == status)
    keys = [col(Pledge.requested_block), col(Pledge.tx_hash), col(Pledge.log_index)]
    return _page(db, query, keys, ["requested_block", "tx_hash", "log_index"], cursor, limit)


# ------------------------------------------------------------------------------------ release


def get_release_right(db: Database, right_id: str) -> ReleaseRight | None:
    with db.transaction() as session:
        return session.get(ReleaseRight, _id(right_id))


def release_events(db: Database, right_id: str) -> list[IndexEvent]:
    """The release contract's events about one right (grant, nominations, codes, revocation, gates),
    in log order."""
    key = _id(right_id)
    with db.transaction() as session:
        return list(
            session.exec(
                select(IndexEvent)
                .where(
                    IndexEvent.contract == CONTAINER_RELEASE,
                    col(IndexEvent.args)["rightId"].as_string() == key,
                )
                .order_by(col(IndexEvent.block_number), col(IndexEvent.log_index))
            ).all()
        )


def list_release_rights(
    db: Database,
    *,
    bill_id: str | int | None = None,
    holder: int | None = None,
    terminal: int | None = None,
    container_number: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[ReleaseRight]:
    query = select(ReleaseRight)
    if bill_id is not None:
        query = query.where(ReleaseRight.bill_id == _id(bill_id))
    if holder is not None:
        query = query.where(ReleaseRight.holder == holder)
    if terminal is not None:
        query = query.where(ReleaseRight.terminal == terminal)
    if container_number is not None:
        query = query.where(ReleaseRight.container_number == container_number)
    if status is not None:
        query = query.where(ReleaseRight.status == status)
    return _page(db, query, [col(ReleaseRight.id)], ["id"], cursor, limit)


def list_eirs(
    db: Database,
    *,
    right_id: str | None = None,
    bill_id: str | int | None = None,
    container_number: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Eir]:
    """Gate-out and gate-in records, oldest first."""
    query = select(Eir)
    if right_id is not None:
        query = query.where(Eir.right_id == _id(right_id))
    if bill_id is not None:
        query = query.where(Eir.bill_id == _id(bill_id))
    if container_number is not None:
        query = query.where(Eir.container_number == container_number)
    keys = [col(Eir.block_number), col(Eir.record_id)]
    return _page(db, query, keys, ["block_number", "record_id"], cursor, limit)


# ------------------------------------------------------------------------------------ attestations


def get_attestation(db: Database, uid: str) -> Attestation | None:
    with db.transaction() as session:
        return session.get(Attestation, _id(uid))


def list_attestations(
    db: Database,
    *,
    subject: str | None = None,
    schema_id: str | None = None,
    attester: int | None = None,
    revoked: bool | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Attestation]:
    """Attestations oldest first; ``revoked`` True/False keeps only revoked / unrevoked ones."""
    query = select(Attestation)
    if subject is not None:
        query = query.where(Attestation.subject == _id(subject))
    if schema_id is not None:
        query = query.where(Attestation.schema_id == _id(schema_id))
    if attester is not None:
        query = query.where(Attestation.attester == attester)
    if revoked is True:
        query = query.where(col(Attestation.revocation_time) > 0)
    elif revoked is False:
        query = query.where(col(Attestation.revocation_time) == 0)
    keys = [col(Attestation.block_number), col(Attestation.uid)]
    return _page(db, query, keys, ["block_number", "uid"], cursor, limit)


def list_schemas(db: Database) -> list[AttestationSchema]:
    with db.transaction() as session:
        return list(session.exec(select(AttestationSchema).order_by(col(AttestationSchema.name))).all())


# ------------------------------------------------------------------------------------ consortium


def get_organisation(db: Database, org: int) -> Organisation | None:
    with db.transaction() as session:
        return session.get(Organisation, org)


def list_organisations(
    db: Database, *, suspended: bool | None = None, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Organisation]:
    query = select(Organisation)
    if suspended is not None:
        query = query.where(Organisation.suspended == suspended)
    return _page(db, query, [col(Organisation.id)], ["id"], cursor, limit)


def list_accounts(
    db: Database, *, org: int | None = None, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Account]:
    query = select(Account)
    if org is not None:
        query = query.where(Account.org == org)
    return _page(db, query, [col(Account.address)], ["address"], cursor, limit)


def organisation_of(db: Database, account: str) -> int | None:
    """The organisation a member account acts for (addresses compare case-insensitively)."""
    with db.transaction() as session:
        row = session.exec(
            select(Account).where(col(Account.address).ilike(account))  # checksummed vs lower case
        ).first()
    return row.org if row else None


def get_proposal(db: Database, proposal_id: int) -> Proposal | None:
    with db.transaction() as session:
        return session.get(Proposal, proposal_id)


def list_proposals(
    db: Database, *, executed: bool | None = None, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Proposal]:
    query = select(Proposal)
    if executed is not None:
        query = query.where(Proposal.executed == executed)
    return _page(db, query, [col(Proposal.id)], ["id"], cursor, limit)
