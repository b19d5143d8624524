"""Every entry point of PortLedger: the ``portledger`` command and what it starts.

Owns the command line only: parsing options, printing, exit codes, and the embedded stack's process
control (``cli.stack``). Each module is one Typer sub-app or command mounted in :mod:`cli.main`.
``run`` supervises the embedded stack; ``keys`` and ``reconcile`` open the node's database through
``ledger``; ``oracle`` wires and starts an oracle runner or signer; ``wallet`` manages keystores; every
other command (``orgs``, ``bills``, ``events``, ``verify``, ``demo``) is an HTTP client of the API,
exactly like any other client, and opens neither the database nor the chain.

The top of the layers: nothing in ``ledger``, ``ledger_api``, ``oracles`` or ``wallets`` imports it.
"""
