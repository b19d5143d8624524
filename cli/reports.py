"""``portledger reports submit FILE``: relay a k-of-n signed agency report (``POST /v1/reports``).

The file holds the request body as the agency's signers produced it (``agency``, ``action``, ``schema``,
``subject``, ``sourceId``, ``sequence``, ``deadline``, ``data``, ``signatures``); anyone may relay it.
A report the registry accepted before answers with its uid and queues nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.http import ApiProblem, ApiUnavailable
from cli.options import ApiKey, ApiUrl, AsJson, DataDir, Role, connect, console, fail, show, show_operation

app = typer.Typer(help="Signed agency reports: relay one to the attestation registry.", no_args_is_help=True)


@app.command("submit")
def submit(
    report: Annotated[
        Path, typer.Argument(help="The signed report body (JSON).", exists=True, dir_okay=False)
    ],
    wait: Annotated[float, typer.Option(help="Seconds to wait for the operation (Prefer: wait).")] = 30.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Relay the report; print the operation (and the attestation uid in its result)."""
    try:
        body: Any = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{report}: {exc}") from None
    client = connect(api_url, api_key, role, data_dir)
    try:
        answer: dict[str, Any] = client.write("/v1/reports", body, wait=wait)
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show(answer)
    elif answer.get("alreadyAccepted"):
        console.print(f"already accepted: attestation {answer.get('uid')} (relayed before; nothing queued)")
    else:
        show_operation(answer)
