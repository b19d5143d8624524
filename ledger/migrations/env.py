"""Alembic environment: runs on the connection ``ledger.db`` hands over (online mode only).

``target_metadata`` gathers every SQLModel table of the core so that ``alembic check`` style
comparisons (see the outbox tests) see the whole schema.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import ledger.outbox.models  # noqa: F401  (registers the outbox tables)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through ledger.db.Database.migrate(), which passes a connection")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
