"""``portledger releases``: release rights from grant to the gate, and reading them.

``grant`` (carrier, one right per container of an accomplished B/L or a sea waybill), ``nominate``
(holder passes the right on), ``code`` (holder: a one-time release code for a haulier without an
account, printed once), ``gate-out`` and ``gate-in`` (the terminal records the EIR), ``show`` and
``list``. Each write is one API request that waits for its operation (``Prefer: wait``); a refusal
prints the contract's error code and exits 1.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.bills import AmbiguousReference, bill_id_of
from cli.http import ApiClient, ApiProblem, ApiUnavailable
from cli.options import (
    ApiKey,
    ApiUrl,
    AsJson,
    DataDir,
    Role,
    connect,
    console,
    err,
    fail,
    show,
    show_operation,
)

app = typer.Typer(
    help="Release rights: grant, nominate, release code, gate-out, gate-in, read.", no_args_is_help=True
)

Wait = Annotated[float, typer.Option(help="Seconds to wait for the operation (Prefer: wait).")]
RightId = Annotated[str, typer.Argument(help="The release right id (0x + 64 hex digits).")]
EventTime = Annotated[
    int | None, typer.Option(help="Time of the gate move (Unix seconds; default: now).", show_default=False)
]
Seals = Annotated[list[str] | None, typer.Option("--seal", help="A seal number (repeat for several).")]
Damages = Annotated[list[str] | None, typer.Option("--damage", help="A damage code (repeat for several).")]
Condition = Annotated[str | None, typer.Option(help="Condition as inspected, e.g. sound.")]
TruckPlate = Annotated[str, typer.Option(help="The truck's plate (only its hash goes on chain).")]
Remarks = Annotated[str | None, typer.Option(help="Free-text remarks of the EIR.")]
DAY = 86_400


def _write(client: ApiClient, path: str, body: dict[str, Any], wait: float, as_json: bool) -> dict[str, Any]:
    try:
        operation: dict[str, Any] = client.write(path, body, wait=wait)
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show(operation)
    else:
        show_operation({k: v for k, v in operation.items() if k != "releaseCode"})
    return operation


def _eir(
    laden: bool,
    event_time: int | None,
    seals: list[str] | None,
    damages: list[str] | None,
    condition: str | None,
    truck_plate: str,
    remarks: str | None,
) -> dict[str, Any]:
    eir: dict[str, Any] = {
        "laden": laden,
        "eventTime": event_time if event_time is not None else int(time.time()),
        "seals": seals or [],
        "damageCodes": damages or [],
        "truckPlate": truck_plate,
    }
    if condition is not None:
        eir["condition"] = condition
    if remarks is not None:
        eir["remarks"] = remarks
    return eir


@app.command("grant")
def grant(
    bill: Annotated[str, typer.Argument(help="The title id or its transport document reference.")],
    containers: Annotated[
        list[str], typer.Option("--container", help="ISO 6346 number of a container (repeat for several).")
    ],
    terminal: Annotated[str, typer.Option(help="Org id of the terminal that releases the containers.")],
    depot: Annotated[
        str | None, typer.Option(help="Org id of a depot that may also take the empty return.")
    ] = None,
    valid_from: Annotated[
        int | None,
        typer.Option(help="Start of the pick-up window (Unix seconds; default: now).", show_default=False),
    ] = None,
    valid_until: Annotated[
        int | None,
        typer.Option(
            help="End of the pick-up window (Unix seconds; default: 14 days after the start).",
            show_default=False,
        ),
    ] = None,
    carrier: Annotated[
        str | None, typer.Option(help="The carrier of a reference: org id or SCAC/SMDG code.")
    ] = None,
    wait: Wait = 30.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Grant one release right per container to the organisation entitled to the cargo (carrier)."""
    client = connect(api_url, api_key, role, data_dir)
    start = valid_from if valid_from is not None else int(time.time())
    try:
        bill_id = bill_id_of(client, bill, carrier)
    except AmbiguousReference as exc:
        err.print(f"[red]not found:[/red] {exc}")
        raise typer.Exit(1) from None
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    body: dict[str, Any] = {
        "billId": bill_id,
        "containerNumbers": containers,
        "terminal": terminal,
        "validFrom": start,
        "validUntil": valid_until if valid_until is not None else start + 14 * DAY,
    }
    if depot is not None:
        body["depot"] = depot
    _write(client, "/v1/releases", body, wait, as_json)


