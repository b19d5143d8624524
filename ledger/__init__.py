"""PortLedger core: domain, documents, chain client, outbox, index and services (no HTTP here)."""
