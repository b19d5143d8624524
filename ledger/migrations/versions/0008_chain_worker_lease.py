"""The chain worker lease: one row per lease with its fencing epoch (see ``ledger.outbox.lease``).

Revision ID: 0008_chain_worker_lease
Revises: 0007_index_owns_projection
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_chain_worker_lease"
down_revision = "0007_index_owns_projection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_lease",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_lease")
