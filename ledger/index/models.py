"""Read-model tables of the event indexer: the event log, checkpoints and one table per noun.

Owns the SQL shape of what the index knows. Rows are written only by
:mod:`ledger.index.projections` (through the indexer) and read through :mod:`ledger.index.queries`;
nothing here talks to the chain. Ids are stored as the API shows them: titles, attestations, rights,
records and schemas as 0x-prefixed 32-byte hex, organisations as their consortium number, accounts as
checksummed addresses. A party that is absent on chain (organisation 0) is ``None`` here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer
from sqlmodel import Field, SQLModel

HEX32 = 66
ROOT24 = 50
ADDRESS = 42


class IndexCheckpoint(SQLModel, table=True):
    """How far the events of one contract are projected: the last block read and its hash."""

    __tablename__ = "index_checkpoint"

    contract: str = Field(primary_key=True, max_length=64)
    address: str = Field(max_length=ADDRESS)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str = Field(max_length=HEX32)


class IndexBlock(SQLModel, table=True):
    """A block the index relies on (it holds projected events, or is a checkpoint): number, hash, time.

    The hashes are what a rewind compares with the chain to find the last block both still share.
    """

    __tablename__ = "index_block"

    number: int = Field(primary_key=True, sa_type=BigInteger)
    hash: str = Field(max_length=HEX32)
    timestamp: int = Field(sa_type=BigInteger)


class IndexEvent(SQLModel, table=True):
    """Every projected log, with its arguments in JSON: the source the read models are rebuilt from."""

    __tablename__ = "index_event"
    __table_args__ = (Index("ix_index_event_position", "block_number", "log_index"),)

    tx_hash: str = Field(primary_key=True, max_length=HEX32)
    log_index: int = Field(primary_key=True, sa_type=Integer)
    contract: str = Field(max_length=64)
    name: str = Field(max_length=64)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str = Field(max_length=HEX32)
    args: dict[str, Any] = Field(sa_type=JSON)


class Bill(SQLModel, table=True):
    """Current state of a title, as ``BillOfLadingRegistry.bill(id)`` holds it, plus what events add
    (reference, checksum, CID, pledge terms)."""

    __tablename__ = "index_bill"
    __table_args__ = (
        Index("ix_index_bill_carrier_reference", "carrier", "transport_document_reference"),
        Index("ix_index_bill_possessor", "possessor"),
        Index("ix_index_bill_holder", "holder"),
        Index("ix_index_bill_pledgee", "pledgee"),
    )

    id: str = Field(primary_key=True, max_length=HEX32)
    carrier: int
    transport_document_reference: str | None = Field(default=None, max_length=255)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=32)
    possessor: int | None = None
    holder: int | None = None
    consignee: int | None = None
    prev_possessor: int | None = None
    prev_holder: int | None = None
    version: int
    flags: int = 0
    """The registry's flags (rejectable, endorsement closed, ...), see ``ledger.domain.bill_state``."""
    checksum: str = Field(max_length=HEX32)
    container_root: str | None = Field(default=None, max_length=ROOT24)
    """First 24 bytes of the current version's container root, 0x-hex."""
    version_issued_at: int | None = Field(default=None, sa_type=BigInteger)
    """Block time the current version was issued (customs releases count from then on)."""
    cid: str = Field(max_length=255)
    pledge_status: str = Field(default="NONE", max_length=16)
    pledgee: int | None = None
    pledge_nonce: int | None = None
    pledge_amount: str | None = Field(default=None, max_length=40)
    pledge_currency: str | None = Field(default=None, max_length=3)
    pledge_registration_ref: str | None = Field(default=None, max_length=HEX32)
    pledge_accept_by: int | None = Field(default=None, sa_type=BigInteger)
    pledge_maturity: int | None = Field(default=None, sa_type=BigInteger)
    pledge_notice_period: int | None = Field(default=None, sa_type=BigInteger)
    pledge_terms_hash: str | None = Field(default=None, max_length=HEX32)
    pledge_accepted_at: int | None = Field(default=None, sa_type=BigInteger)
    issued_block: int = Field(sa_type=BigInteger)
    updated_block: int = Field(sa_type=BigInteger)
    updated_tx: str = Field(max_length=HEX32)


