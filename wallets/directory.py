"""The per-organisation wallet directory: accounts, their statuses, rotation and the document key.

Layout under the wallet root (see docs/wallets.md)::

    <root>/                          0700
      <org-slug>/                    0700
        wallet.json                  0600  metadata: primary account, account statuses, public key
        x25519.json                  0600  encrypted X25519 document key (document_key.py)
        accounts/                    0700
          <ChecksumAddress>.json     0600  version-3 scrypt keystore, one per account
        .lock                        0600  advisory lock for read-modify-write of wallet.json

All keystores and the document key of one organisation share one passphrase. ``wallet.json`` is
written last when an organisation is created, so a directory without it is not a wallet.
This module knows nothing of the chain: a rotation returns a ``RotationPlan`` for the chain
client to carry out (add the new account to the organisation, remove the old one), after which
``complete_rotation`` records the outcome.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from wallets.document_key import (
    DocumentKeyPair,
    decrypt_document_key,
    document_public_key_hex,
    encrypt_document_key,
)
from wallets.errors import (
    KeystoreInvalid,
    OrganisationSlugInvalid,
    OrganisationWalletExists,
    OrganisationWalletNotFound,
    RotationInProgress,
    WalletAccountExists,
    WalletAccountNotFound,
    WalletAccountNotUsable,
    WalletError,
)
from wallets.files import PRIVATE_FILE_MODE, ensure_private_dir, read_json, write_private_json
from wallets.keystore import (
    ScryptCost,
    check_private_key,
    decrypt_keystore,
    encrypt_private_key,
    keystore_address,
)
from wallets.passphrase import Passphrase
from wallets.signer import LocalSigner

WALLET_DIR_ENV = "PORTLEDGER_WALLET_DIR"
DEFAULT_WALLET_DIR = Path("data/wallets")
WALLET_FORMAT = "portledger-wallet"
WALLET_VERSION = 1
METADATA_FILE = "wallet.json"
DOCUMENT_KEY_FILE = "x25519.json"
ACCOUNTS_DIR = "accounts"
_LOCK_FILE = ".lock"
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

_log = logging.getLogger(__name__)


class AccountStatus(StrEnum):
    """Where an account stands in the organisation's key lifecycle."""

    ACTIVE = "active"
    """Signs for the organisation."""
    PENDING = "pending"
    """Created by a rotation; waits for the Consortium to add it before it becomes active."""
    RETIRING = "retiring"
    """Being replaced by a rotation; still signs until the Consortium has removed it."""
    RETIRED = "retired"
    """Replaced; its keystore is kept for audit but it no longer signs."""


@dataclass(frozen=True)
class WalletAccount:
    """One account of an organisation as recorded in ``wallet.json`` (public facts only)."""

    address: ChecksumAddress
    status: AccountStatus
    created_at: str
    status_changed_at: str
    label: str | None = None
    replaces: ChecksumAddress | None = None
    replaced_by: ChecksumAddress | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "status": self.status.value,
            "label": self.label,
            "createdAt": self.created_at,
            "statusChangedAt": self.status_changed_at,
            "replaces": self.replaces,
            "replacedBy": self.replaced_by,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WalletAccount:
        return cls(
            address=to_checksum_address(data["address"]),
            status=AccountStatus(data["status"]),
            created_at=str(data["createdAt"]),
            status_changed_at=str(data["statusChangedAt"]),
            label=data.get("label"),
            replaces=to_checksum_address(data["replaces"]) if data.get("replaces") else None,
            replaced_by=to_checksum_address(data["replacedBy"]) if data.get("replacedBy") else None,
        )


