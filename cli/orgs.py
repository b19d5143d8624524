"""``portledger orgs``: the consortium's organisations, as the API lists them."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.http import ApiProblem, ApiUnavailable
from cli.options import ApiKey, ApiUrl, DataDir, Role, connect, console, fail

app = typer.Typer(help="Organisations of the consortium (id, legal id, roles).", no_args_is_help=True)


@app.command("list")
def list_orgs(
    api_url: ApiUrl = None, api_key: ApiKey = None, role: Role = None, data_dir: DataDir = None
) -> None:
    """Every organisation: id, legal identifier, name, roles, suspended."""
    client = connect(api_url, api_key, role, data_dir)
    table = Table("id", "legal id", "name", "roles", "suspended")
    cursor: str | None = None
    try:
        while True:
            page = client.get("/v1/orgs", cursor=cursor)
            for org in page["items"]:
                table.add_row(
                    org["id"],
                    org["legalId"],
                    org["name"],
                    ",".join(org["roles"]),
                    "yes" if org["suspended"] else "",
                )
            cursor = page.get("nextCursor")
            if not cursor:
                break
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    console.print(table)
