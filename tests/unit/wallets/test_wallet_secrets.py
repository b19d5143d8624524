"""Nothing secret leaves the wallet: not in logs, not on stdout/stderr, not in plain files, not in repr."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from wallets import OrganisationWallet, Passphrase, WalletDirectory, WrongPassphrase

IMPORTED_KEY = bytes.fromhex("6c5f1e2d9a0b4c3e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e")


def _key_forms(key: bytes) -> list[str]:
    return [key.hex(), "0x" + key.hex(), key.hex().upper(), key.hex()[:24]]


def _private_key_of(wallet: OrganisationWallet, address: str, passphrase: Passphrase) -> bytes:
    # Test-only: open the stored keystore with eth-account to learn what must never appear.
    return bytes(Account.decrypt(wallet.keystore(address), passphrase.reveal()))


def _assert_absent(secrets: list[str], *texts: str) -> None:
    for text in texts:
        lowered = text.lower()
        for secret in secrets:
            assert secret.lower() not in lowered


def _exercise(directory: WalletDirectory, passphrase: Passphrase) -> tuple[OrganisationWallet, list[Any]]:
    """Create, import, unlock, sign, rotate and fail to unlock, returning what was produced."""
    wallet = directory.create_organisation("acme-lines", passphrase)
    wallet.import_private_key(IMPORTED_KEY, passphrase)
    signer = wallet.signer(passphrase)
    produced: list[Any] = [
        signer,
        wallet,
        wallet.accounts(),
        wallet.metadata(),
        wallet.document_key(passphrase),
        signer.sign_transaction(
            {
                "chainId": 31337,
                "nonce": 0,
                "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "value": 0,
                "gas": 21_000,
                "maxFeePerGas": 1,
                "maxPriorityFeePerGas": 1,
            }
        ),
        signer.sign_digest(b"\x11" * 32),
        wallet.rotate(passphrase),
    ]
    with pytest.raises(WrongPassphrase) as caught:
        wallet.signer(Passphrase("wrong guess"))
    produced.append(caught.value)
    return wallet, produced


def test_create_unlock_sign_and_rotate_leak_no_secret_to_logs_or_output(
    directory: WalletDirectory,
    passphrase: Passphrase,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.DEBUG):
        wallet, produced = _exercise(directory, passphrase)

    secrets = [passphrase.reveal(), *_key_forms(IMPORTED_KEY)]
    for account in wallet.accounts():
        secrets += _key_forms(_private_key_of(wallet, account.address, passphrase))
    document_key = wallet.document_key(passphrase).private_key.private_bytes_raw()
    secrets += _key_forms(document_key)

    captured = capsys.readouterr()
    assert caplog.records, "the wallet logs its operations (addresses and timings)"
    _assert_absent(secrets, caplog.text, captured.out, captured.err)
    _assert_absent(secrets, *(f"{item!r} {item!s}" for item in produced))


def test_no_file_in_the_wallet_holds_a_secret_in_plain_text(
    directory: WalletDirectory, passphrase: Passphrase, wallet_root: Path
) -> None:
    wallet, _ = _exercise(directory, passphrase)
    secrets = [passphrase.reveal(), *_key_forms(IMPORTED_KEY)]
    for account in wallet.accounts():
        secrets += _key_forms(_private_key_of(wallet, account.address, passphrase))
    secrets += _key_forms(wallet.document_key(passphrase).private_key.private_bytes_raw())

    for path in wallet_root.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            _assert_absent(secrets, raw.decode("latin-1"))
            assert IMPORTED_KEY not in raw


def test_wrong_passphrase_error_is_typed_and_names_the_file_not_the_secret(
    directory: WalletDirectory, passphrase: Passphrase
) -> None:
    wallet = directory.create_organisation("acme-lines", passphrase)

    with pytest.raises(WrongPassphrase) as caught:
        wallet.signer(Passphrase("wrong guess"))

    message = str(caught.value)
    assert wallet.primary_address in message
    assert "wrong guess" not in message
    assert caught.value.__cause__ is None
