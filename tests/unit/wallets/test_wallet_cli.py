"""``portledger wallet``: new, import, export, list, rotate, export-public through Typer's CliRunner."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner, Result

from cli.wallet import app
from wallets import AccountStatus, OrganisationWallet, Passphrase, WalletDirectory

PASSPHRASE = "berth-window-0600-lashing-gear"
IMPORTED_KEY = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90")
IMPORTED_ADDRESS = Account.from_key(IMPORTED_KEY).address
SECRETS = [PASSPHRASE, IMPORTED_KEY.hex(), "0x" + IMPORTED_KEY.hex()]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "wallets"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _env(root: Path, **extra: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "PORTLEDGER_WALLET_DIR": str(root),
        "PORTLEDGER_WALLET_SCRYPT_N": "16",
        "PORTLEDGER_WALLET_PASSPHRASE": PASSPHRASE,
        "PORTLEDGER_WALLET_PASSPHRASE_FILE": None,
        "PORTLEDGER_WALLET_IMPORT_KEY": None,
        "PORTLEDGER_WALLET_IMPORT_PASSPHRASE": None,
        "PORTLEDGER_WALLET_IMPORT_PASSPHRASE_FILE": None,
        "PORTLEDGER_WALLET_EXPORT_PASSPHRASE": None,
        "PORTLEDGER_WALLET_EXPORT_PASSPHRASE_FILE": None,
    }
    env.update(extra)
    return env


def _run(runner: CliRunner, args: list[str], env: dict[str, str | None], code: int = 0) -> Result:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    for secret in SECRETS:
        assert secret.lower() not in result.output.lower()
    return result


def _wallet(root: Path, org: str = "acme-lines") -> OrganisationWallet:
    return WalletDirectory(root).organisation(org)


def _private_key_hexes(root: Path, org: str = "acme-lines") -> list[str]:
    wallet = _wallet(root, org)
    return [bytes(Account.decrypt(wallet.keystore(a.address), PASSPHRASE)).hex() for a in wallet.accounts()]


def test_new_creates_the_organisation_wallet_and_prints_public_facts_only(
    runner: CliRunner, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = _run(runner, ["new", "acme-lines"], _env(root))

    wallet = _wallet(root)
    assert wallet.primary_address in result.output
    assert wallet.document_public_key_hex() in result.output
    for key_hex in _private_key_hexes(root):
        assert key_hex not in result.output
        assert key_hex not in caplog.text
    assert PASSPHRASE not in caplog.text


def test_new_on_an_existing_organisation_adds_an_account(runner: CliRunner, root: Path) -> None:
    _run(runner, ["new", "acme-lines"], _env(root))

    result = _run(runner, ["new", "acme-lines", "--label", "customs desk"], _env(root))

    accounts = _wallet(root).accounts()
    assert len(accounts) == 2
    assert accounts[1].address in result.output
    assert accounts[1].label == "customs desk"


def test_root_option_overrides_the_environment(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"

    _run(runner, ["new", "acme-lines", "--root", str(other)], _env(root))

    assert WalletDirectory(other).organisations() == ["acme-lines"]
    assert not root.exists()


def test_passphrase_from_a_secret_file_is_used(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)
    env = _env(root, PORTLEDGER_WALLET_PASSPHRASE=None, PORTLEDGER_WALLET_PASSPHRASE_FILE=str(secret))

    _run(runner, ["new", "acme-lines"], env)

    assert _wallet(root).signer(Passphrase(PASSPHRASE)).address == _wallet(root).primary_address


def test_new_without_a_passphrase_fails_with_wallet_locked(runner: CliRunner, root: Path) -> None:
    result = _run(runner, ["new", "acme-lines"], _env(root, PORTLEDGER_WALLET_PASSPHRASE=None), code=1)

    assert "wallet locked" in result.stderr
    assert "Traceback" not in result.output


def test_new_account_with_the_wrong_passphrase_fails_cleanly(runner: CliRunner, root: Path) -> None:
    _run(runner, ["new", "acme-lines"], _env(root))

    result = _run(runner, ["new", "acme-lines"], _env(root, PORTLEDGER_WALLET_PASSPHRASE="not-it"), code=1)

    assert "wrong passphrase" in result.stderr
    assert "Traceback" not in result.output
    assert "not-it" not in result.output
    assert len(_wallet(root).accounts()) == 1


def test_import_reads_the_raw_key_from_a_file(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key.hex"
    key_file.write_text("0x" + IMPORTED_KEY.hex() + "\n")
    _run(runner, ["new", "acme-lines"], _env(root))

    result = _run(runner, ["import", "acme-lines", "--key-file", str(key_file)], _env(root))

    assert IMPORTED_ADDRESS in result.output
    assert _wallet(root).account(IMPORTED_ADDRESS).status is AccountStatus.ACTIVE


def test_import_reads_the_raw_key_from_the_environment_and_creates_the_wallet(
    runner: CliRunner, root: Path
) -> None:
    env = _env(root, PORTLEDGER_WALLET_IMPORT_KEY=IMPORTED_KEY.hex())

    _run(runner, ["import", "port-agent"], env)

    assert _wallet(root, "port-agent").primary_address == IMPORTED_ADDRESS


def test_import_offers_no_option_that_takes_the_key_on_the_command_line(
    runner: CliRunner, root: Path
) -> None:
    result = _run(runner, ["import", "acme-lines", "--key", IMPORTED_KEY.hex()], _env(root), code=2)

    assert "No such option" in result.output


def test_import_of_an_invalid_key_fails_without_echoing_it(
    runner: CliRunner, root: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.hex"
    key_file.write_text("0x" + "ab" * 31)

    result = _run(runner, ["import", "acme-lines", "--key-file", str(key_file)], _env(root), code=1)

    assert "invalid private key" in result.stderr
    assert "ab" * 31 not in result.output


def test_import_keystore_written_by_eth_account(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    keystore_file = tmp_path / "foreign.json"
    keystore_file.write_text(
        json.dumps(Account.encrypt(IMPORTED_KEY, "foreign-pass", kdf="scrypt", iterations=16))
    )
    env = _env(root, PORTLEDGER_WALLET_IMPORT_PASSPHRASE="foreign-pass")

    _run(runner, ["import", "acme-lines", "--keystore", str(keystore_file)], env)

    wallet = _wallet(root)
    assert wallet.primary_address == IMPORTED_ADDRESS
    assert bytes(Account.decrypt(wallet.keystore(IMPORTED_ADDRESS), PASSPHRASE)) == IMPORTED_KEY


def test_export_writes_a_keystore_eth_account_opens(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    _run(runner, ["import", "acme-lines"], _env(root, PORTLEDGER_WALLET_IMPORT_KEY=IMPORTED_KEY.hex()))
    out = tmp_path / "exported.json"
    env = _env(root, PORTLEDGER_WALLET_EXPORT_PASSPHRASE="handover-pass")

    result = _run(runner, ["export", "acme-lines", IMPORTED_ADDRESS, "--out", str(out)], env)

    assert str(out) in result.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert bytes(Account.decrypt(json.loads(out.read_text()), "handover-pass")) == IMPORTED_KEY


def test_list_shows_organisations_accounts_and_statuses(runner: CliRunner, root: Path) -> None:
    _run(runner, ["new", "acme-lines"], _env(root))
    _run(runner, ["new", "port-agent"], _env(root))

    text = _run(runner, ["list"], _env(root, PORTLEDGER_WALLET_PASSPHRASE=None)).output
    listed = json.loads(_run(runner, ["list", "--json"], _env(root)).output)

    assert "acme-lines" in text and "port-agent" in text
    assert [item["organisation"] for item in listed] == ["acme-lines", "port-agent"]
    assert listed[0]["accounts"][0]["status"] == "active"
    assert listed[0]["primary"] in text


def test_rotate_then_complete_rotation_switches_the_primary(runner: CliRunner, root: Path) -> None:
    _run(runner, ["new", "acme-lines"], _env(root))
    old = _wallet(root).primary_address

    plan = json.loads(_run(runner, ["rotate", "acme-lines", "--json"], _env(root)).output)
    assert plan["oldAddress"] == old
    assert _wallet(root).account(plan["newAddress"]).status is AccountStatus.PENDING
    assert _wallet(root).account(old).status is AccountStatus.RETIRING

    _run(runner, ["rotate", "acme-lines"], _env(root), code=1)  # one rotation at a time
    _run(runner, ["complete-rotation", "acme-lines"], _env(root))

    wallet = _wallet(root)
    assert wallet.primary_address == plan["newAddress"]
    assert wallet.account(old).status is AccountStatus.RETIRED
    _run(runner, ["complete-rotation", "acme-lines"], _env(root), code=1)


def test_cancel_rotation_restores_the_old_primary(runner: CliRunner, root: Path) -> None:
    _run(runner, ["new", "acme-lines"], _env(root))
    old = _wallet(root).primary_address
    _run(runner, ["rotate", "acme-lines"], _env(root))

    _run(runner, ["cancel-rotation", "acme-lines"], _env(root))

    assert _wallet(root).account(old).status is AccountStatus.ACTIVE
    assert _wallet(root).rotation() is None


def test_export_public_prints_addresses_and_x25519_key_without_private_material(
    runner: CliRunner, root: Path
) -> None:
    _run(runner, ["new", "acme-lines"], _env(root))
    _run(runner, ["new", "acme-lines"], _env(root))
    env = _env(root, PORTLEDGER_WALLET_PASSPHRASE=None)

    public = json.loads(_run(runner, ["export-public", "acme-lines", "--json"], env).output)
    text = _run(runner, ["export-public", "acme-lines"], env).output

    wallet = _wallet(root)
    assert public["documentPublicKey"] == wallet.document_public_key_hex()
    assert [a["address"] for a in public["accounts"]] == [a.address for a in wallet.accounts()]
    assert set(public) == {"organisation", "primary", "accounts", "documentPublicKey"}
    document_key = wallet.document_key(Passphrase(PASSPHRASE)).private_key.private_bytes_raw().hex()
    private = [*_private_key_hexes(root), document_key]
    for key_hex in private:
        assert key_hex not in text and key_hex not in json.dumps(public)
    assert wallet.document_public_key_hex() in text


def test_export_public_of_an_unknown_organisation_fails_cleanly(runner: CliRunner, root: Path) -> None:
    result = _run(runner, ["export-public", "nobody"], _env(root), code=1)

    assert "no wallet for organisation 'nobody'" in result.stderr


def test_the_portledger_command_mounts_the_wallet_sub_app(runner: CliRunner, root: Path) -> None:
    from cli.main import app as portledger

    result = runner.invoke(portledger, ["wallet", "new", "acme-lines"], env=_env(root))

    assert result.exit_code == 0, result.output
    assert _wallet(root).primary_address in result.output
