"""Use cases, one module per noun: validate → ``eth_call`` pre-check → enqueue → operation id.

Services are what ``ledger_api`` and ``oracles`` call. They decide nothing the contracts decide
(title, pledge and release rules live on chain); they check input, bind documents to the ledger,
pre-check with ``eth_call`` so a would-be revert is refused with its decoded name before anything is
queued, and hand the write to the outbox. Errors: :mod:`ledger.services.errors`.
"""
