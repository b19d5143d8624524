"""service layer: API keys (hashed) and document key wraps

Revision ID: 0004_api_keys_and_key_wraps
Revises: 0003_webhooks
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_api_keys_and_key_wraps"
down_revision = "0003_webhooks"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_index("ix_api_key_org", "api_key", ["org"])
    op.create_table(
        "document_key_wrap",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("cid", sa.String(100), nullable=False),
        sa.Column("org", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrap", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("cid", "org", name="uq_document_key_wrap_cid_org"),
    )
    op.create_index("ix_document_key_wrap_cid", "document_key_wrap", ["cid"])
    op.create_index("ix_document_key_wrap_org", "document_key_wrap", ["org"])
    op.create_index("ix_document_key_wrap_bill_id", "document_key_wrap", ["bill_id"])


def downgrade() -> None:
    op.drop_table("document_key_wrap")
    op.drop_table("api_key")