@dataclass(frozen=True)
class RotationPlan:
    """A key rotation the wallet has prepared and the chain still has to carry out.

    The chain client, signing with ``old_address`` (the organisation's current admin account),
    adds ``new_address`` as a member account of ``organisation`` in the Consortium and then
    removes ``old_address``; afterwards ``OrganisationWallet.complete_rotation(plan)`` makes the
    new account active (and primary, if the old one was) and retires the old one.
    """

    organisation: str
    old_address: ChecksumAddress
    new_address: ChecksumAddress
    old_was_primary: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "oldAddress": self.old_address,
            "newAddress": self.new_address,
            "oldWasPrimary": self.old_was_primary,
        }


@dataclass(frozen=True)
class WalletMetadata:
    """The content of ``wallet.json``."""

    organisation: str
    primary: ChecksumAddress
    document_public_key: str
    accounts: tuple[WalletAccount, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": WALLET_FORMAT,
            "version": WALLET_VERSION,
            "organisation": self.organisation,
            "primary": self.primary,
            "documentKey": {"file": DOCUMENT_KEY_FILE, "publicKey": self.document_public_key},
            "accounts": [account.to_json() for account in self.accounts],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path) -> WalletMetadata:
        if data.get("format") != WALLET_FORMAT or data.get("version") != WALLET_VERSION:
            raise KeystoreInvalid(path, f"not a {WALLET_FORMAT} version {WALLET_VERSION} file")
        try:
            return cls(
                organisation=str(data["organisation"]),
                primary=to_checksum_address(data["primary"]),
                document_public_key=str(data["documentKey"]["publicKey"]),
                accounts=tuple(WalletAccount.from_json(item) for item in data["accounts"]),
            )
        except (KeyError, TypeError, ValueError):
            raise KeystoreInvalid(path, "malformed wallet metadata") from None

    def with_account(self, account: WalletAccount) -> WalletMetadata:
        """A copy with ``account`` replacing the entry of the same address, or appended."""
        if any(a.address == account.address for a in self.accounts):
            updated = tuple(account if a.address == account.address else a for a in self.accounts)
            return replace(self, accounts=updated)
        return replace(self, accounts=(*self.accounts, account))


def check_slug(slug: str) -> str:
    """``slug`` if it is a safe directory name, else ``OrganisationSlugInvalid``."""
    if not _SLUG_RE.fullmatch(slug):
        raise OrganisationSlugInvalid(slug)
    return slug


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _address(value: str) -> ChecksumAddress:
    if not is_address(value):
        raise ValueError(f"not an address: {value!r}")
    return to_checksum_address(value)