@app.command("nominate")
def nominate(
    right: RightId,
    to: Annotated[str, typer.Option("--to", help="Org id of the nominee (forwarder, haulier, …).")],
    wait: Wait = 30.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Pass the right to another organisation (holder)."""
    client = connect(api_url, api_key, role, data_dir)
    _write(client, f"/v1/releases/{right}/nominate", {"nominee": to}, wait, as_json)


@app.command("code")
def release_code(
    right: RightId,
    wait: Wait = 30.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a one-time release code for a haulier without an account (holder); it is shown only now."""
    client = connect(api_url, api_key, role, data_dir)
    operation = _write(client, f"/v1/releases/{right}/release-code", {"generate": True}, wait, as_json)
    if as_json:
        return
    code = operation.get("releaseCode")
    if code:
        console.print(f"release code [bold]{code}[/bold]  (give it to the haulier; it is not kept)")
    else:
        err.print("no code: this was a retry of an earlier request, and the code is shown only once")


@app.command("gate-out")
def gate_out(
    right: RightId,
    haulier: Annotated[str | None, typer.Option(help="Org id of the truck's haulier.")] = None,
    code: Annotated[
        str | None, typer.Option("--release-code", help="The release code the driver shows.")
    ] = None,
    laden: Annotated[
        bool, typer.Option("--laden/--empty", help="The container leaves full or empty.")
    ] = True,
    event_time: EventTime = None,
    seals: Seals = None,
    damages: Damages = None,
    condition: Condition = None,
    truck_plate: TruckPlate = "",
    remarks: Remarks = None,
    wait: Wait = 30.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Record gate-out (EIR out) for the nominated haulier or a release code (the right's terminal)."""
    if (haulier is None) == (code is None):
        raise typer.BadParameter("give exactly one of --haulier and --release-code")
    client = connect(api_url, api_key, role, data_dir)
    body: dict[str, Any] = {"eir": _eir(laden, event_time, seals, damages, condition, truck_plate, remarks)}
    if haulier is not None:
        body["haulier"] = haulier
    if code is not None:
        body["releaseCode"] = code
    _write(client, f"/v1/releases/{right}/gate-out", body, wait, as_json)


@app.command("gate-in")
def gate_in(
    right: RightId,
    laden: Annotated[
        bool, typer.Option("--laden/--empty", help="The container returns full or empty.")
    ] = False,
    event_time: EventTime = None,
    seals: Seals = None,
    damages: Damages = None,
    condition: Condition = None,
    truck_plate: TruckPlate = "",
    remarks: Remarks = None,
    wait: Wait = 30.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Record the container's return (EIR in) at a terminal or the right's depot."""
    client = connect(api_url, api_key, role, data_dir)
    body = {"eir": _eir(laden, event_time, seals, damages, condition, truck_plate, remarks)}
    _write(client, f"/v1/releases/{right}/gate-in", body, wait, as_json)


@app.command("show")
def show_right(
    right: RightId,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """One release right and its records (parties of the right or of its bill)."""
    client = connect(api_url, api_key, role, data_dir)
    try:
        view: dict[str, Any] = client.get(f"/v1/releases/{right}")
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show(view)
        return
    table = Table("field", "value", title=f"release right {view['rightId']}")
    for name in ("billId", "containerNumber", "status", "carrier", "holder", "terminal", "depot"):
        table.add_row(name, str(view.get(name) or ""))
    table.add_row("valid", f"{view['validFrom']} .. {view['validUntil']}")
    table.add_row("releaseCode", "issued" if view.get("hasReleaseCode") else "")
    console.print(table)
    records = Table("block", "record", "tx", title="records")
    for record in view.get("records", []):
        records.add_row(str(record["blockNumber"]), record["kind"], record["txHash"])
    console.print(records)


@app.command("list")
def list_rights(
    bill: Annotated[str | None, typer.Option("--bill", help="Only rights of this title id.")] = None,
    container: Annotated[str | None, typer.Option(help="Only rights for this container number.")] = None,
    holder: Annotated[str | None, typer.Option(help="Only rights this org id holds now.")] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """The release rights your organisation may see, every page."""
    client = connect(api_url, api_key, role, data_dir)
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    try:
        while True:
            page = client.get(
                "/v1/releases", billId=bill, container=container, holder=holder, cursor=cursor, limit=200
            )
            items.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                break
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show({"items": items})
        return
    table = Table("right", "container", "status", "holder", "terminal", "valid until")
    for item in items:
        table.add_row(
            item["rightId"],
            item["containerNumber"],
            item["status"],
            item["holder"],
            item["terminal"],
            str(item["validUntil"]),
        )
    console.print(table)
