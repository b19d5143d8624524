"""index: event log, checkpoints and the read models (bills, pledges, release rights, EIRs,
attestations, organisations, accounts, proposals)

Revision ID: 0002_index
Revises: 0001_outbox
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.index.models  # noqa: F401  (registers the index tables with the SQLModel metadata)

revision = "0002_index"
down_revision = "0001_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_account",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("org", sa.Integer(), nullable=False),
        sa.Column("added_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_index("ix_index_account_org", "index_account", ["org"], unique=False)
    op.create_table(
        "index_attestation",
        sa.Column("uid", sa.String(length=66), nullable=False),
        sa.Column("schema_id", sa.String(length=66), nullable=False),
        sa.Column("subject", sa.String(length=66), nullable=False),
        sa.Column("attester", sa.Integer(), nullable=False),
        sa.Column("ref_uid", sa.String(length=66), nullable=True),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("expiration_time", sa.BigInteger(), nullable=False),
        sa.Column("revocation_time", sa.BigInteger(), nullable=False),
        sa.Column("recognitions", sa.Integer(), nullable=False),
        sa.Column("replaced_by", sa.String(length=66), nullable=True),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("uid"),
    )
    op.create_index("ix_index_attestation_attester", "index_attestation", ["attester"], unique=False)
    op.create_index(
        "ix_index_attestation_subject", "index_attestation", ["subject", "schema_id"], unique=False
    )
    op.create_table(
        "index_attestation_schema",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.String(), nullable=False),
        sa.Column("revocable", sa.Boolean(), nullable=False),
        sa.Column("expiring", sa.Boolean(), nullable=False),
        sa.Column("attester_roles", sa.Integer(), nullable=False),
        sa.Column("required_recognitions", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "index_bill",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("carrier", sa.Integer(), nullable=False),
        sa.Column("transport_document_reference", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("possessor", sa.Integer(), nullable=True),
        sa.Column("holder", sa.Integer(), nullable=True),
        sa.Column("consignee", sa.Integer(), nullable=True),
        sa.Column("prev_possessor", sa.Integer(), nullable=True),
        sa.Column("prev_holder", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=66), nullable=False),
        sa.Column("cid", sa.String(length=255), nullable=False),
        sa.Column("pledge_status", sa.String(length=16), nullable=False),
        sa.Column("pledgee", sa.Integer(), nullable=True),
        sa.Column("pledge_amount", sa.String(length=40), nullable=True),
        sa.Column("pledge_currency", sa.String(length=3), nullable=True),
        sa.Column("pledge_registration_ref", sa.String(length=66), nullable=True),
        sa.Column("pledge_expiry", sa.BigInteger(), nullable=True),
        sa.Column("issued_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_tx", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_index_bill_carrier_reference",
        "index_bill",
        ["carrier", "transport_document_reference"],
        unique=False,
    )
    op.create_index("ix_index_bill_holder", "index_bill", ["holder"], unique=False)
    op.create_index("ix_index_bill_pledgee", "index_bill", ["pledgee"], unique=False)
    op.create_index("ix_index_bill_possessor", "index_bill", ["possessor"], unique=False)
    op.create_table(
        "index_bill_history",
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.Integer(), nullable=True),
        sa.Column("action_code", sa.String(length=32), nullable=False),
        sa.Column("reason_code", sa.String(length=8), nullable=True),
        sa.Column("remark_hash", sa.String(length=66), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tx_hash", "log_index"),
    )
    op.create_index(
        "ix_index_bill_history_bill",
        "index_bill_history",
        ["bill_id", "block_number", "log_index"],
        unique=False,
    )
    op.create_table(
        "index_block",
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "index_checkpoint",
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("contract"),
    )
    op.create_table(
        "index_eir",
        sa.Column("record_id", sa.String(length=66), nullable=False),
        sa.Column("previous_record_id", sa.String(length=66), nullable=False),
        sa.Column("right_id", sa.String(length=66), nullable=False),
        sa.Column("bill_id", sa.String(length=66), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("terminal", sa.Integer(), nullable=False),
        sa.Column("haulier", sa.Integer(), nullable=True),
        sa.Column("by_release_code", sa.Boolean(), nullable=False),
        sa.Column("customs_release", sa.String(length=66), nullable=True),
        sa.Column("laden", sa.Boolean(), nullable=False),
        sa.Column("seals_hash", sa.String(length=66), nullable=True),
        sa.Column("damage_codes", sa.JSON(), nullable=False),
        sa.Column("truck_plate_hash", sa.String(length=66), nullable=True),
        sa.Column("event_time", sa.BigInteger(), nullable=False),
        sa.Column("eir_checksum", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_index("ix_index_eir_container", "index_eir", ["container_number"], unique=False)
    op.create_index("ix_index_eir_right", "index_eir", ["right_id"], unique=False)
    op.create_table(
        "index_event",
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tx_hash", "log_index"),
    )
    op.create_index("ix_index_event_position", "index_event", ["block_number", "log_index"], unique=False)
    op.create_table(
        "index_organisation",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("legal_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("admin", sa.String(length=42), nullable=False),
        sa.Column("encryption_key", sa.String(length=66), nullable=False),
        sa.Column("admitted_at", sa.BigInteger(), nullable=False),
        sa.Column("admitted_by_proposal", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "index_pledge",
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.String(length=66), nullable=False),
        sa.Column("pledgee", sa.Integer(), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("registration_ref", sa.String(length=66), nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_block", sa.BigInteger(), nullable=False),
        sa.Column("closed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tx_hash", "log_index"),
    )
    op.create_index("ix_index_pledge_bill", "index_pledge", ["bill_id"], unique=False)
    op.create_index("ix_index_pledge_pledgee", "index_pledge", ["pledgee"], unique=False)
    op.create_table(
        "index_proposal",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("proposer", sa.String(length=42), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("approvers", sa.JSON(), nullable=False),
        sa.Column("executed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("executed_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "index_release_right",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("bill_id", sa.String(length=66), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("carrier", sa.Integer(), nullable=False),
        sa.Column("holder", sa.Integer(), nullable=False),
        sa.Column("terminal", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("last_record_id", sa.String(length=66), nullable=False),
        sa.Column("code_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_index_release_right_bill", "index_release_right", ["bill_id"], unique=False)
    op.create_index(
        "ix_index_release_right_container", "index_release_right", ["container_number"], unique=False
    )
    op.create_index("ix_index_release_right_holder", "index_release_right", ["holder"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_index_release_right_holder", table_name="index_release_right")
    op.drop_index("ix_index_release_right_container", table_name="index_release_right")
    op.drop_index("ix_index_release_right_bill", table_name="index_release_right")
    op.drop_table("index_release_right")
    op.drop_table("index_proposal")
    op.drop_index("ix_index_pledge_pledgee", table_name="index_pledge")
    op.drop_index("ix_index_pledge_bill", table_name="index_pledge")
    op.drop_table("index_pledge")
    op.drop_table("index_organisation")
    op.drop_index("ix_index_event_position", table_name="index_event")
    op.drop_table("index_event")
    op.drop_index("ix_index_eir_right", table_name="index_eir")
    op.drop_index("ix_index_eir_container", table_name="index_eir")
    op.drop_table("index_eir")
    op.drop_table("index_checkpoint")
    op.drop_table("index_block")
    op.drop_index("ix_index_bill_history_bill", table_name="index_bill_history")
    op.drop_table("index_bill_history")
    op.drop_index("ix_index_bill_possessor", table_name="index_bill")
    op.drop_index("ix_index_bill_pledgee", table_name="index_bill")
    op.drop_index("ix_index_bill_holder", table_name="index_bill")
    op.drop_index("ix_index_bill_carrier_reference", table_name="index_bill")
    op.drop_table("index_bill")
    op.drop_table("index_attestation_schema")
    op.drop_index("ix_index_attestation_subject", table_name="index_attestation")
    op.drop_index("ix_index_attestation_attester", table_name="index_attestation")
    op.drop_table("index_attestation")
    op.drop_index("ix_index_account_org", table_name="index_account")
    op.drop_table("index_account")
