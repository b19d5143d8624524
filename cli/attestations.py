"""``portledger attestations``: what is attested about a subject, as the facts table lets you see it.

A subject is a title id, an ISO 6346 container number or an organisation id
(``GET /v1/subjects/{subject}/attestations``). The API reads attestations by subject only, so ``show``
takes the subject with the uid.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.http import ApiClient, ApiProblem, ApiUnavailable
from cli.options import ApiKey, ApiUrl, AsJson, DataDir, Role, connect, console, err, fail, show

app = typer.Typer(help="Attestations about a title, a container or an organisation.", no_args_is_help=True)

Subject = Annotated[
    str, typer.Argument(help="A title id (0x + 64 hex), an ISO 6346 container number or an org id.")
]


def _about(client: ApiClient, subject: str, schema: str | None) -> list[dict[str, Any]]:
    try:
        page = client.get(f"/v1/subjects/{subject}/attestations", schema=schema)
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    items: list[dict[str, Any]] = page["items"]
    return items


@app.command("list")
def list_attestations(
    subject: Subject,
    schema: Annotated[str | None, typer.Option(help="Only this schema id (0x + 64 hex).")] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Every attestation about the subject that you may see: schema, attester, effective or not."""
    items = _about(connect(api_url, api_key, role, data_dir), subject, schema)
    if as_json:
        show({"items": items})
        return
    table = Table("uid", "schema", "attester", "effective", "block", title=f"attestations about {subject}")
    for item in items:
        table.add_row(
            item["uid"],
            item.get("schemaName") or item["schemaId"],
            item["attester"],
            "yes" if item["effective"] else "no",
            str(item["blockNumber"]),
        )
    console.print(table)


@app.command("show")
def show_attestation(
    uid: Annotated[str, typer.Argument(help="The attestation uid (0x + 64 hex).")],
    subject: Annotated[str, typer.Option("--subject", help="What it is about (see `attestations list`).")],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """One attestation about the subject, with its decoded fields."""
    items = _about(connect(api_url, api_key, role, data_dir), subject, None)
    found = next((item for item in items if str(item["uid"]).lower() == uid.lower()), None)
    if found is None:
        err.print(f"[red]not found:[/red] no attestation {uid} about {subject} that you may see")
        raise typer.Exit(1)
    if as_json:
        show(found)
        return
    table = Table("field", "value", title=f"attestation {found['uid']}")
    for name in ("schemaName", "schemaId", "subject", "attester", "refUid", "effective", "recognitions"):
        table.add_row(name, str(found.get(name)))
    for name in ("time", "expirationTime", "revocationTime", "blockNumber", "txHash"):
        table.add_row(name, str(found.get(name)))
    for name, value in (found.get("fields") or {}).items():
        table.add_row(f"fields.{name}", value if isinstance(value, str) else json.dumps(value))
    console.print(table)
