"""``portledger run``: the embedded stack in the foreground until Ctrl-C (what ``make run`` calls)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="Run the embedded stack (anvil, PostgreSQL, contracts, API workers, chain worker, oracle runner) "
    "in the foreground."
)
console = Console(highlight=False)


@app.callback(invoke_without_command=True)
def run(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Data directory (default ./data or $PORTLEDGER_DATA_DIR)."),
    ] = None,
    api_port: Annotated[int | None, typer.Option(help="API port on 127.0.0.1 (default 8000).")] = None,
    chain_port: Annotated[int | None, typer.Option(help="anvil's JSON-RPC port (default 8545).")] = None,
    state_interval: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Seconds between anvil state dumps (default 1 or $PORTLEDGER_STATE_INTERVAL); "
            "a clean stop always writes the state.",
        ),
    ] = None,
    api_workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="API worker processes (default: one per core, or $PORTLEDGER_API_WORKERS). More than one "
            "share PostgreSQL (the embedded server in <data dir>/pg unless PORTLEDGER_DATABASE_URL is set) "
            "beside one chain worker; 1 is the single process on SQLite.",
        ),
    ] = None,
    oracles: Annotated[bool, typer.Option(help="Start the customs oracle runner.")] = True,
) -> None:
    """Start everything, seed the demo port consortium on first use, print the URLs, wait for Ctrl-C."""
    from cli.stack import DEMO_KEYS_WARNING, Stack, StackError, StackOptions

    try:
        options = StackOptions.from_env(
            data_dir=data_dir,
            api_port=api_port,
            chain_port=chain_port,
            state_interval=state_interval,
            api_workers=api_workers,
            oracles=oracles,
        )
        stack = Stack(options, say=lambda line: console.print(f"[dim]•[/dim] {line}"))
        stack.up()
    except StackError as exc:
        console.print(f"[bold red]cannot start:[/bold red] {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print("interrupted during start-up; stopped")
        raise typer.Exit(130) from None
    layout = stack.layout
    console.print()
    how = "first start: demo seeded" if stack.first_start else "resumed"
    console.print(f"[bold green]PortLedger is up[/bold green] ({how})")
    console.print(f"  API        {options.api_url}/v1   docs {options.api_url}/docs")
    console.print(f"  chain      {options.rpc_url} (chain id 31337)")
    console.print(f"  processes  {stack.describe_processes()}")
    console.print(f"  database   {stack.describe_database()}")
    console.print(f"  data       {layout.root}")
    console.print(f"  API keys   {layout.demo_keys}  ({', '.join(json.loads(layout.demo_keys.read_text()))})")
    console.print(f"  customs    drop customs messages into {layout.inbox('customs')}")
    console.print(f"[yellow]warning:[/yellow] {DEMO_KEYS_WARNING.format(path=layout.demo_keys)}")
    console.print("next: `make demo` in another terminal; Ctrl-C here stops everything")
    code = stack.serve_forever()
    console.print("stopped")
    raise typer.Exit(code)
