"""``portledger oracle post FILE --agency A``: send an inbound message to your organisation's oracle.

The file's bytes go to ``POST /v1/oracles/{agency}/messages`` (as UTF-8 text when they are, else base64)
with the file's name; the API reads it with the oracles' adapters and stores it for the organisation's
runner. The command prints the message id, then its status from ``GET /v1/oracles/{agency}/messages/{id}``;
``--wait`` polls until the status is final (``done``, ``rejected``, ``dead-lettered``) and exits 1 unless
it is ``done``. Mounted on the ``oracle`` sub-app by :mod:`cli.main`; this module is an API client only.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.http import ApiClient, ApiProblem, ApiUnavailable
from cli.options import ApiKey, ApiUrl, AsJson, DataDir, Role, connect, console, err, fail, show

FINAL_STATUSES = frozenset({"done", "rejected", "dead-lettered"})
POLL_SECONDS = 0.5


def _body(path: Path) -> dict[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc}") from None
    try:
        return {"content": raw.decode("utf-8"), "contentEncoding": "utf-8", "filename": path.name}
    except UnicodeDecodeError:
        encoded = base64.b64encode(raw).decode("ascii")
        return {"content": encoded, "contentEncoding": "base64", "filename": path.name}


def _status(client: ApiClient, agency: str, message_id: str, wait: bool, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = client.get(f"/v1/oracles/{agency}/messages/{message_id}")
        if not wait or view.get("status") in FINAL_STATUSES or time.monotonic() >= deadline:
            return view
        time.sleep(POLL_SECONDS)


def post_message(
    message: Annotated[Path, typer.Argument(help="The message file (EDIFACT, XML, CSV, …).", exists=True)],
    agency: Annotated[str, typer.Option("--agency", help="customs, maritime or terminal.")],
    wait: Annotated[bool, typer.Option("--wait", help="Poll until the message's status is final.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 120.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """POST the message to your organisation's oracle; print its id and its status."""
    body = _body(message)
    client = connect(api_url, api_key, role, data_dir)
    try:
        received: dict[str, Any] = client.request("POST", f"/v1/oracles/{agency}/messages", body=body)
        if not as_json:
            note = " (duplicate: the same bytes were sent before)" if received.get("duplicate") else ""
            console.print(f"message {received['id']}{note}")
        view = _status(client, agency, str(received["id"]), wait, timeout)
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    status = str(view.get("status"))
    if as_json:
        show({"message": received, "status": view})
    else:
        colour = {"done": "green", "queued": "yellow"}.get(status, "red")
        console.print(f"status [{colour}]{status}[/{colour}]")
        if view.get("reason"):
            show(view["reason"])
        for operation in view.get("operations") or []:
            console.print(f"  operation {operation}")
    if not wait:
        return
    if status not in FINAL_STATUSES:
        err.print(f"[yellow]still {status}[/yellow] after {timeout:g} s")
        raise typer.Exit(1)
    if status != "done":
        raise typer.Exit(1)
