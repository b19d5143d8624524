"""``portledger wallet``: create, import, export, list and rotate organisation keys.

Secrets only ever come from the environment or files (``PORTLEDGER_WALLET_PASSPHRASE[_FILE]``,
``PORTLEDGER_WALLET_IMPORT_KEY``, ``--key-file``), never from an argument, because arguments
end up in shell history and process listings. Output names addresses, file paths and public
keys only. Wallet errors end the command with exit code 1 and a one-line message on stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from wallets.directory import (
    DEFAULT_WALLET_DIR,
    WALLET_DIR_ENV,
    OrganisationWallet,
    WalletDirectory,
)
from wallets.errors import OrganisationWalletNotFound, PrivateKeyInvalid, WalletError, WalletLocked
from wallets.keystore import ScryptCost, decrypt_keystore, parse_private_key_text
from wallets.passphrase import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, Passphrase, passphrase_from_env

IMPORT_KEY_ENV = "PORTLEDGER_WALLET_IMPORT_KEY"
IMPORT_PASSPHRASE_ENV = "PORTLEDGER_WALLET_IMPORT_PASSPHRASE"
IMPORT_PASSPHRASE_FILE_ENV = "PORTLEDGER_WALLET_IMPORT_PASSPHRASE_FILE"
EXPORT_PASSPHRASE_ENV = "PORTLEDGER_WALLET_EXPORT_PASSPHRASE"
EXPORT_PASSPHRASE_FILE_ENV = "PORTLEDGER_WALLET_EXPORT_PASSPHRASE_FILE"

app = typer.Typer(
    name="wallet",
    help=(
        "Organisation keys: encrypted keystores, rotation and the X25519 document key. "
        f"The passphrase comes from {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        envvar=WALLET_DIR_ENV,
        help=f"Wallet root directory [default: ./{DEFAULT_WALLET_DIR}].",
        show_envvar=True,
    ),
]
OrgArgument = Annotated[str, typer.Argument(help="Organisation slug, e.g. 'acme-lines'.")]
LabelOption = Annotated[str | None, typer.Option("--label", help="A note shown by 'list'.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _directory(root: Path | None) -> WalletDirectory:
    return WalletDirectory(root if root is not None else DEFAULT_WALLET_DIR, ScryptCost.from_env())


@contextmanager
def _reported() -> Iterator[None]:
    """Turn wallet errors into a message on stderr and exit code 1 (no traceback)."""
    try:
        yield
    except (WalletError, FileExistsError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _optional_passphrase(variable: str, file_variable: str) -> Passphrase | None:
    if not os.environ.get(variable) and not os.environ.get(file_variable):
        return None
    return passphrase_from_env(variable=variable, file_variable=file_variable)


def _import_key(key_file: Path | None) -> bytes:
    from_env = os.environ.get(IMPORT_KEY_ENV)
    if key_file is not None and from_env:
        raise WalletLocked(f"give the key either with --key-file or {IMPORT_KEY_ENV}, not both")
    if key_file is not None:
        try:
            text = key_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise PrivateKeyInvalid(f"cannot read {key_file}: {exc.strerror}") from None
        return parse_private_key_text(text)
    if from_env:
        return parse_private_key_text(from_env)
    raise PrivateKeyInvalid(f"give --key-file, --keystore or set {IMPORT_KEY_ENV}")


def _describe(wallet: OrganisationWallet) -> dict[str, Any]:
    metadata = wallet.metadata()
    rotation = wallet.rotation()
    return {
        "organisation": wallet.slug,
        "primary": metadata.primary,
        "documentPublicKey": wallet.document_public_key_hex(),
        "accounts": [account.to_json() for account in metadata.accounts],
        "rotation": rotation.to_json() if rotation is not None else None,
    }


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


@app.command("new")
def new(org: OrgArgument, root: RootOption = None, label: LabelOption = None) -> None:
    """Create the organisation's wallet (first account + X25519 key), or add another account."""
    with _reported():
        directory = _directory(root)
        passphrase = passphrase_from_env()
        try:
            wallet = directory.organisation(org)
        except OrganisationWalletNotFound:
            wallet = directory.create_organisation(org, passphrase, label=label)
            typer.echo(f"created wallet for {org} in {wallet.path}")
            typer.echo(f"account: {wallet.primary_address} (primary)")
            typer.echo(f"x25519 public key: {wallet.document_public_key_hex()}")
            return
        account = wallet.new_account(passphrase, label=label)
        typer.echo(f"account: {account.address}")


