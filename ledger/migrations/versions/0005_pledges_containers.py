"""pledge terms and nonces, container roots and version issue times, release depots, schema flags, and the
documents this node sealed

Revision ID: 0005_pledges_containers
Revises: 0004_api_keys_and_key_wraps
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_pledges_containers"
down_revision = "0004_api_keys_and_key_wraps"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("index_bill") as t:
        t.alter_column("pledge_expiry", new_column_name="pledge_accept_by")
        t.add_column(sa.Column("flags", sa.Integer(), nullable=False, server_default="0"))
        t.add_column(sa.Column("container_root", sa.String(length=50), nullable=True))
        t.add_column(sa.Column("version_issued_at", sa.BigInteger(), nullable=True))
        t.add_column(sa.Column("pledge_nonce", sa.Integer(), nullable=True))
        t.add_column(sa.Column("pledge_maturity", sa.BigInteger(), nullable=True))
        t.add_column(sa.Column("pledge_notice_period", sa.BigInteger(), nullable=True))
        t.add_column(sa.Column("pledge_terms_hash", sa.String(length=66), nullable=True))
        t.add_column(sa.Column("pledge_accepted_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("index_pledge") as t:
        t.alter_column("expiry", new_column_name="accept_by")
        t.add_column(sa.Column("nonce", sa.Integer(), nullable=False, server_default="0"))
        t.add_column(sa.Column("pledgor", sa.Integer(), nullable=False, server_default="0"))
        t.add_column(sa.Column("maturity", sa.BigInteger(), nullable=False, server_default="0"))
        t.add_column(sa.Column("notice_period", sa.BigInteger(), nullable=False, server_default="0"))
        t.add_column(sa.Column("terms_hash", sa.String(length=66), nullable=False, server_default=""))
        t.add_column(sa.Column("accepted_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("index_release_right") as t:
        t.add_column(sa.Column("depot", sa.Integer(), nullable=True))
    with op.batch_alter_table("index_attestation_schema") as t:
        t.add_column(sa.Column("reports_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        t.add_column(sa.Column("permanent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "sealed_document",
        sa.Column("cid", sa.String(100), primary_key=True),
        sa.Column("bill_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(66), nullable=False),
        sa.Column("container_numbers", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_sealed_document_bill", "sealed_document", ["bill_id", "version"])
    # Documents sealed before this revision: every key wrap row was written for the title it was sealed for
    # (the checksum and container list were not kept then).
    op.execute(
        "INSERT INTO sealed_document (cid, bill_id, version, checksum, container_numbers, created_at) "
        "SELECT cid, LOWER(MIN(bill_id)), MIN(version), '', '[]', CURRENT_TIMESTAMP FROM document_key_wrap "
        "GROUP BY cid"
    )


def downgrade() -> None:
    op.drop_table("sealed_document")
    with op.batch_alter_table("index_attestation_schema") as t:
        t.drop_column("permanent")
        t.drop_column("reports_only")
    with op.batch_alter_table("index_release_right") as t:
        t.drop_column("depot")
    with op.batch_alter_table("index_pledge") as t:
        for name in ("accepted_at", "terms_hash", "notice_period", "maturity", "pledgor", "nonce"):
            t.drop_column(name)
        t.alter_column("accept_by", new_column_name="expiry")
    with op.batch_alter_table("index_bill") as t:
        for name in (
            "pledge_accepted_at",
            "pledge_terms_hash",
            "pledge_notice_period",
            "pledge_maturity",
            "pledge_nonce",
            "version_issued_at",
            "container_root",
            "flags",
        ):
            t.drop_column(name)
        t.alter_column("pledge_accept_by", new_column_name="pledge_expiry")
