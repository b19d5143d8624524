"""Standard encrypted keystores (Web3 Secret Storage, version 3, scrypt) for secp256k1 keys.

The files are exactly what ``eth_account.Account.encrypt`` writes and ``Account.decrypt`` reads,
so keys move in and out with geth, Foundry (``cast wallet``), MetaMask exports and eth-account.
Library failures are turned into the wallet's typed errors here; no message carries key material.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from wallets.errors import KeystoreInvalid, PrivateKeyInvalid, WrongPassphrase
from wallets.passphrase import Passphrase

SCRYPT_N_ENV = "PORTLEDGER_WALLET_SCRYPT_N"
PRODUCTION_SCRYPT_N = 2**18
# Below this the KDF protects little against an offline guess: fine for tests, never for keys.
WEAK_SCRYPT_N = 2**14
# eth-keyfile (under eth-account) fixes r and p; the document-key file uses the same values.
SCRYPT_R = 8
SCRYPT_P = 1

_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HEX_KEY_RE = re.compile(r"^(?:0x)?([0-9a-fA-F]{64})$")

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScryptCost:
    """The scrypt work factor ``n`` (a power of two) for new keystores.

    Production uses 2**18 (about 0.7 s per encryption or unlock on the reference machine); tests
    pass a small ``n`` or set ``PORTLEDGER_WALLET_SCRYPT_N``. Existing keystores always unlock
    with the parameters written inside them.
    """

    n: int = PRODUCTION_SCRYPT_N

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError(f"scrypt n must be a power of two of at least 2, got {self.n}")

    @property
    def is_weak(self) -> bool:
        """True for costs meant only for tests."""
        return self.n < WEAK_SCRYPT_N

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScryptCost:
        """``PORTLEDGER_WALLET_SCRYPT_N`` when set (decimal, or ``2**k``), else the production cost."""
        env = os.environ if environ is None else environ
        raw = env.get(SCRYPT_N_ENV, "").strip()
        if not raw:
            return cls()
        match = re.fullmatch(r"2\s*\*\*\s*(\d+)", raw)
        try:
            n = 2 ** int(match.group(1)) if match else int(raw)
        except ValueError:
            raise ValueError(f"{SCRYPT_N_ENV} must be an integer such as 262144 or 2**18") from None
        return cls(n)


def parse_private_key_text(text: str) -> bytes:
    """The 32 key bytes from hex text (with or without ``0x``, surrounding whitespace ignored).

    Raises ``PrivateKeyInvalid`` without quoting the input.
    """
    match = _HEX_KEY_RE.fullmatch(text.strip())
    if match is None:
        raise PrivateKeyInvalid("expected 64 hexadecimal digits, optionally prefixed with 0x")
    key = bytes.fromhex(match.group(1))
    check_private_key(key)
    return key


def check_private_key(key: bytes) -> None:
    """Raise ``PrivateKeyInvalid`` unless ``key`` is 32 bytes in the secp256k1 range [1, n-1]."""
    if len(key) != 32:
        raise PrivateKeyInvalid(f"expected 32 bytes, got {len(key)}")
    if not 0 < int.from_bytes(key, "big") < _SECP256K1_ORDER:
        raise PrivateKeyInvalid("outside the secp256k1 range")


def encrypt_private_key(key: bytes, passphrase: Passphrase, cost: ScryptCost) -> dict[str, Any]:
    """A version-3 keystore of ``key`` under ``passphrase`` with scrypt at ``cost``."""
    check_private_key(key)
    started = time.perf_counter()
    keystore = Account.encrypt(key, passphrase.reveal(), kdf="scrypt", iterations=cost.n)
    _log.debug("encrypted keystore (scrypt n=%d) in %.3f s", cost.n, time.perf_counter() - started)
    return keystore


def keystore_address(keystore: Mapping[str, Any], path: Path | None = None) -> ChecksumAddress:
    """The checksum address a keystore declares (no passphrase needed)."""
    raw = keystore.get("address")
    if not isinstance(raw, str):
        raise KeystoreInvalid(path, "no address field")
    try:
        return to_checksum_address(raw if raw.startswith("0x") else "0x" + raw)
    except ValueError:
        raise KeystoreInvalid(path, "the address field is not an address") from None


def decrypt_keystore(keystore: Mapping[str, Any], passphrase: Passphrase, path: Path | None = None) -> bytes:
    """The private key inside ``keystore``; ``WrongPassphrase`` when the MAC does not match.

    Reads scrypt and pbkdf2 version-3 keystores written by any standard tool. When the keystore
    declares an address, the decrypted key must derive it.
    """
    if not isinstance(keystore, Mapping) or keystore.get("version") != 3 or "crypto" not in keystore:
        raise KeystoreInvalid(path, "not a version-3 keystore")
    started = time.perf_counter()
    try:
        key = bytes(Account.decrypt(dict(keystore), passphrase.reveal()))
    except ValueError as exc:
        # eth-keyfile reports a wrong passphrase as "MAC mismatch"; anything else is a bad file.
        if "mac mismatch" in str(exc).lower():
            raise WrongPassphrase(path) from None
        raise KeystoreInvalid(path, type(exc).__name__) from None
    except (KeyError, TypeError, NotImplementedError) as exc:
        raise KeystoreInvalid(path, f"{type(exc).__name__} while reading it") from None
    _log.debug("unlocked keystore in %.3f s", time.perf_counter() - started)
    if "address" in keystore:
        declared = keystore_address(keystore, path)
        if Account.from_key(key).address != declared:
            raise KeystoreInvalid(path, "the key does not match the declared address")
    return key
