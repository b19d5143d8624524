"""oracle messages: each organisation's inbound agency and terminal messages with their status

Revision ID: 0006_oracle_messages
Revises: 0005_pledges_containers
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_oracle_messages"
down_revision = "0005_pledges_containers"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oracle_message",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("org", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("filename", sa.String(120), nullable=True),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=True),
        sa.Column("operations", sa.JSON(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("org", "sha256", name="uq_oracle_message_org_sha256"),
    )
    op.create_index("ix_oracle_message_queue", "oracle_message", ["org", "agency", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_oracle_message_queue", table_name="oracle_message")
    op.drop_table("oracle_message")
