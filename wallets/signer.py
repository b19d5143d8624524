"""The ``Signer`` interface every caller signs through, and ``LocalSigner``, its in-process form.

Callers (the transaction manager, the oracle runner) hold a ``Signer`` and never a key: an HSM
or KMS backend is a new class with the same four members, not a change to its callers.
``LocalSigner`` keeps the key inside an eth-account ``LocalAccount`` (secp256k1 through
coincurve when installed: about 0.5 ms per transaction on the reference machine) and shows only
its address in ``repr``/``str``; it cannot be pickled or copied.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, Protocol, runtime_checkable

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, Hash32

from wallets.errors import PrivateKeyInvalid
from wallets.keystore import check_private_key, decrypt_keystore
from wallets.passphrase import Passphrase

_log = logging.getLogger(__name__)

TypedDataTypes = Mapping[str, Sequence[Mapping[str, str]]]


@runtime_checkable
class Signer(Protocol):
    """Something that signs for one Ethereum account."""

    @property
    def address(self) -> ChecksumAddress:
        """The checksum address whose key signs."""
        ...

    def sign_transaction(self, tx: Mapping[str, Any]) -> bytes:
        """The raw signed transaction (ready for ``eth_sendRawTransaction``) for a web3-style dict.

        The dict carries ``chainId``, ``nonce``, ``gas``, fees and, for contract calls, ``to`` and
        ``data``; EIP-1559 (type 2) and legacy forms are accepted.
        """
        ...

    def sign_typed_data(
        self, domain: Mapping[str, Any], types: TypedDataTypes, message: Mapping[str, Any]
    ) -> bytes:
        """The 65-byte EIP-712 signature ``r || s || v`` (v = 27 or 28).

        ``types`` lists the message's struct types; an ``EIP712Domain`` entry is ignored because
        the domain's type follows from the fields present in ``domain``.
        """
        ...

    def sign_digest(self, digest: bytes) -> bytes:
        """The 65-byte signature ``r || s || v`` (v = 27 or 28) of a 32-byte hash, without prefix.

        For callers that hash themselves (e.g. an EIP-712 digest computed elsewhere); never sign
        a digest whose preimage you have not built.
        """
        ...


class LocalSigner:
    """A ``Signer`` over a private key held in this process's memory."""

    __slots__ = ("_account",)

    def __init__(self, private_key: bytes) -> None:
        if not isinstance(private_key, bytes | bytearray):
            raise PrivateKeyInvalid("expected the 32 key bytes")
        check_private_key(bytes(private_key))
        self._account: LocalAccount = Account.from_key(bytes(private_key))

    @classmethod
    def from_keystore(
        cls, keystore: Mapping[str, Any], passphrase: Passphrase, *, source: Path | None = None
    ) -> LocalSigner:
        """Unlock a version-3 keystore (``WrongPassphrase`` if the passphrase does not open it)."""
        signer = cls(decrypt_keystore(keystore, passphrase, source))
        _log.info("unlocked signer for %s", signer.address)
        return signer

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    def sign_transaction(self, tx: Mapping[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(dict(tx)).raw_transaction)

    def sign_typed_data(
        self, domain: Mapping[str, Any], types: TypedDataTypes, message: Mapping[str, Any]
    ) -> bytes:
        struct_types = {
            name: [dict(field) for field in fields]
            for name, fields in types.items()
            if name != "EIP712Domain"
        }
        signed = self._account.sign_typed_data(dict(domain), struct_types, dict(message))
        return bytes(signed.signature)

    def sign_digest(self, digest: bytes) -> bytes:
        if len(digest) != 32:
            raise ValueError(f"a digest is 32 bytes, got {len(digest)}")
        return bytes(self._account.unsafe_sign_hash(Hash32(digest)).signature)

    def __repr__(self) -> str:
        return f"LocalSigner(address={self.address})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a LocalSigner holds a private key and cannot be pickled or copied")
