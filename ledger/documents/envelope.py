"""Document encryption: the versioned envelope (what is stored and hashed into the CID) and key wraps.

A document is encrypted once with a random 256-bit content key (AES-256-GCM). The content key is
wrapped separately for each organisation entitled to read it (X25519 ephemeral-static agreement,
HKDF-SHA256, AES-256 key wrap per RFC 3394). The envelope is the only thing put in the store, so
its CID never changes when a reader is added: a new holder gets a new wrap, made from an existing
wrap and its holder's private key, or from the content key. Byte layouts are in docs/documents.md.

This module never logs or returns key material except where the caller asks for it by name
(:func:`unwrap_content_key`, :func:`generate_content_key`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.documents.errors import EnvelopeMalformed, EnvelopeTampered, KeyWrapTampered, NotEntitled

ENVELOPE_MAGIC = b"PLDE"
"""PortLedger Document Envelope."""
ENVELOPE_VERSION = 1
ALG_AES_256_GCM = 1
_NONCE_SIZE = 12
_TAG_SIZE = 16
ENVELOPE_HEADER_SIZE = len(ENVELOPE_MAGIC) + 2 + _NONCE_SIZE

WRAP_MAGIC = b"PLKW"
"""PortLedger Key Wrap."""
WRAP_VERSION = 1
ALG_X25519_HKDF_SHA256_A256KW = 1
_KEY_SIZE = 32
_WRAPPED_SIZE = _KEY_SIZE + 8
WRAP_SIZE = len(WRAP_MAGIC) + 2 + 32 + 32 + _WRAPPED_SIZE
_HKDF_SALT = b"PortLedger/documents/key-wrap/v1"

PrivateKeyLike = X25519PrivateKey | bytes
PublicKeyLike = X25519PublicKey | bytes


def _private_key(key: PrivateKeyLike) -> X25519PrivateKey:
    if isinstance(key, X25519PrivateKey):
        return key
    if len(key) != 32:
        raise ValueError("an X25519 private key is 32 raw bytes")
    return X25519PrivateKey.from_private_bytes(key)


def _public_bytes(key: PublicKeyLike | X25519PrivateKey) -> bytes:
    if isinstance(key, X25519PrivateKey):
        key = key.public_key()
    if isinstance(key, X25519PublicKey):
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if len(key) != 32:
        raise ValueError("an X25519 public key is 32 raw bytes")
    return bytes(key)


def generate_content_key() -> bytes:
    """A fresh random AES-256 content key."""
    return AESGCM.generate_key(bit_length=256)


# --- envelope -----------------------------------------------------------------------------------


def _envelope_header(nonce: bytes) -> bytes:
    return ENVELOPE_MAGIC + bytes([ENVELOPE_VERSION, ALG_AES_256_GCM]) + nonce


def seal(plaintext: bytes, content_key: bytes, associated_data: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` into an envelope under ``content_key``.

    The header (magic, version, algorithm, nonce) and ``associated_data`` are authenticated; the
    associated data is not stored and must be given again to :func:`open_envelope` (bind it to what
    the document is for, e.g. the title id and document version).
    """
    if len(content_key) != _KEY_SIZE:
        raise ValueError("the content key is 32 bytes (AES-256)")
    nonce = os.urandom(_NONCE_SIZE)
    header = _envelope_header(nonce)
    return header + AESGCM(content_key).encrypt(nonce, plaintext, header + associated_data)


def open_envelope(envelope: bytes, content_key: bytes, associated_data: bytes = b"") -> bytes:
    """Decrypt an envelope made by :func:`seal`; raise :class:`EnvelopeTampered` if anything changed."""
    if len(envelope) < ENVELOPE_HEADER_SIZE + _TAG_SIZE or envelope[:4] != ENVELOPE_MAGIC:
        raise EnvelopeMalformed("not a PortLedger document envelope")
    version, algorithm = envelope[4], envelope[5]
    if version != ENVELOPE_VERSION or algorithm != ALG_AES_256_GCM:
        raise EnvelopeMalformed(f"unsupported envelope version {version} / algorithm {algorithm}")
    header = envelope[:ENVELOPE_HEADER_SIZE]
    nonce = header[6:]
    try:
        return AESGCM(content_key).decrypt(nonce, envelope[ENVELOPE_HEADER_SIZE:], header + associated_data)
    except InvalidTag:
        raise EnvelopeTampered(
            "document envelope failed authentication (ciphertext, header or associated data changed)"
        ) from None


