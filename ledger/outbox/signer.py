"""``KeySigner``: a private key in memory that signs legacy (EIP-155) transactions with coincurve.

The transaction manager signs through any object with ``address`` and ``sign_transaction(tx)``
(``ledger.chain.client.TransactionSigner``; ``wallets.LocalSigner`` and HSM backends fit). This
one exists for the outbox's own tests and benchmarks and for deployments that hand the manager a
raw key: it signs the exact transaction dicts the manager builds (``nonce``, ``gasPrice``,
``gas``, ``to``, ``data``, ``value``, ``chainId``) in about 0.1 ms, and never shows its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coincurve import PrivateKey
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _rlp_item(value: int | bytes) -> bytes:
    """RLP of an unsigned integer (big-endian, no leading zeros) or a byte string."""
    data = value.to_bytes((value.bit_length() + 7) // 8, "big") if isinstance(value, int) else value
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _rlp_length(len(data), 0x80) + data


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_list(items: list[int | bytes]) -> bytes:
    """RLP of a flat list of integers and byte strings (all a legacy transaction needs)."""
    body = b"".join(_rlp_item(item) for item in items)
    return _rlp_length(len(body), 0xC0) + body


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16) if str(value).startswith("0x") else int(value)


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


class KeySigner:
    """Signs for the account of one secp256k1 private key."""

    __slots__ = ("_address", "_key")

    def __init__(self, private_key: bytes | str):
        key = _bytes(private_key)
        if len(key) != 32 or not 0 < int.from_bytes(key, "big") < _SECP256K1_N:
            raise ValueError("not a secp256k1 private key")
        self._key = PrivateKey(key)
        public = self._key.public_key.format(compressed=False)[1:]
        self._address = to_checksum_address(keccak(public)[-20:])

    @property
    def address(self) -> str:
        return self._address

    def sign_transaction(self, tx: Mapping[str, Any]) -> bytes:
        """The raw signed legacy transaction for ``tx`` (EIP-155 replay protection)."""
        chain_id = _int(tx["chainId"])
        fields: list[int | bytes] = [
            _int(tx["nonce"]),
            _int(tx.get("gasPrice", 0)),
            _int(tx["gas"]),
            _bytes(tx.get("to")),
            _int(tx.get("value", 0)),
            _bytes(tx.get("data")),
        ]
        digest = keccak(rlp_list([*fields, chain_id, 0, 0]))
        signature = self._key.sign_recoverable(digest, hasher=None)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        v = signature[64] + chain_id * 2 + 35
        return rlp_list([*fields, v, r, s])

    def __repr__(self) -> str:
        return f"KeySigner(address={self._address})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a KeySigner holds a private key and cannot be pickled or copied")


def transaction_hash(raw: bytes) -> str:
    """The hash a node reports for a raw signed transaction."""
    return "0x" + keccak(raw).hex()
