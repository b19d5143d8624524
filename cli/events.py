"""``portledger events tail``: follow the ledger events your organisation may see (Server-Sent Events)."""

from __future__ import annotations

import json
from typing import Annotated

import requests
import typer

from cli.options import ApiKey, ApiUrl, DataDir, Role, connect, console, err

app = typer.Typer(help="Ledger events (Server-Sent Events from /v1/events).", no_args_is_help=True)


@app.command("tail")
def tail(
    after: Annotated[str | None, typer.Option(help="Resume after this event id.")] = None,
    types: Annotated[
        str | None, typer.Option(help="Comma-separated event names, e.g. GatedOut,GatedIn.")
    ] = None,
    follow: Annotated[bool, typer.Option(help="Keep following new events.")] = True,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Print one line per event (id, name, JSON); reconnects with Last-Event-ID until Ctrl-C."""
    client = connect(api_url, api_key, role, data_dir)
    last = after
    try:
        while True:
            params = {"follow": str(follow).lower(), "types": types, "after": last}
            response = client.session.get(
                client.base_url.rstrip("/") + "/v1/events",
                params={k: v for k, v in params.items() if v is not None},
                headers={"Authorization": f"Bearer {client.api_key}", "Accept": "text/event-stream"},
                stream=True,
                timeout=(10, 120),
            )
            if response.status_code >= 400:
                err.print(f"[red]refused:[/red] {response.status_code} {response.text[:300]}")
                raise typer.Exit(1)
            event: dict[str, str] = {}
            for raw in response.iter_lines(decode_unicode=True):
                if raw is None:
                    continue
                if raw == "":
                    if "data" in event:
                        last = event.get("id", last)
                        data = json.loads(event["data"])
                        console.print(
                            f"[dim]{event.get('id', '')}[/dim] [bold]{event.get('event', '')}[/bold]"
                        )
                        console.print_json(json.dumps(data))
                    event = {}
                    continue
                if raw.startswith(":"):
                    continue
                name, _, value = raw.partition(":")
                event[name] = value.lstrip(" ")
            if not follow:
                return
    except requests.ConnectionError:
        err.print(f"[red]error:[/red] nothing answers at {client.base_url}: start the stack with `make run`")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        return