# --- key wraps ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyWrap:
    """The content key of one document, wrapped for one recipient's X25519 public key.

    Public data: it can be stored beside the CID and shown to anyone; only the recipient's private
    key unwraps it.
    """

    recipient_public_key: bytes
    ephemeral_public_key: bytes
    wrapped_key: bytes

    def to_bytes(self) -> bytes:
        return (
            WRAP_MAGIC
            + bytes([WRAP_VERSION, ALG_X25519_HKDF_SHA256_A256KW])
            + self.recipient_public_key
            + self.ephemeral_public_key
            + self.wrapped_key
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> KeyWrap:
        if len(raw) != WRAP_SIZE or raw[:4] != WRAP_MAGIC:
            raise EnvelopeMalformed("not a PortLedger key wrap")
        if raw[4] != WRAP_VERSION or raw[5] != ALG_X25519_HKDF_SHA256_A256KW:
            raise EnvelopeMalformed(f"unsupported key wrap version {raw[4]} / algorithm {raw[5]}")
        return cls(raw[6:38], raw[38:70], raw[70:])


def _kek(shared: bytes, recipient: bytes, ephemeral: bytes) -> bytes:
    info = WRAP_MAGIC + bytes([WRAP_VERSION, ALG_X25519_HKDF_SHA256_A256KW]) + recipient + ephemeral
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_SIZE, salt=_HKDF_SALT, info=info).derive(shared)


def wrap_content_key(content_key: bytes, recipient: PublicKeyLike) -> KeyWrap:
    """Wrap ``content_key`` for ``recipient`` with a fresh ephemeral X25519 key."""
    if len(content_key) != _KEY_SIZE:
        raise ValueError("the content key is 32 bytes (AES-256)")
    recipient_raw = _public_bytes(recipient)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _public_bytes(ephemeral)
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_raw))
    except ValueError as exc:  # a low-order point gives an all-zero secret
        raise ValueError("recipient public key is not usable for X25519") from exc
    wrapped = aes_key_wrap(_kek(shared, recipient_raw, ephemeral_raw), content_key)
    return KeyWrap(recipient_raw, ephemeral_raw, wrapped)


def unwrap_content_key(wrap: KeyWrap, private_key: PrivateKeyLike) -> bytes:
    """Recover the content key from a wrap addressed to ``private_key``'s public key."""
    key = _private_key(private_key)
    own = _public_bytes(key)
    if wrap.recipient_public_key != own:
        raise NotEntitled("this key wrap is addressed to another organisation's key")
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(wrap.ephemeral_public_key))
        return aes_key_unwrap(_kek(shared, own, wrap.ephemeral_public_key), wrap.wrapped_key)
    except (InvalidUnwrap, ValueError):
        raise KeyWrapTampered("the key wrap addressed to this key does not unwrap") from None


def add_recipient(
    new_recipient: PublicKeyLike,
    *,
    existing_wrap: KeyWrap | None = None,
    holder_private_key: PrivateKeyLike | None = None,
    content_key: bytes | None = None,
) -> KeyWrap:
    """Entitle ``new_recipient`` to a stored document without re-encrypting it (its CID stays).

    Give either ``content_key``, or an ``existing_wrap`` with the private key of the organisation it
    is addressed to (e.g. the current holder passing the document on).
    """
    if content_key is None:
        if existing_wrap is None or holder_private_key is None:
            raise ValueError("give content_key, or existing_wrap with holder_private_key")
        content_key = unwrap_content_key(existing_wrap, holder_private_key)
    return wrap_content_key(content_key, new_recipient)


# --- one call for the common case ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncryptedDocument:
    """What encrypting a document yields: the envelope to store and one key wrap per reader."""

    envelope: bytes
    wraps: tuple[KeyWrap, ...]


def encrypt_document(
    plaintext: bytes, recipients: Iterable[PublicKeyLike], associated_data: bytes = b""
) -> EncryptedDocument:
    """Encrypt under a fresh content key and wrap that key for every recipient (at least one)."""
    content_key = generate_content_key()
    wraps = tuple(wrap_content_key(content_key, r) for r in recipients)
    if not wraps:
        raise ValueError("a document needs at least one recipient, or nobody could read it")
    return EncryptedDocument(seal(plaintext, content_key, associated_data), wraps)


def decrypt_document(
    envelope: bytes,
    wraps: Iterable[KeyWrap],
    private_key: PrivateKeyLike,
    associated_data: bytes = b"",
) -> bytes:
    """Decrypt with the wrap addressed to ``private_key``; :class:`NotEntitled` if there is none."""
    key = _private_key(private_key)
    own = _public_bytes(key)
    for wrap in wraps:
        if wrap.recipient_public_key == own:
            return open_envelope(envelope, unwrap_content_key(wrap, key), associated_data)
    raise NotEntitled("no key wrap is addressed to this organisation's key")
