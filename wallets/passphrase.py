"""Where the wallet passphrase comes from: the environment or a secret file, never an argument.

``Passphrase`` wraps the text so that ``repr``, ``str``, f-strings and pickling cannot spill it;
only ``reveal()`` hands it over, and only the keystore code calls it. This module must not log,
print or store the passphrase.
"""

from __future__ import annotations

import hmac
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from wallets.errors import WalletLocked

PASSPHRASE_ENV = "PORTLEDGER_WALLET_PASSPHRASE"
PASSPHRASE_FILE_ENV = "PORTLEDGER_WALLET_PASSPHRASE_FILE"

_log = logging.getLogger(__name__)


class Passphrase:
    """A secret passphrase; prints as ``Passphrase(***)`` and refuses to be pickled."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        if not text:
            raise WalletLocked("the passphrase is empty")
        self._text = text

    def reveal(self) -> str:
        """The passphrase itself, for the KDF. Do not keep, log or return the result."""
        return self._text

    def __repr__(self) -> str:
        return "Passphrase(***)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Passphrase) and hmac.compare_digest(
            other._text.encode(), self._text.encode()
        )

    def __hash__(self) -> int:
        return hash((Passphrase, self._text))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Passphrase cannot be pickled")


def passphrase_from_file(path: Path) -> Passphrase:
    """Read a passphrase from a secret file (one trailing newline is dropped).

    A file readable by group or others still works (container secrets are often mounted 0444),
    but a warning names the file so the operator can tighten it.
    """
    try:
        mode = path.stat().st_mode
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WalletLocked(f"cannot read passphrase file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        _log.warning("passphrase file %s is accessible to group or others; chmod 600 it", path)
    if raw.endswith("\r\n"):
        raw = raw[:-2]
    elif raw.endswith("\n"):
        raw = raw[:-1]
    if not raw:
        raise WalletLocked(f"passphrase file {path} is empty")
    return Passphrase(raw)


def passphrase_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    variable: str = PASSPHRASE_ENV,
    file_variable: str = PASSPHRASE_FILE_ENV,
) -> Passphrase:
    """The passphrase named by the environment: ``variable`` itself or the file ``file_variable`` names.

    Exactly one of the two must be set; both or neither raise ``WalletLocked``.
    """
    env = os.environ if environ is None else environ
    direct = env.get(variable)
    file_name = env.get(file_variable)
    if direct and file_name:
        raise WalletLocked(f"both {variable} and {file_variable} are set; set only one")
    if file_name:
        return passphrase_from_file(Path(file_name))
    if direct:
        return Passphrase(direct)
    raise WalletLocked(f"set {variable} or {file_variable}")
