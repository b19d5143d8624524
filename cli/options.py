"""The connection options every client command takes (``--api-url``, ``--api-key``, ``--as ROLE``,
``--data-dir``), ``--json`` for scripts, and how a command prints answers and refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.http import ApiClient, ApiProblem, ApiUnavailable, client_from

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar="PORTLEDGER_API_URL",
        help="API base URL (default: the running stack's, from <data dir>/run/pids.json, else :8000).",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="PORTLEDGER_API_KEY", help="Your organisation's API key (bearer token)."
    ),
]
Role = Annotated[
    str | None,
    typer.Option("--as", help="Act as a demo organisation from <data dir>/demo-keys.json (e.g. carrier)."),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="PORTLEDGER_DATA_DIR",
        help="The stack's data dir: demo-keys.json, run/pids.json.",
    ),
]

AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON (for scripts).")]


def connect(api_url: str | None, api_key: str | None, role: str | None, data_dir: Path | None) -> ApiClient:
    try:
        return client_from(api_url, api_key, role, data_dir)
    except (KeyError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc.args[0] if exc.args else exc}")
        raise typer.Exit(2) from None


def fail(exc: ApiProblem | ApiUnavailable) -> typer.Exit:
    """Print a refusal (its code and detail) and return the exit to raise."""
    if isinstance(exc, ApiProblem):
        err.print(f"[red]refused:[/red] {exc.code} ({exc.status}): {exc.detail}")
        return typer.Exit(1)
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(2)


def show(value: Any) -> None:
    console.print_json(json.dumps(value))


def show_operation(operation: dict[str, Any]) -> None:
    status = operation.get("status")
    colour = {"mined": "green", "pending": "yellow", "failed": "red"}.get(str(status), "white")
    console.print(
        f"[{colour}]{status}[/{colour}] {operation.get('kind', '')} {operation.get('id', '')} "
        f"tx {operation.get('txHash') or '-'} block {operation.get('blockNumber') or '-'}"
    )
    if operation.get("result"):
        show(operation["result"])