class BillHistory(SQLModel, table=True):
    """One action on a title (DCSA endorsement-chain entry): who, to whom, which code, when."""

    __tablename__ = "index_bill_history"
    __table_args__ = (Index("ix_index_bill_history_bill", "bill_id", "block_number", "log_index"),)

    tx_hash: str = Field(primary_key=True, max_length=HEX32)
    log_index: int = Field(primary_key=True, sa_type=Integer)
    bill_id: str = Field(max_length=HEX32)
    block_number: int = Field(sa_type=BigInteger)
    time: int = Field(sa_type=BigInteger)
    actor: int
    recipient: int | None = None
    action_code: str = Field(max_length=32)
    reason_code: str | None = Field(default=None, max_length=8)
    remark_hash: str | None = Field(default=None, max_length=HEX32)
    version: int


class Pledge(SQLModel, table=True):
    """One pledge on a title from its request to its end (released, enforced or lapsed)."""

    __tablename__ = "index_pledge"
    __table_args__ = (Index("ix_index_pledge_bill", "bill_id"), Index("ix_index_pledge_pledgee", "pledgee"))

    tx_hash: str = Field(primary_key=True, max_length=HEX32)
    log_index: int = Field(primary_key=True, sa_type=Integer)
    bill_id: str = Field(max_length=HEX32)
    pledgee: int
    nonce: int
    pledgor: int
    amount: str = Field(max_length=40)
    currency: str = Field(max_length=3)
    registration_ref: str = Field(max_length=HEX32)
    accept_by: int = Field(sa_type=BigInteger)
    maturity: int = Field(sa_type=BigInteger)
    notice_period: int = Field(sa_type=BigInteger)
    terms_hash: str = Field(max_length=HEX32)
    accepted_at: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(max_length=16)
    """REQUESTED, ACTIVE, RELEASED, ENFORCED, or LAPSED (an expired request cleared by a later action)."""
    requested_block: int = Field(sa_type=BigInteger)
    closed_block: int | None = Field(default=None, sa_type=BigInteger)


class ReleaseRight(SQLModel, table=True):
    """Current state of a container release right, as ``ContainerRelease.releaseRight(id)`` holds it."""

    __tablename__ = "index_release_right"
    __table_args__ = (
        Index("ix_index_release_right_bill", "bill_id"),
        Index("ix_index_release_right_holder", "holder"),
        Index("ix_index_release_right_container", "container_number"),
    )

    id: str = Field(primary_key=True, max_length=HEX32)
    bill_id: str = Field(max_length=HEX32)
    container_number: str = Field(max_length=11)
    carrier: int
    holder: int
    terminal: int
    depot: int | None = None
    valid_from: int = Field(sa_type=BigInteger)
    valid_until: int = Field(sa_type=BigInteger)
    status: str = Field(max_length=16)
    step: int
    last_record_id: str = Field(max_length=HEX32)
    code_hash: str | None = Field(default=None, max_length=HEX32)
    updated_block: int = Field(sa_type=BigInteger)


