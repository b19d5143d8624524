"""The organisation's X25519 document-encryption key pair and its encrypted file.

Documents are encrypted for every party entitled to read them by wrapping a per-document key to
each party's X25519 public key; the public half (32 bytes, hex) is what the organisation
publishes in its Consortium record. The private half is stored in a keystore-like JSON file:

- the passphrase goes through scrypt (``n`` from ``ScryptCost``, r=8, p=1, 32-byte salt) to a
  32-byte key, as for the account keystores;
- the 32 raw private-key bytes are sealed with AES-256-GCM under a random 96-bit nonce, with the
  format name and the public key as associated data, so a swapped ``publicKey`` field fails
  authentication instead of silently pairing with the wrong private key.

A wrong passphrase and a tampered file are indistinguishable to GCM; both raise
``WrongPassphrase``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from wallets.errors import KeystoreInvalid, WrongPassphrase
from wallets.keystore import SCRYPT_P, SCRYPT_R, ScryptCost
from wallets.passphrase import Passphrase

DOCUMENT_KEY_FORMAT = "portledger-x25519-keystore"
DOCUMENT_KEY_VERSION = 1
_SALT_BYTES = 32
_NONCE_BYTES = 12

_log = logging.getLogger(__name__)


class DocumentKeyPair:
    """An X25519 key pair for document encryption; prints its public key only."""

    __slots__ = ("_private",)

    def __init__(self, private_key: X25519PrivateKey) -> None:
        self._private = private_key

    @classmethod
    def generate(cls) -> DocumentKeyPair:
        """A fresh key pair from the operating system's CSPRNG."""
        return cls(X25519PrivateKey.generate())

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_key_hex(self) -> str:
        """The public key as 64 lower-case hex digits (no prefix): the value published on chain."""
        return self.public_key.hex()

    @property
    def private_key(self) -> X25519PrivateKey:
        """The ``cryptography`` key object, for code that unwraps document keys in memory."""
        return self._private

    def exchange(self, peer_public_key: bytes) -> bytes:
        """The X25519 shared secret with a peer's raw 32-byte public key (feed it to a KDF)."""
        return self._private.exchange(X25519PublicKey.from_public_bytes(peer_public_key))

    def __repr__(self) -> str:
        return f"DocumentKeyPair(public_key={self.public_key_hex})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a DocumentKeyPair holds a private key and cannot be pickled or copied")


def _derive(passphrase: Passphrase, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.reveal().encode("utf-8"))


def _associated_data(public_key: bytes) -> bytes:
    return f"{DOCUMENT_KEY_FORMAT}/{DOCUMENT_KEY_VERSION}:".encode("ascii") + public_key


def encrypt_document_key(pair: DocumentKeyPair, passphrase: Passphrase, cost: ScryptCost) -> dict[str, Any]:
    """The encrypted-file JSON for ``pair`` under ``passphrase``."""
    started = time.perf_counter()
    salt = os.urandom(_SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    key = _derive(passphrase, salt, cost.n, SCRYPT_R, SCRYPT_P)
    raw_private = pair.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sealed = AESGCM(key).encrypt(nonce, raw_private, _associated_data(pair.public_key))
    _log.debug("encrypted document key (scrypt n=%d) in %.3f s", cost.n, time.perf_counter() - started)
    return {
        "format": DOCUMENT_KEY_FORMAT,
        "version": DOCUMENT_KEY_VERSION,
        "publicKey": pair.public_key_hex,
        "crypto": {
            "cipher": "aes-256-gcm",
            "cipherparams": {"nonce": nonce.hex()},
            "ciphertext": sealed.hex(),
            "kdf": "scrypt",
            "kdfparams": {"dklen": 32, "n": cost.n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": salt.hex()},
        },
        "id": str(uuid.uuid4()),
    }


def document_public_key_hex(document: Mapping[str, Any], path: Path | None = None) -> str:
    """The public key an encrypted document-key file declares (no passphrase needed)."""
    if document.get("format") != DOCUMENT_KEY_FORMAT or document.get("version") != DOCUMENT_KEY_VERSION:
        raise KeystoreInvalid(path, f"not a {DOCUMENT_KEY_FORMAT} version {DOCUMENT_KEY_VERSION} file")
    public = document.get("publicKey")
    if not isinstance(public, str) or len(public) != 64:
        raise KeystoreInvalid(path, "publicKey must be 64 hex digits")
    try:
        bytes.fromhex(public)
    except ValueError:
        raise KeystoreInvalid(path, "publicKey must be 64 hex digits") from None
    return public.lower()


def decrypt_document_key(
    document: Mapping[str, Any], passphrase: Passphrase, path: Path | None = None
) -> DocumentKeyPair:
    """Unlock an encrypted document-key file; ``WrongPassphrase`` if it does not authenticate."""
    public = bytes.fromhex(document_public_key_hex(document, path))
    try:
        crypto = document["crypto"]
        if crypto["cipher"] != "aes-256-gcm" or crypto["kdf"] != "scrypt":
            raise KeystoreInvalid(path, "unsupported cipher or kdf")
        params = crypto["kdfparams"]
        salt = bytes.fromhex(params["salt"])
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
        nonce = bytes.fromhex(crypto["cipherparams"]["nonce"])
        sealed = bytes.fromhex(crypto["ciphertext"])
    except (KeyError, TypeError, ValueError):
        raise KeystoreInvalid(path, "malformed crypto section") from None
    started = time.perf_counter()
    try:
        key = _derive(passphrase, salt, n, r, p)
        raw_private = AESGCM(key).decrypt(nonce, sealed, _associated_data(public))
    except InvalidTag:
        raise WrongPassphrase(path) from None
    except ValueError:
        raise KeystoreInvalid(path, "invalid scrypt parameters or nonce") from None
    _log.debug("unlocked document key in %.3f s", time.perf_counter() - started)
    pair = DocumentKeyPair(X25519PrivateKey.from_private_bytes(raw_private))
    if pair.public_key != public:
        raise KeystoreInvalid(path, "the private key does not match publicKey")
    return pair
