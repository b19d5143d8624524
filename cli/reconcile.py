"""``portledger reconcile``: compare the index with the chain and report every difference.

Owns the command line only: it reads the settings (``PORTLEDGER_DATABASE_URL``, ``PORTLEDGER_RPC_URL``,
``PORTLEDGER_DATA_DIR`` for the deployment record) and prints what :mod:`ledger.index.reconcile`
finds. Exit code 0 when the index matches the chain, 1 when any difference was found, 2 when the
comparison could not be made.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.chain import ChainClient
from ledger.chain.deployment import load_deployment
from ledger.db import Database
from ledger.index.reconcile import reconcile as compare
from ledger.settings import Settings


def reconcile(
    all_: Annotated[bool, typer.Option("--all", help="Check every projected entity (the default).")] = False,
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="Check N random entities of each kind instead.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the random sample.")] = None,
) -> None:
    """Compare the read models with the contracts' views; exit 1 if anything differs."""
    if all_ and sample is not None:
        raise typer.BadParameter("give either --all or --sample N")
    settings = Settings()
    chain = ChainClient(settings.rpc_url)
    db = Database(settings.resolved_database_url)
    try:
        deployment = load_deployment(settings.data_dir, chain.chain_id)
        report = compare(db, chain, dict(deployment.addresses), sample=sample, seed=seed)
    except (RuntimeError, FileNotFoundError) as exc:
        typer.echo(f"reconcile: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    for difference in report.differences:
        typer.echo(str(difference))
    checked = ", ".join(f"{count} {kind}" for kind, count in report.checked.items())
    typer.echo(f"checked {checked} at block {report.block_number}: {len(report.differences)} difference(s)")
    if report.differences:
        raise typer.Exit(1)
