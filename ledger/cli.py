"""``portledger``: the command-line entry point; each package contributes its commands as a sub-app.

Tracebacks never show local variables (they could hold key material or passphrases).
"""

from __future__ import annotations

import typer

from ledger.commands.demo import app as demo_app
from ledger.commands.run import app as run_app
from wallets.cli import app as wallet_app

app = typer.Typer(
    name="portledger",
    help="PortLedger: a permissioned ledger for port trade documents.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(wallet_app, name="wallet")
app.add_typer(run_app, name="run")
app.add_typer(demo_app, name="demo")
app.add_typer(__import__("ledger.commands.orgs", fromlist=["app"]).app, name="orgs")
app.add_typer(__import__("ledger.commands.bills", fromlist=["app"]).app, name="bills")
app.command("verify")(__import__("ledger.commands.verify", fromlist=["verify"]).verify)
app.add_typer(__import__("ledger.commands.events", fromlist=["app"]).app, name="events")
app.add_typer(__import__("oracles.cli", fromlist=["app"]).app, name="oracle")
app.add_typer(__import__("ledger.keys_cli", fromlist=["app"]).app, name="keys")
app.command("reconcile")(__import__("ledger.index.cli", fromlist=["reconcile"]).reconcile)

if __name__ == "__main__":
    app()
