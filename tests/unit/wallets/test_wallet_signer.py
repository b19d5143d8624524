"""LocalSigner: transactions, EIP-712 typed data and digests recover to the signer's address."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import eth_keys.backends
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.backends.coincurve import CoinCurveECCBackend
from eth_keys.datatypes import Signature
from eth_utils.crypto import keccak

from wallets import LocalSigner, Passphrase, PrivateKeyInvalid, ScryptCost, Signer, WrongPassphrase
from wallets.keystore import encrypt_private_key

KEY = bytes.fromhex("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f")
ADDRESS = Account.from_key(KEY).address
CONSIGNEE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

DOMAIN: dict[str, Any] = {
    "name": "PortLedger",
    "version": "1",
    "chainId": 31337,
    "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
}
TYPES: dict[str, list[dict[str, str]]] = {
    "Report": [
        {"name": "schema", "type": "bytes32"},
        {"name": "subject", "type": "bytes32"},
        {"name": "sequence", "type": "uint64"},
        {"name": "deadline", "type": "uint256"},
    ]
}
MESSAGE: dict[str, Any] = {
    "schema": keccak(text="CUSTOMS_RELEASE"),
    "subject": keccak(text="MSKU9070323"),
    "sequence": 7,
    "deadline": 1_900_000_000,
}


@pytest.fixture
def signer() -> LocalSigner:
    return LocalSigner(KEY)


def _eip1559(nonce: int = 0) -> dict[str, Any]:
    return {
        "type": 2,
        "chainId": 31337,
        "nonce": nonce,
        "to": CONSIGNEE,
        "value": 0,
        "data": "0x1234",
        "gas": 60_000,
        "maxFeePerGas": 2_000_000_000,
        "maxPriorityFeePerGas": 1_000_000_000,
    }


def test_local_signer_satisfies_the_signer_protocol(signer: LocalSigner) -> None:
    assert isinstance(signer, Signer)
    assert signer.address == ADDRESS


def test_sign_transaction_returns_raw_bytes_that_recover_to_the_signer(signer: LocalSigner) -> None:
    raw = signer.sign_transaction(_eip1559())

    assert isinstance(raw, bytes)
    assert raw[0] == 2  # EIP-2718 type byte of an EIP-1559 transaction
    assert Account.recover_transaction(raw) == ADDRESS


def test_sign_legacy_transaction_recovers_to_the_signer(signer: LocalSigner) -> None:
    tx = {"chainId": 31337, "nonce": 3, "to": CONSIGNEE, "value": 1, "gas": 21_000, "gasPrice": 0}

    assert Account.recover_transaction(signer.sign_transaction(tx)) == ADDRESS


def test_sign_typed_data_returns_65_bytes_that_recover_to_the_signer(signer: LocalSigner) -> None:
    signature = signer.sign_typed_data(DOMAIN, TYPES, MESSAGE)

    assert len(signature) == 65
    assert signature[64] in (27, 28)
    recovered = Account.recover_message(encode_typed_data(DOMAIN, TYPES, MESSAGE), signature=signature)
    assert recovered == ADDRESS


def test_sign_typed_data_ignores_an_explicit_eip712_domain_type(signer: LocalSigner) -> None:
    with_domain_type = {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        **TYPES,
    }

    assert signer.sign_typed_data(DOMAIN, with_domain_type, MESSAGE) == signer.sign_typed_data(
        DOMAIN, TYPES, MESSAGE
    )


def test_sign_digest_recovers_to_the_signer(signer: LocalSigner) -> None:
    digest = keccak(text="payload")

    signature = signer.sign_digest(digest)

    assert len(signature) == 65
    vrs = Signature(signature[:64] + bytes([signature[64] - 27]))
    assert vrs.recover_public_key_from_msg_hash(digest).to_checksum_address() == ADDRESS


def test_sign_digest_of_wrong_length_is_rejected(signer: LocalSigner) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signer.sign_digest(b"\x01" * 31)


def test_signer_repr_and_str_show_the_address_and_not_the_key(signer: LocalSigner) -> None:
    for text in (repr(signer), str(signer), f"{signer}"):
        assert ADDRESS in text
        assert KEY.hex() not in text.lower()
        assert KEY.hex()[:16] not in text.lower()


def test_signer_cannot_be_pickled_or_copied(signer: LocalSigner) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    with pytest.raises(TypeError):
        copy.copy(signer)


@pytest.mark.parametrize("key", [b"", b"\x00" * 32, b"\x01" * 31])
def test_local_signer_rejects_invalid_keys(key: bytes) -> None:
    with pytest.raises(PrivateKeyInvalid):
        LocalSigner(key)


def test_from_keystore_with_wrong_passphrase_raises_wrong_passphrase(
    passphrase: Passphrase, cost: ScryptCost
) -> None:
    keystore = encrypt_private_key(KEY, passphrase, cost)

    assert LocalSigner.from_keystore(keystore, passphrase).address == ADDRESS
    with pytest.raises(WrongPassphrase):
        LocalSigner.from_keystore(keystore, Passphrase("wrong"))


def test_secp256k1_runs_on_the_coincurve_backend() -> None:
    # coincurve makes a signature ~10x faster than the pure-Python backend (docs/wallets.md).
    assert isinstance(eth_keys.backends.get_backend(), CoinCurveECCBackend)
