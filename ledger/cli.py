"""``portledger``: the command-line entry point; each package contributes its commands as a sub-app.

Tracebacks never show local variables (they could hold key material or passphrases).
"""

from __future__ import annotations

import typer

from ledger.commands.bills import app as bills_app
from ledger.commands.demo import app as demo_app
from ledger.commands.events import app as events_app
from ledger.commands.orgs import app as orgs_app
from ledger.commands.run import app as run_app
from ledger.commands.verify import verify
from ledger.index.cli import reconcile
from ledger.keys_cli import app as keys_app
from oracles.cli import app as oracle_app
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
app.add_typer(orgs_app, name="orgs")
app.add_typer(bills_app, name="bills")
app.command("verify")(verify)
app.add_typer(events_app, name="events")
app.add_typer(oracle_app, name="oracle")
app.add_typer(keys_app, name="keys")
app.command("reconcile")(reconcile)

if __name__ == "__main__":
    app()
