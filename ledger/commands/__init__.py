"""The user-facing ``portledger`` commands of the embedded stack and of API clients.

Each module is one Typer sub-app mounted in :mod:`ledger.cli`. ``run`` supervises the embedded stack;
every other command is an HTTP client of the API (base URL and API key from options or the
environment), exactly like any other client: none of them opens the database or the chain.
"""
