"""The wallet error family: one root, one class per problem, the facts as attributes.

Messages name organisations, addresses and file paths, never a passphrase or key material, so
they are safe to log and to show to an operator.
"""

from __future__ import annotations

from pathlib import Path


class WalletError(Exception):
    """Root of every error raised by ``wallets``."""


class WalletLocked(WalletError):
    """No passphrase is available to unlock the wallet (or its source is misconfigured)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"wallet locked: {reason}")
        self.reason = reason


class WrongPassphrase(WalletLocked):
    """The passphrase does not open the keystore (its MAC or authentication tag does not match)."""

    def __init__(self, path: Path | None) -> None:
        where = f" {path}" if path is not None else ""
        WalletError.__init__(self, f"wrong passphrase for keystore{where}")
        self.reason = "wrong passphrase"
        self.path = path


class KeystoreInvalid(WalletError):
    """A keystore file is missing, unreadable, not JSON or not in a format this package reads."""

    def __init__(self, path: Path | None, problem: str) -> None:
        where = f" {path}" if path is not None else ""
        super().__init__(f"invalid keystore{where}: {problem}")
        self.path = path
        self.problem = problem


class PrivateKeyInvalid(WalletError):
    """Material offered for import is not a valid secp256k1 private key (the value is not echoed)."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid private key: {problem}")
        self.problem = problem


class OrganisationSlugInvalid(WalletError):
    """An organisation slug is not a safe directory name (lower-case letters, digits, hyphens)."""

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"invalid organisation slug {slug!r}: use 1-63 lower-case letters, digits or hyphens, "
            "starting with a letter or digit"
        )
        self.slug = slug


class OrganisationWalletNotFound(WalletError):
    """No wallet directory exists for the organisation."""

    def __init__(self, organisation: str) -> None:
        super().__init__(f"no wallet for organisation {organisation!r}")
        self.organisation = organisation


class OrganisationWalletExists(WalletError):
    """A wallet directory already exists for the organisation."""

    def __init__(self, organisation: str) -> None:
        super().__init__(f"organisation {organisation!r} already has a wallet")
        self.organisation = organisation


class WalletAccountNotFound(WalletError):
    """The organisation's wallet holds no account with that address."""

    def __init__(self, organisation: str, address: str) -> None:
        super().__init__(f"organisation {organisation!r} has no account {address}")
        self.organisation = organisation
        self.address = address


class WalletAccountExists(WalletError):
    """The organisation's wallet already holds an account with that address."""

    def __init__(self, organisation: str, address: str) -> None:
        super().__init__(f"organisation {organisation!r} already holds account {address}")
        self.organisation = organisation
        self.address = address


class WalletAccountNotUsable(WalletError):
    """The account exists but its status does not allow the operation (e.g. signing when retired)."""

    def __init__(self, organisation: str, address: str, status: str, operation: str) -> None:
        super().__init__(f"account {address} of {organisation!r} is {status}: cannot {operation}")
        self.organisation = organisation
        self.address = address
        self.status = status
        self.operation = operation


class RotationInProgress(WalletError):
    """A rotation of the organisation's keys is already under way and must be completed first."""

    def __init__(self, organisation: str, old_address: str, new_address: str) -> None:
        super().__init__(
            f"organisation {organisation!r} is already rotating {old_address} -> {new_address}; "
            "complete or cancel it first"
        )
        self.organisation = organisation
        self.old_address = old_address
        self.new_address = new_address
