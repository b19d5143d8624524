"""outbox: operations and per-signer nonce counters

Revision ID: 0001_outbox
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_outbox"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_operation",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.String(42), nullable=False),
        sa.Column("calldata", sa.LargeBinary(), nullable=False),
        sa.Column("gas", sa.BigInteger(), nullable=True),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("replaced_tx_hashes", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_detail", sa.String(), nullable=True),
        sa.Column("projected", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("mined_at", _TS, nullable=True),
        sa.UniqueConstraint("org", "idempotency_key", name="uq_outbox_operation_org_key"),
        sa.UniqueConstraint("chain_id", "signer", "nonce", name="uq_outbox_operation_signer_nonce"),
    )
    op.create_index("ix_outbox_operation_signer_status", "outbox_operation", ["signer", "status"])
    op.create_index("ix_outbox_operation_block", "outbox_operation", ["block_number"])
    op.create_table(
        "outbox_signer_nonce",
        sa.Column("chain_id", sa.BigInteger(), primary_key=True),
        sa.Column("signer", sa.String(42), primary_key=True),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_signer_nonce")
    op.drop_index("ix_outbox_operation_block", table_name="outbox_operation")
    op.drop_index("ix_outbox_operation_signer_status", table_name="outbox_operation")
    op.drop_table("outbox_operation")
