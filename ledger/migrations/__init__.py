"""Alembic migrations for every table of the core, run by :meth:`ledger.db.Database.migrate`."""
