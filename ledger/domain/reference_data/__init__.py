"""Package data for ``ledger.domain.reference``: CSV code tables (see README.md for sources)."""
