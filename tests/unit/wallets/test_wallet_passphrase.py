"""Passphrase sources: the environment or a secret file, exactly one of them."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from wallets import Passphrase, WalletLocked, passphrase_from_env, passphrase_from_file


def test_passphrase_from_env_reads_the_variable() -> None:
    assert passphrase_from_env({"PORTLEDGER_WALLET_PASSPHRASE": "s3cret"}) == Passphrase("s3cret")


def test_passphrase_from_env_reads_the_file_named_by_the_file_variable(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("from-a-file\n")
    secret.chmod(0o600)

    assert passphrase_from_env({"PORTLEDGER_WALLET_PASSPHRASE_FILE": str(secret)}).reveal() == "from-a-file"


def test_passphrase_from_env_when_both_are_set_raises_wallet_locked(tmp_path: Path) -> None:
    env = {"PORTLEDGER_WALLET_PASSPHRASE": "a", "PORTLEDGER_WALLET_PASSPHRASE_FILE": str(tmp_path / "p")}

    with pytest.raises(WalletLocked, match="only one"):
        passphrase_from_env(env)


def test_passphrase_from_env_when_neither_is_set_raises_wallet_locked() -> None:
    with pytest.raises(WalletLocked, match="PORTLEDGER_WALLET_PASSPHRASE"):
        passphrase_from_env({})


def test_passphrase_file_keeps_inner_whitespace_and_drops_one_trailing_newline(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(" two words \r\n")

    assert passphrase_from_file(secret).reveal() == " two words "


@pytest.mark.parametrize("content", ["", "\n"])
def test_empty_passphrase_file_raises_wallet_locked(tmp_path: Path, content: str) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text(content)

    with pytest.raises(WalletLocked, match="empty"):
        passphrase_from_file(secret)


def test_missing_passphrase_file_raises_wallet_locked(tmp_path: Path) -> None:
    with pytest.raises(WalletLocked, match="cannot read"):
        passphrase_from_file(tmp_path / "absent")


def test_loose_passphrase_file_permissions_are_warned_about_without_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("readable-by-others")
    secret.chmod(0o644)

    with caplog.at_level("DEBUG"):
        passphrase_from_file(secret)

    assert "chmod 600" in caplog.text
    assert "readable-by-others" not in caplog.text


def test_passphrase_never_prints_and_cannot_be_pickled() -> None:
    secret = Passphrase("do-not-print-me")

    assert "do-not-print-me" not in f"{secret} {secret!r} {secret!s} {[secret]}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(WalletLocked):
        Passphrase("")
