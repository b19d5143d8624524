"""``portledger bills``: issue from a DCSA JSON file, act on a title, read it, import a folder in bulk.

``bills history`` lists every action on a title; ``bills statement --verify`` fetches the signed
collateral statement and checks it offline against the node's published key (:mod:`cli.statements`).

Every command is one API request (``Prefer: wait`` for the final operation); a refusal prints the
contract's error code. ``bills import DIR`` issues every ``*.json`` file of a folder with a progress
bar, each with an idempotency key derived from the file's bytes, so an interrupted import can simply
run again.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

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
from cli.statements import check_statement

app = typer.Typer(help="Electronic bills of lading: issue, act, read, import.", no_args_is_help=True)

Wait = Annotated[float, typer.Option(help="Seconds to wait for the operation (Prefer: wait).")]
BillId = Annotated[str, typer.Argument(help="The title id (0x + 64 hex digits).")]
BillRef = Annotated[
    str, typer.Argument(help="The title id (0x + 64 hex digits) or its transport document reference.")
]
Carrier = Annotated[
    str | None,
    typer.Option(
        "--carrier", help="The carrier of a reference: org id or SCAC/SMDG code (default: inferred)."
    ),
]
_TITLE_ID = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _document(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{path}: {exc}") from None
    return document


def _write(client: ApiClient, path: str, body: dict[str, Any], wait: float, key: str | None = None) -> None:
    try:
        operation = client.write(path, body, wait=wait, idempotency_key=key)
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    show_operation(operation)


def _act(client: ApiClient, bill: str, body: dict[str, Any], wait: float) -> None:
    _write(client, f"/v1/bills/{bill}/actions", body, wait)


@app.command("issue")
def issue(
    document: Annotated[Path, typer.Argument(help="DCSA eBL 3.0.3 document (JSON), ISSUED.")],
    issue_to: Annotated[str, typer.Option("--to", help="Org id of the first possessor (the shipper).")],
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Issue an e-B/L from a DCSA JSON file (carrier)."""
    client = connect(api_url, api_key, role, data_dir)
    _write(client, "/v1/bills", {"document": _document(document), "issueTo": issue_to}, wait)