class WalletDirectory:
    """The wallet root: one sub-directory per organisation."""

    def __init__(self, root: Path, cost: ScryptCost | None = None) -> None:
        self.root = Path(root)
        self.cost = cost if cost is not None else ScryptCost()
        if self.cost.is_weak:
            _log.warning("wallet scrypt cost n=%d is for tests only; production uses 2**18", self.cost.n)

    @classmethod
    def from_env(cls, root: Path | None = None, environ: Mapping[str, str] | None = None) -> WalletDirectory:
        """``root`` or ``PORTLEDGER_WALLET_DIR`` or ``./data/wallets``; cost from the environment."""
        env = os.environ if environ is None else environ
        chosen = root if root is not None else Path(env.get(WALLET_DIR_ENV) or DEFAULT_WALLET_DIR)
        return cls(chosen, ScryptCost.from_env(env))

    def organisations(self) -> list[str]:
        """Slugs of the organisations that have a wallet here, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and _SLUG_RE.fullmatch(entry.name) and (entry / METADATA_FILE).is_file()
        )

    def organisation(self, slug: str) -> OrganisationWallet:
        """The existing wallet of ``slug`` (``OrganisationWalletNotFound`` otherwise)."""
        wallet = OrganisationWallet(self, check_slug(slug))
        if not wallet.metadata_path.is_file():
            raise OrganisationWalletNotFound(slug)
        return wallet

    def create_organisation(
        self, slug: str, passphrase: Passphrase, *, label: str | None = None, private_key: bytes | None = None
    ) -> OrganisationWallet:
        """A new organisation wallet: its first (primary) account and its X25519 document key.

        ``private_key`` imports an existing key as the first account instead of generating one.
        """
        check_slug(slug)
        wallet = OrganisationWallet(self, slug)
        if wallet.metadata_path.exists():
            raise OrganisationWalletExists(slug)
        if not self.root.exists():
            ensure_private_dir(self.root)
        ensure_private_dir(wallet.path)
        ensure_private_dir(wallet.accounts_path)
        with wallet.locked():
            if wallet.metadata_path.exists():
                raise OrganisationWalletExists(slug)
            key = private_key if private_key is not None else bytes(Account.create().key)
            account = wallet._write_account(key, passphrase, AccountStatus.ACTIVE, label)
            document_key = DocumentKeyPair.generate()
            write_private_json(
                wallet.document_key_path, encrypt_document_key(document_key, passphrase, self.cost)
            )
            metadata = WalletMetadata(slug, account.address, document_key.public_key_hex, (account,))
            wallet._save(metadata)
        _log.info("created wallet for %s with account %s", slug, account.address)
        return wallet


class OrganisationWallet:
    """One organisation's accounts, document key and rotation state."""

    def __init__(self, directory: WalletDirectory, slug: str) -> None:
        self.directory = directory
        self.slug = slug
        self.path = directory.root / slug
        self.accounts_path = self.path / ACCOUNTS_DIR
        self.metadata_path = self.path / METADATA_FILE
        self.document_key_path = self.path / DOCUMENT_KEY_FILE

    def __repr__(self) -> str:
        return f"OrganisationWallet(slug={self.slug!r}, path={str(self.path)!r})"

    # --- reading -----------------------------------------------------------------------------

    def metadata(self) -> WalletMetadata:
        try:
            data = read_json(self.metadata_path)
        except FileNotFoundError:
            raise OrganisationWalletNotFound(self.slug) from None
        except (OSError, ValueError):
            raise KeystoreInvalid(self.metadata_path, "unreadable wallet metadata") from None
        if not isinstance(data, Mapping):
            raise KeystoreInvalid(self.metadata_path, "wallet metadata is not an object")
        return WalletMetadata.from_json(data, self.metadata_path)

    def accounts(self) -> list[WalletAccount]:
        """Every account, in the order they were added."""
        return list(self.metadata().accounts)

    def account(self, address: str) -> WalletAccount:
        """The account with ``address`` (any case); ``WalletAccountNotFound`` otherwise."""
        try:
            wanted = _address(address)
        except ValueError:
            raise WalletAccountNotFound(self.slug, address) from None
        for account in self.metadata().accounts:
            if account.address == wanted:
                return account
        raise WalletAccountNotFound(self.slug, wanted)

    @property
    def primary_address(self) -> ChecksumAddress:
        """The account that signs when the caller names none."""
        return self.metadata().primary

    def document_public_key_hex(self) -> str:
        """The X25519 public key (64 hex digits) the organisation publishes in the Consortium."""
        try:
            document = read_json(self.document_key_path)
        except (OSError, ValueError):
            raise KeystoreInvalid(self.document_key_path, "unreadable document key file") from None
        return document_public_key_hex(document, self.document_key_path)

    def keystore_path(self, address: str) -> Path:
        return self.accounts_path / f"{self.account(address).address}.json"

    def keystore(self, address: str) -> dict[str, Any]:
        """The encrypted version-3 keystore of ``address`` (safe to hand out: it is ciphertext)."""
        path = self.keystore_path(address)
        try:
            data = read_json(path)
        except (OSError, ValueError):
            raise KeystoreInvalid(path, "unreadable keystore") from None
        if not isinstance(data, dict):
            raise KeystoreInvalid(path, "a keystore is a JSON object")
        return data

    # --- unlocking ---------------------------------------------------------------------------

    def signer(self, passphrase: Passphrase, address: str | None = None) -> LocalSigner:
        """A signer for ``address`` (default: the primary account); retired accounts refuse."""
        account = self.account(address if address is not None else self.primary_address)
        if account.status is AccountStatus.RETIRED:
            raise WalletAccountNotUsable(self.slug, account.address, account.status.value, "sign")
        path = self.keystore_path(account.address)
        return LocalSigner.from_keystore(self.keystore(account.address), passphrase, source=path)

    def document_key(self, passphrase: Passphrase) -> DocumentKeyPair:
        """Unlock the organisation's X25519 document key."""
        try:
            document = read_json(self.document_key_path)
        except (OSError, ValueError):
            raise KeystoreInvalid(self.document_key_path, "unreadable document key file") from None
        return decrypt_document_key(document, passphrase, self.document_key_path)

    def check_passphrase(self, passphrase: Passphrase) -> None:
        """Raise ``WrongPassphrase`` unless ``passphrase`` opens this organisation's files."""
        self.document_key(passphrase)

    # --- adding accounts ---------------------------------------------------------------------

    def new_account(self, passphrase: Passphrase, *, label: str | None = None) -> WalletAccount:
        """Generate another active account (the organisation's passphrase is checked first)."""
        return self._add(bytes(Account.create().key), passphrase, label, AccountStatus.ACTIVE)

    def import_private_key(
        self, private_key: bytes, passphrase: Passphrase, *, label: str | None = None
    ) -> WalletAccount:
        """Store an existing raw key as another active account, encrypted under ``passphrase``."""
        check_private_key(private_key)
        return self._add(private_key, passphrase, label, AccountStatus.ACTIVE)

    def import_keystore(
        self,
        keystore: Mapping[str, Any],
        keystore_passphrase: Passphrase,
        passphrase: Passphrase,
        *,
        label: str | None = None,
    ) -> WalletAccount:
        """Import a version-3 keystore from another tool, re-encrypted under this wallet's passphrase."""
        key = decrypt_keystore(keystore, keystore_passphrase)
        return self._add(key, passphrase, label, AccountStatus.ACTIVE)

    # --- exporting ---------------------------------------------------------------------------

    def export_keystore(
        self,
        address: str,
        destination: Path,
        *,
        passphrase: Passphrase | None = None,
        export_passphrase: Passphrase | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Write the account's version-3 keystore to ``destination`` (0600, atomic).

        By default the file is copied as stored (encrypted under the wallet passphrase). With
        ``export_passphrase`` (and the wallet ``passphrase`` to open it) the key is re-encrypted
        under the export passphrase, so the recipient never learns the wallet's.
        """
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists")
        keystore = self.keystore(address)
        if export_passphrase is not None:
            if passphrase is None:
                raise ValueError("re-encrypting an export needs the wallet passphrase too")
            key = decrypt_keystore(keystore, passphrase, self.keystore_path(address))
            keystore = encrypt_private_key(key, export_passphrase, self.directory.cost)
        if destination.parent != Path() and not destination.parent.exists():
            ensure_private_dir(destination.parent)
        write_private_json(destination, keystore)
        _log.info("exported keystore of %s (%s) to %s", self.account(address).address, self.slug, destination)
        return destination

    # --- rotation ----------------------------------------------------------------------------

    def rotation(self) -> RotationPlan | None:
        """The rotation under way, if any."""
        metadata = self.metadata()
        for account in metadata.accounts:
            if account.status is AccountStatus.PENDING and account.replaces is not None:
                return RotationPlan(
                    self.slug, account.replaces, account.address, metadata.primary == account.replaces
                )
        return None

    def rotate(
        self, passphrase: Passphrase, address: str | None = None, *, label: str | None = None
    ) -> RotationPlan:
        """Prepare replacing ``address`` (default: the primary account) with a fresh key.

        The new account is ``pending`` and the old one ``retiring``: the old one keeps signing
        (it must sign the Consortium change) until ``complete_rotation``.
        """
        self.check_passphrase(passphrase)
        key = bytes(Account.create().key)
        with self.locked():
            underway = self.rotation()
            if underway is not None:
                raise RotationInProgress(self.slug, underway.old_address, underway.new_address)
            metadata = self.metadata()
            old = self.account(address if address is not None else metadata.primary)
            if old.status is not AccountStatus.ACTIVE:
                raise WalletAccountNotUsable(self.slug, old.address, old.status.value, "rotate")
            new = self._write_account(key, passphrase, AccountStatus.PENDING, label, replaces=old.address)
            retiring = replace(
                old, status=AccountStatus.RETIRING, status_changed_at=_now(), replaced_by=new.address
            )
            self._save(metadata.with_account(retiring).with_account(new))
        _log.info("rotation of %s prepared for %s: new account %s", old.address, self.slug, new.address)
        return RotationPlan(self.slug, old.address, new.address, metadata.primary == old.address)

    def complete_rotation(self, plan: RotationPlan) -> None:
        """Record that the Consortium now lists ``plan.new_address`` and no longer ``plan.old_address``."""
        self._finish_rotation(plan, completed=True)

    def cancel_rotation(self, plan: RotationPlan) -> None:
        """Abandon a rotation before the chain step: the old account is active again, the new one retired."""
        self._finish_rotation(plan, completed=False)

    def _finish_rotation(self, plan: RotationPlan, *, completed: bool) -> None:
        if plan.organisation != self.slug:
            raise WalletError(f"the plan is for {plan.organisation!r}, not {self.slug!r}")
        with self.locked():
            metadata = self.metadata()
            old, new = self.account(plan.old_address), self.account(plan.new_address)
            if old.status is not AccountStatus.RETIRING or new.status is not AccountStatus.PENDING:
                raise WalletError(
                    f"no rotation {plan.old_address} -> {plan.new_address} under way for {self.slug!r}"
                )
            now = _now()
            if completed:
                old = replace(old, status=AccountStatus.RETIRED, status_changed_at=now)
                new = replace(new, status=AccountStatus.ACTIVE, status_changed_at=now)
                primary = new.address if metadata.primary == old.address else metadata.primary
            else:
                old = replace(old, status=AccountStatus.ACTIVE, status_changed_at=now, replaced_by=None)
                new = replace(new, status=AccountStatus.RETIRED, status_changed_at=now)
                primary = metadata.primary
            self._save(replace(metadata.with_account(old).with_account(new), primary=primary))
        verb = "completed" if completed else "cancelled"
        _log.info("rotation %s -> %s %s for %s", plan.old_address, plan.new_address, verb, self.slug)

    # --- internals ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the organisation's advisory lock (serialises read-modify-write of wallet.json)."""
        lock_path = self.path / _LOCK_FILE
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _add(
        self, key: bytes, passphrase: Passphrase, label: str | None, status: AccountStatus
    ) -> WalletAccount:
        self.check_passphrase(passphrase)
        with self.locked():
            metadata = self.metadata()
            address = to_checksum_address(Account.from_key(key).address)
            if any(a.address == address for a in metadata.accounts):
                raise WalletAccountExists(self.slug, address)
            account = self._write_account(key, passphrase, status, label)
            self._save(metadata.with_account(account))
        _log.info("added account %s to %s", account.address, self.slug)
        return account

    def _write_account(
        self,
        key: bytes,
        passphrase: Passphrase,
        status: AccountStatus,
        label: str | None,
        *,
        replaces: ChecksumAddress | None = None,
    ) -> WalletAccount:
        keystore = encrypt_private_key(key, passphrase, self.directory.cost)
        address = keystore_address(keystore)
        write_private_json(self.accounts_path / f"{address}.json", keystore)
        now = _now()
        return WalletAccount(address, status, now, now, label, replaces=replaces)

    def _save(self, metadata: WalletMetadata) -> None:
        write_private_json(self.metadata_path, metadata.to_json())
