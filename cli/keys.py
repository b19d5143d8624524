"""``portledger keys``: create, list and revoke the API keys that act for organisations.

The token of a new key is printed once, on stdout, and never again (only its SHA-256 is stored);
``list`` shows ids, organisations, labels and dates, never tokens. Uses the node's database
(``PORTLEDGER_DATABASE_URL`` or ``<data dir>/portledger.db``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.db import Database
from ledger.services.errors import NotFound
from ledger.services.keys import ApiKeys
from ledger.settings import Settings

app = typer.Typer(help="API keys: each key acts for one organisation.", no_args_is_help=True)


def _keys() -> ApiKeys:
    from ledger.bootstrap import ensure_service_tables

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    db.migrate()
    ensure_service_tables(db)
    return ApiKeys(db)


@app.command()
def create(
    org: Annotated[int, typer.Option(help="Consortium id of the organisation the key acts for.", min=1)],
    label: Annotated[str, typer.Option(help="What the key is for (shown in `keys list`).")] = "",
) -> None:
    """Create a key; its token is printed once."""
    issued = _keys().create(str(org), label)
    typer.echo(f"key id: {issued.id}", err=True)
    typer.echo("token (shown once; store it now):", err=True)
    typer.echo(issued.token)


@app.command("list")
def list_(org: Annotated[int | None, typer.Option(help="Only this organisation's keys.")] = None) -> None:
    """List keys (never their tokens)."""
    for key in _keys().list(str(org) if org is not None else None):
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
        created = key.created_at.isoformat(timespec="seconds")
        typer.echo(f"{key.id}\torg {key.org}\t{created}\trevoked {revoked}\t{key.label}")


@app.command()
def revoke(key_id: Annotated[str, typer.Argument(help="The key id (key_…) from `keys list`.")]) -> None:
    """Revoke a key at once; requests with it are refused from now on."""
    try:
        key = _keys().revoke(key_id)
    except NotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {key.id} of org {key.org}")
