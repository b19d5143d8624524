"""The index owns projection progress: drop ``outbox_operation.projected``.

An operation is shown ``mined`` once its block is at or below the block the index checkpoints are
projected through; nothing outside the index's tables is written by the indexer any more.

Revision ID: 0007_index_owns_projection
Revises: 0006_oracle_messages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_index_owns_projection"
down_revision = "0006_oracle_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_operation") as batch:
        batch.drop_column("projected")


def downgrade() -> None:
    with op.batch_alter_table("outbox_operation") as batch:
        batch.add_column(sa.Column("projected", sa.Boolean(), nullable=False, server_default=sa.false()))