class Eir(SQLModel, table=True):
    """An equipment interchange receipt: gate-out (``OUT``) or gate-in (``IN``) of a container."""

    __tablename__ = "index_eir"
    __table_args__ = (
        Index("ix_index_eir_right", "right_id"),
        Index("ix_index_eir_container", "container_number"),
    )

    record_id: str = Field(primary_key=True, max_length=HEX32)
    previous_record_id: str = Field(max_length=HEX32)
    right_id: str = Field(max_length=HEX32)
    bill_id: str = Field(max_length=HEX32)
    direction: str = Field(max_length=3)
    container_number: str = Field(max_length=11)
    terminal: int
    haulier: int | None = None
    by_release_code: bool = False
    customs_release: str | None = Field(default=None, max_length=HEX32)
    laden: bool
    seals_hash: str | None = Field(default=None, max_length=HEX32)
    damage_codes: list[str] = Field(sa_type=JSON)
    truck_plate_hash: str | None = Field(default=None, max_length=HEX32)
    event_time: int = Field(sa_type=BigInteger)
    eir_checksum: str = Field(max_length=HEX32)
    block_number: int = Field(sa_type=BigInteger)
    time: int = Field(sa_type=BigInteger)
    tx_hash: str = Field(max_length=HEX32)


class AttestationSchema(SQLModel, table=True):
    """A registered attestation schema."""

    __tablename__ = "index_attestation_schema"

    id: str = Field(primary_key=True, max_length=HEX32)
    name: str = Field(max_length=64)
    definition: str
    revocable: bool
    expiring: bool
    reports_only: bool = False
    permanent: bool = False
    attester_roles: int
    required_recognitions: int
    active: bool = True


class Attestation(SQLModel, table=True):
    """An attestation with its data (the chain keeps only the data hash)."""

    __tablename__ = "index_attestation"
    __table_args__ = (
        Index("ix_index_attestation_subject", "subject", "schema_id"),
        Index("ix_index_attestation_attester", "attester"),
    )

    uid: str = Field(primary_key=True, max_length=HEX32)
    schema_id: str = Field(max_length=HEX32)
    subject: str = Field(max_length=HEX32)
    attester: int
    ref_uid: str | None = Field(default=None, max_length=HEX32)
    time: int = Field(sa_type=BigInteger)
    expiration_time: int = Field(default=0, sa_type=BigInteger)
    revocation_time: int = Field(default=0, sa_type=BigInteger)
    recognitions: int = 0
    replaced_by: str | None = Field(default=None, max_length=HEX32)
    data: str
    """The attested data, 0x-prefixed hex of its ABI encoding."""
    block_number: int = Field(sa_type=BigInteger)
    tx_hash: str = Field(max_length=HEX32)


class Organisation(SQLModel, table=True):
    """A consortium member organisation."""

    __tablename__ = "index_organisation"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    legal_id: str = Field(max_length=255)
    name: str = Field(max_length=255)
    roles: int
    suspended: bool = False
    admin: str = Field(max_length=ADDRESS)
    encryption_key: str = Field(max_length=HEX32)
    admitted_at: int = Field(sa_type=BigInteger)
    admitted_by_proposal: int = Field(default=0, sa_type=BigInteger)
    updated_block: int = Field(sa_type=BigInteger)


class Account(SQLModel, table=True):
    """A member account and the organisation it acts for."""

    __tablename__ = "index_account"
    __table_args__ = (Index("ix_index_account_org", "org"),)

    address: str = Field(primary_key=True, max_length=ADDRESS)
    org: int
    added_block: int = Field(sa_type=BigInteger)


class Proposal(SQLModel, table=True):
    """A governance proposal and its approvals."""

    __tablename__ = "index_proposal"

    id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(max_length=32)
    proposer: str = Field(max_length=ADDRESS)
    data: str
    approvals: int = 0
    approvers: list[str] = Field(default_factory=list, sa_type=JSON)
    executed: bool = False
    created_at: int = Field(sa_type=BigInteger)
    executed_block: int | None = Field(default=None, sa_type=BigInteger)


READ_MODEL_TABLES: tuple[type[SQLModel], ...] = (
    Bill,
    BillHistory,
    Pledge,
    ReleaseRight,
    Eir,
    AttestationSchema,
    Attestation,
    Organisation,
    Account,
    Proposal,
)
"""Tables that are pure functions of the event log (emptied and replayed on a rewind)."""
