"""Version-3 keystores: interop with eth-account, typed errors, configurable scrypt cost."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from wallets import KeystoreInvalid, Passphrase, PrivateKeyInvalid, ScryptCost, WrongPassphrase
from wallets.keystore import (
    PRODUCTION_SCRYPT_N,
    decrypt_keystore,
    encrypt_private_key,
    keystore_address,
    parse_private_key_text,
)

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
KEY_ADDRESS = Account.from_key(KEY).address


def test_encrypt_private_key_writes_a_scrypt_v3_keystore_at_the_given_cost(
    passphrase: Passphrase, cost: ScryptCost
) -> None:
    keystore = encrypt_private_key(KEY, passphrase, cost)

    assert keystore["version"] == 3
    assert keystore["crypto"]["kdf"] == "scrypt"
    assert keystore["crypto"]["kdfparams"]["n"] == cost.n
    assert keystore_address(keystore) == KEY_ADDRESS
    assert KEY.hex() not in json.dumps(keystore)


def test_keystore_written_here_opens_with_eth_account_decrypt(
    passphrase: Passphrase, cost: ScryptCost
) -> None:
    keystore = encrypt_private_key(KEY, passphrase, cost)

    assert bytes(Account.decrypt(keystore, passphrase.reveal())) == KEY


def test_keystore_written_by_eth_account_encrypt_opens_here(passphrase: Passphrase) -> None:
    keystore = Account.encrypt(KEY, passphrase.reveal(), kdf="scrypt", iterations=2**4)

    assert decrypt_keystore(keystore, passphrase) == KEY


def test_pbkdf2_keystore_from_another_tool_opens_here(passphrase: Passphrase) -> None:
    keystore = Account.encrypt(KEY, passphrase.reveal(), kdf="pbkdf2", iterations=2)

    assert decrypt_keystore(keystore, passphrase) == KEY


def test_decrypt_with_wrong_passphrase_raises_wrong_passphrase(
    passphrase: Passphrase, cost: ScryptCost
) -> None:
    keystore = encrypt_private_key(KEY, passphrase, cost)

    with pytest.raises(WrongPassphrase) as caught:
        decrypt_keystore(keystore, Passphrase("not the passphrase"))

    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"version": 4},
        {"version": 3},
        {"version": 3, "crypto": {}},
        {"version": 3, "crypto": {"kdf": "x"}},
    ],
)
def test_decrypt_of_a_malformed_keystore_raises_keystore_invalid(
    document: dict[str, object], passphrase: Passphrase
) -> None:
    with pytest.raises(KeystoreInvalid):
        decrypt_keystore(document, passphrase)


def test_decrypt_when_declared_address_differs_raises_keystore_invalid(
    passphrase: Passphrase, cost: ScryptCost
) -> None:
    keystore = encrypt_private_key(KEY, passphrase, cost)
    keystore["address"] = "00" * 20

    with pytest.raises(KeystoreInvalid, match="does not match"):
        decrypt_keystore(keystore, passphrase)


def test_scrypt_cost_defaults_to_production_and_reads_the_environment() -> None:
    assert ScryptCost().n == PRODUCTION_SCRYPT_N == 2**18
    assert ScryptCost.from_env({}).n == 2**18
    assert ScryptCost.from_env({"PORTLEDGER_WALLET_SCRYPT_N": "1024"}).n == 1024
    assert ScryptCost.from_env({"PORTLEDGER_WALLET_SCRYPT_N": "2**12"}).n == 4096
    assert ScryptCost(2**10).is_weak
    assert not ScryptCost().is_weak


@pytest.mark.parametrize("n", [0, 1, 3, 1000])
def test_scrypt_cost_that_is_not_a_power_of_two_is_rejected(n: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        ScryptCost(n)


@pytest.mark.parametrize("text", [KEY.hex(), "0x" + KEY.hex(), "  0x" + KEY.hex().upper() + "\n"])
def test_parse_private_key_text_accepts_hex_with_or_without_prefix(text: str) -> None:
    assert parse_private_key_text(text) == KEY


@pytest.mark.parametrize(
    "text",
    ["", "0x1234", "zz" * 32, "00" * 32, "ff" * 32, KEY.hex() + "00"],
)
def test_parse_private_key_text_rejects_invalid_keys_without_echoing_them(text: str) -> None:
    with pytest.raises(PrivateKeyInvalid) as caught:
        parse_private_key_text(text)

    if text:
        assert text not in str(caught.value)
