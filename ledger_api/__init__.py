"""PortLedger's HTTP service: routes, request/response schemas and RFC 9457 problems over
``ledger.services``. HTTP only: no rule, SQL or chain access lives here."""
