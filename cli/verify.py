"""``portledger verify FILE``: is this DCSA transport document the live title on the ledger?

Mounted as a plain command (``app.command("verify")``): it takes the file as its argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.http import ApiProblem, ApiUnavailable
from cli.options import ApiKey, ApiUrl, DataDir, Role, connect, console, fail, show


def verify(
    document: Annotated[
        Path, typer.Argument(help="A DCSA eBL 3.0.3 transport document (JSON).", exists=True)
    ],
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Send the document's canonical checksum question to the API; exit 0 only for the live title."""
    client = connect(api_url, api_key, role, data_dir)
    try:
        body = json.loads(document.read_text(encoding="utf-8"))
        result = client.request("POST", "/v1/verify", body={"document": body})
    except ValueError as exc:
        raise typer.BadParameter(f"{document} is not JSON: {exc}") from None
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    show(result)
    if result.get("accepted"):
        console.print(f"[green]accepted[/green]: {result.get('reason')}")
        return
    console.print(f"[red]not accepted[/red]: {result.get('reason')}")
    raise typer.Exit(1)
