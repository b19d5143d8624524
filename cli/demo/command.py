"""``portledger demo``: play the import scenario against the running stack, step by step (``make demo``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from cli.http import DEFAULT_API_URL, ApiClient, ApiProblem, ApiUnavailable, load_demo_keys

if TYPE_CHECKING:
    from cli.demo.scenario import StepResult

app = typer.Typer(help="Run the demo import scenario against the running stack, through HTTP.")
console = Console(highlight=False)


@app.callback(invoke_without_command=True)
def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="The stack's data dir: demo-keys.json and the customs inbox.", file_okay=False),
    ] = None,
    api_url: Annotated[
        str | None, typer.Option(help="API base URL (default $PORTLEDGER_API_URL or :8000).")
    ] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for each operation.")] = 30.0,
) -> None:
    """Issue, pledge, endorse, transfer, release, surrender, gate out and in; print each transaction."""
    from cli.demo.scenario import DemoFailed, Scenario

    root = data_dir or Path(os.environ.get("PORTLEDGER_DATA_DIR") or "data")
    url = api_url or os.environ.get("PORTLEDGER_API_URL") or DEFAULT_API_URL
    try:
        keys = load_demo_keys(root / "demo-keys.json")
    except FileNotFoundError as exc:
        console.print(f"[bold red]cannot run the demo:[/bold red] {exc}")
        raise typer.Exit(2) from None
    clients = {role: ApiClient(url, str(entry["apiKey"])) for role, entry in keys.items()}
    orgs = {role: str(entry["org"]) for role, entry in keys.items()}
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("demo scenario", total=Scenario.STEP_COUNT)

        def report(step: StepResult) -> None:
            if step.refused_with:
                outcome = f"[yellow]refused[/yellow] {step.refused_with}"
            elif step.tx_hash:
                outcome = f"tx {step.tx_hash} block {step.block_number}"
            else:
                outcome = step.note
            progress.console.print(
                f"[green]✓[/green] {step.number:2d}. [bold]{step.actor}[/bold]: {step.title}"
            )
            progress.console.print(f"      {outcome}")
            progress.update(task, advance=1, description=step.title[:48])

        scenario = Scenario(clients, orgs, root / "inbox" / "customs", report=report, wait=wait)
        try:
            run = scenario.play()
        except ApiUnavailable as exc:
            console.print(f"[bold red]cannot run the demo:[/bold red] {exc}")
            raise typer.Exit(2) from None
        except (ApiProblem, DemoFailed) as exc:
            console.print(f"[bold red]demo failed:[/bold red] {exc}")
            raise typer.Exit(1) from None
    console.print()
    console.print(f"[bold]Collateral statement[/bold] for {run.reference} (bill {run.bill_id}):")
    console.print_json(json.dumps(run.statement["statement"]))
    console.print(
        f"signature ({run.statement.get('algorithm')}, key {run.statement.get('keyId')}): verified offline"
    )