@app.command("transfer")
def transfer(
    bill: BillId,
    to: Annotated[str, typer.Option("--to", help="Org id of the new possessor.")],
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """TRANSFER possession (possessor)."""
    _act(connect(api_url, api_key, role, data_dir), bill, {"action": "TRANSFER", "recipient": to}, wait)


@app.command("endorse")
def endorse(
    bill: BillId,
    to: Annotated[str, typer.Option("--to", help="Org id of the endorsee.")],
    to_order: Annotated[bool, typer.Option(help="ENDORSE_TO_ORDER: may endorse on.")] = False,
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """ENDORSE (or ENDORSE_TO_ORDER) a negotiable B/L to a new title holder."""
    action = "ENDORSE_TO_ORDER" if to_order else "ENDORSE"
    _act(connect(api_url, api_key, role, data_dir), bill, {"action": action, "recipient": to}, wait)


@app.command("surrender")
def surrender(
    bill: BillId,
    amendment: Annotated[
        str | None, typer.Option("--amendment", help="Surrender for amendment with reason SWTP, COD or SWI.")
    ] = None,
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """SURRENDER_FOR_DELIVERY to the issuing carrier (or SURRENDER_FOR_AMENDMENT with --amendment)."""
    body: dict[str, Any] = {"action": "SURRENDER_FOR_DELIVERY"}
    if amendment:
        body = {"action": "SURRENDER_FOR_AMENDMENT", "reasonCode": amendment}
    _act(connect(api_url, api_key, role, data_dir), bill, body, wait)


@app.command("pledge")
def pledge(
    bill: BillId,
    bank: Annotated[str, typer.Option("--bank", help="Org id of the pledgee bank.")],
    amount: Annotated[str, typer.Option(help="Secured amount, e.g. 1250000.00.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code, e.g. USD.")],
    registration_ref: Annotated[str, typer.Option(help="Registration filing number of the pledge.")],
    expires_at: Annotated[str, typer.Option(help="Until when the bank may accept (RFC 3339).")],
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """PLEDGE the B/L to a bank (possessor); the bank then answers with `bills act ACCEPT_PLEDGE`."""
    terms = {
        "amount": amount,
        "currency": currency,
        "registrationRef": registration_ref,
        "expiresAt": expires_at,
    }
    body = {"action": "PLEDGE", "recipient": bank, "pledge": terms}
    _act(connect(api_url, api_key, role, data_dir), bill, body, wait)


@app.command("act")
def act(
    bill: BillId,
    action: Annotated[str, typer.Argument(help="A DCSA action code, e.g. SACC, SREJ, ACCEPT_PLEDGE, SIGN.")],
    to: Annotated[str | None, typer.Option("--to", help="Recipient org id, when the action has one.")] = None,
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Any other action on a title (SACC, SREJ, ACCEPT_PLEDGE, RELEASE_PLEDGE, ENFORCE_PLEDGE, …)."""
    body: dict[str, Any] = {"action": action.upper()}
    if to:
        body["recipient"] = to
    _act(connect(api_url, api_key, role, data_dir), bill, body, wait)


class AmbiguousReference(LookupError):
    """A reference that names no title of the caller, or titles of several carriers."""


def bill_id_of(client: Any, ref: str, carrier: str | None = None) -> str:
    """The title id a command argument names: a title id as it is; a transport document reference
    with ``carrier`` by ``GET /v1/bills/by-reference``, without it among the caller's titles (the
    carrier is inferred when only one of them used that reference)."""
    if _TITLE_ID.match(ref):
        return ref
    if carrier is not None:
        return str(client.get(f"/v1/bills/by-reference/{carrier}/{ref}")["id"])
    found: dict[str, str] = {}
    cursor: str | None = None
    while True:
        page = client.get("/v1/bills", cursor=cursor, limit=200)
        for item in page["items"]:
            if item.get("transportDocumentReference") == ref:
                found[str(item["carrier"])] = str(item["id"])
        cursor = page.get("nextCursor")
        if not cursor:
            break
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise AmbiguousReference(
            f"none of your titles has the reference {ref!r}; give --carrier (org id or SCAC/SMDG code)"
        )
    raise AmbiguousReference(
        f"carriers {', '.join(sorted(found))} each have a title {ref!r}; choose one with --carrier"
    )


def _bill_id(client: ApiClient, ref: str, carrier: str | None) -> str:
    try:
        return bill_id_of(client, ref, carrier)
    except AmbiguousReference as exc:
        err.print(f"[red]not found:[/red] {exc}")
        raise typer.Exit(1) from None


@app.command("show")
def show_bill(
    bill: BillRef,
    carrier: Carrier = None,
    history: Annotated[bool, typer.Option(help="Also print every action on the title.")] = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """One title as the index shows it, by id or by its B/L number (transport document reference)."""
    client = connect(api_url, api_key, role, data_dir)
    try:
        bill = _bill_id(client, bill, carrier)
        show(client.get(f"/v1/bills/{bill}"))
        if history:
            show(client.get(f"/v1/bills/{bill}/history"))
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None


@app.command("timeline")
def timeline(
    bill: BillRef,
    carrier: Carrier = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """The title's causal chain, from issue to the gate: every event you may see, in chain order."""
    client = connect(api_url, api_key, role, data_dir)
    try:
        answer = client.get(f"/v1/bills/{_bill_id(client, bill, carrier)}/timeline")
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show(answer)
        return
    for item in answer["items"]:
        console.print(f"{item['time']}  block {item['blockNumber']:<8} {item['kind']:<12} {item['summary']}")


@app.command("history")
def history(
    bill: BillRef,
    carrier: Carrier = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Every action on the title (the endorsement chain), oldest first."""
    client = connect(api_url, api_key, role, data_dir)
    items: list[dict[str, Any]] = []
    try:
        bill = _bill_id(client, bill, carrier)
        cursor: str | None = None
        while True:
            page = client.get(f"/v1/bills/{bill}/history", cursor=cursor)
            items.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                break
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show({"items": items})
        return
    table = Table("time", "block", "action", "actor", "recipient", "reason", title=f"history of {bill}")
    for item in items:
        table.add_row(
            str(item["time"]),
            str(item["blockNumber"]),
            item["action"],
            item["actor"],
            item.get("recipient") or "",
            item.get("reasonCode") or "",
        )
    console.print(table)


@app.command("statement")
def statement(
    bill: BillRef,
    carrier: Carrier = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the signature offline with GET /v1/statement-key.")
    ] = False,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """The signed collateral statement for banks; with --verify, exit 1 unless its signature holds."""
    client = connect(api_url, api_key, role, data_dir)
    try:
        bill = _bill_id(client, bill, carrier)
        signed = client.get(f"/v1/bills/{bill}/collateral-statement")
        key = client.get("/v1/statement-key") if verify else None
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    if as_json:
        show(signed)
    else:
        body = signed.get("statement", {})
        table = Table("field", "value", title=f"collateral statement of {bill}")
        for name, value in body.items():
            shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            table.add_row(name, shown)
        table.add_row("keyId", str(signed.get("keyId")))
        console.print(table)
    if key is None:
        return
    check = check_statement(signed, key)
    if not check.valid:
        err.print(f"[red]signature invalid[/red] (key {check.key_id or '-'}): {check.reason}")
        raise typer.Exit(1)
    err.print(f"[green]signature valid[/green]: Ed25519 key {check.key_id} from /v1/statement-key")


@app.command("list")
def list_bills(
    api_url: ApiUrl = None, api_key: ApiKey = None, role: Role = None, data_dir: DataDir = None
) -> None:
    """Titles your organisation is a party of (first page)."""
    client = connect(api_url, api_key, role, data_dir)
    try:
        page = client.get("/v1/bills")
    except (ApiProblem, ApiUnavailable) as exc:
        raise fail(exc) from None
    for item in page["items"]:
        console.print(
            f"{item['id']}  {item['transportDocumentReference']:<20} {item['kind']:<10} {item['status']}"
        )


@app.command("import")
def import_folder(
    folder: Annotated[
        Path, typer.Argument(help="A folder of DCSA transport documents (*.json).", file_okay=False)
    ],
    issue_to: Annotated[str, typer.Option("--to", help="Org id of the first possessor of every bill.")],
    wait: Wait = 30.0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    role: Role = None,
    data_dir: DataDir = None,
) -> None:
    """Issue every *.json of a folder, with a progress bar; safe to run again (idempotency keys)."""
    client = connect(api_url, api_key, role, data_dir)
    files = sorted(folder.glob("*.json"))
    if not files:
        err.print(f"no *.json files in {folder}")
        raise typer.Exit(2)
    refused: list[tuple[str, str]] = []
    with Progress(
        TextColumn("issuing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task("import", total=len(files))
        for path in files:
            raw = path.read_bytes()
            key = "import-" + hashlib.sha256(raw).hexdigest()[:48]
            try:
                body = {"document": json.loads(raw), "issueTo": issue_to}
                operation = client.write("/v1/bills", body, wait=wait, idempotency_key=key)
                if operation.get("status") != "mined":
                    refused.append((path.name, f"still {operation.get('status')}"))
            except ValueError as exc:
                refused.append((path.name, f"not JSON: {exc}"))
            except ApiProblem as exc:
                refused.append((path.name, f"{exc.code}: {exc.detail}"))
            except ApiUnavailable as exc:
                raise fail(exc) from None
            progress.advance(task)
    console.print(f"issued {len(files) - len(refused)} of {len(files)}")
    for name, why in refused:
        console.print(f"  [red]{name}[/red]: {why}")
    if refused:
        raise typer.Exit(1)
