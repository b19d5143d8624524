"""``portledger``: the command-line entry point; each module of :mod:`cli` adds a sub-app or a command.

Tracebacks never show local variables (they could hold key material or passphrases).
"""

from __future__ import annotations

import typer

from cli.attestations import app as attestations_app
from cli.bills import app as bills_app
from cli.demo.command import app as demo_app
from cli.events import app as events_app
from cli.keys import app as keys_app
from cli.oracle import app as oracle_app
from cli.oracle_messages import post_message
from cli.orgs import app as orgs_app
from cli.reconcile import reconcile
from cli.releases import app as releases_app
from cli.reports import app as reports_app
from cli.run import app as run_app
from cli.verify import verify
from cli.wallet import app as wallet_app
from cli.worker import chain_worker

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
app.add_typer(releases_app, name="releases")
app.add_typer(attestations_app, name="attestations")
app.add_typer(reports_app, name="reports")
app.command("verify")(verify)
app.add_typer(events_app, name="events")
oracle_app.command("post")(post_message)
app.add_typer(oracle_app, name="oracle")
app.add_typer(keys_app, name="keys")
app.command("reconcile")(reconcile)
app.command("chain-worker")(chain_worker)

if __name__ == "__main__":
    app()