@app.command("import")
def import_(
    org: OrgArgument,
    root: RootOption = None,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help=f"File holding the raw hex key (else {IMPORT_KEY_ENV})."),
    ] = None,
    keystore_file: Annotated[
        Path | None,
        typer.Option(
            "--keystore",
            help=(
                "Version-3 keystore to import; it opens with "
                f"{IMPORT_PASSPHRASE_ENV}[_FILE], else with the wallet passphrase."
            ),
        ),
    ] = None,
    label: LabelOption = None,
) -> None:
    """Import a key (raw hex from a file or the environment, or a keystore) as an account."""
    with _reported():
        directory = _directory(root)
        passphrase = passphrase_from_env()
        if keystore_file is not None:
            if key_file is not None:
                raise WalletLocked("give either --keystore or --key-file, not both")
            try:
                keystore = json.loads(keystore_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise WalletError(f"cannot read keystore {keystore_file}") from None
            opener = _optional_passphrase(IMPORT_PASSPHRASE_ENV, IMPORT_PASSPHRASE_FILE_ENV) or passphrase
            key = decrypt_keystore(keystore, opener, keystore_file)
        else:
            key = _import_key(key_file)
        try:
            wallet = directory.organisation(org)
        except OrganisationWalletNotFound:
            wallet = directory.create_organisation(org, passphrase, label=label, private_key=key)
            typer.echo(f"created wallet for {org} in {wallet.path}")
            typer.echo(f"account: {wallet.primary_address} (primary)")
            typer.echo(f"x25519 public key: {wallet.document_public_key_hex()}")
            return
        account = wallet.import_private_key(key, passphrase, label=label)
        typer.echo(f"account: {account.address}")


@app.command("export")
def export(
    org: OrgArgument,
    address: Annotated[str, typer.Argument(help="Account address to export.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the version-3 keystore.")],
    root: RootOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
) -> None:
    """Write an account's encrypted keystore to a file (0600).

    With EXPORT passphrase variables set, the key is re-encrypted under that passphrase.
    """
    with _reported():
        wallet = _directory(root).organisation(org)
        export_passphrase = _optional_passphrase(EXPORT_PASSPHRASE_ENV, EXPORT_PASSPHRASE_FILE_ENV)
        passphrase = passphrase_from_env() if export_passphrase is not None else None
        path = wallet.export_keystore(
            address, out, passphrase=passphrase, export_passphrase=export_passphrase, overwrite=overwrite
        )
        typer.echo(f"exported {wallet.account(address).address} to {path}")


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Argument(help="Only this organisation.")] = None,
    root: RootOption = None,
    as_json: JsonOption = False,
) -> None:
    """List organisations, their accounts and account statuses (no passphrase needed)."""
    with _reported():
        directory = _directory(root)
        slugs = [org] if org is not None else directory.organisations()
        described = [_describe(directory.organisation(slug)) for slug in slugs]
        if as_json:
            _echo_json(described)
            return
        if not described:
            typer.echo(f"no wallets in {directory.root}")
        for item in described:
            typer.echo(f"{item['organisation']}")
            for account in item["accounts"]:
                primary = " (primary)" if account["address"] == item["primary"] else ""
                label = f"  {account['label']}" if account["label"] else ""
                typer.echo(f"  {account['address']}  {account['status']}{primary}{label}")


@app.command("rotate")
def rotate(
    org: OrgArgument,
    root: RootOption = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Account to replace [default: the primary].")
    ] = None,
    label: LabelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a replacement key: the new account is pending, the old one retiring.

    The Consortium change (add the new account, remove the old) is made by the chain client;
    then run 'complete-rotation'.
    """
    with _reported():
        wallet = _directory(root).organisation(org)
        plan = wallet.rotate(passphrase_from_env(), account, label=label)
        if as_json:
            _echo_json(plan.to_json())
            return
        typer.echo(f"rotation prepared for {org}")
        typer.echo(f"old account (retiring): {plan.old_address}")
        typer.echo(f"new account (pending):  {plan.new_address}")
        typer.echo("next: add the new account to the organisation in the Consortium, remove the old one,")
        typer.echo(f"then run: portledger wallet complete-rotation {org}")


def _finish(org: str, root: Path | None, action: Callable[[OrganisationWallet], str]) -> None:
    with _reported():
        wallet = _directory(root).organisation(org)
        typer.echo(action(wallet))


@app.command("complete-rotation")
def complete_rotation(org: OrgArgument, root: RootOption = None) -> None:
    """Record that the Consortium lists the new account and no longer the old one."""

    def action(wallet: OrganisationWallet) -> str:
        plan = wallet.rotation()
        if plan is None:
            raise WalletError(f"no rotation under way for {org!r}")
        wallet.complete_rotation(plan)
        return f"rotation complete: {plan.new_address} active, {plan.old_address} retired"

    _finish(org, root, action)


@app.command("cancel-rotation")
def cancel_rotation(org: OrgArgument, root: RootOption = None) -> None:
    """Abandon a rotation whose chain step was not made: the old account is active again."""

    def action(wallet: OrganisationWallet) -> str:
        plan = wallet.rotation()
        if plan is None:
            raise WalletError(f"no rotation under way for {org!r}")
        wallet.cancel_rotation(plan)
        return f"rotation cancelled: {plan.old_address} active, {plan.new_address} retired"

    _finish(org, root, action)


@app.command("export-public")
def export_public(org: OrgArgument, root: RootOption = None, as_json: JsonOption = False) -> None:
    """Print what the organisation publishes: its account addresses and X25519 public key."""
    with _reported():
        wallet = _directory(root).organisation(org)
        described = _describe(wallet)
        public = {
            "organisation": described["organisation"],
            "primary": described["primary"],
            "accounts": [
                {"address": a["address"], "status": a["status"]}
                for a in described["accounts"]
                if a["status"] != "retired"
            ],
            "documentPublicKey": described["documentPublicKey"],
        }
        if as_json:
            _echo_json(public)
            return
        typer.echo(f"organisation: {public['organisation']}")
        typer.echo(f"primary: {public['primary']}")
        for item in public["accounts"]:
            typer.echo(f"account: {item['address']} {item['status']}")
        typer.echo(f"x25519 public key: {public['documentPublicKey']}")
