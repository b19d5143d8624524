"""The embedded stack behind ``make run``: one supervisor bringing a whole PortLedger node up on one machine.

Split by job: ``layout`` (options, the data dir, :class:`StackError`), ``process`` (children, PIDs,
ports and tools), ``chain`` (anvil, funding, the deployment), ``database`` (which database a start
uses, the embedded PostgreSQL, the migrations), ``keys`` (wallets, published document keys, demo API
keys), ``workers`` (the API's worker processes and the chain worker, or the single API process),
``oracles`` (runner configuration, signer processes, runner) and ``supervisor`` (the start order and
the shutdown). ``portledger run`` (:mod:`cli.run`) uses what is exported here.
"""

from cli.stack.layout import (
    DEMO_KEYS_WARNING,
    ROLE_NAMES,
    DataLayout,
    StackError,
    StackOptions,
    file_mode,
    write_private,
)
from cli.stack.supervisor import Stack, running

__all__ = [
    "DEMO_KEYS_WARNING",
    "ROLE_NAMES",
    "DataLayout",
    "Stack",
    "StackError",
    "StackOptions",
    "file_mode",
    "running",
    "write_private",
]
