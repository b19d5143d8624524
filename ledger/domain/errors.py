"""The error catalogue: one exception root for the whole core, and the on-chain revert type.

Every contract revert is a named custom error. ``ledger.chain`` decodes the revert data into a
:class:`ContractRevert` carrying the error's name and its named arguments; ``code`` is the stable
SCREAMING_SNAKE_CASE code the API publishes (``BillNotPossessor`` → ``BILL_NOT_POSSESSOR``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ledger.domain.codes import enum_name

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def error_code(name: str) -> str:
    """``BillNotPossessor`` → ``BILL_NOT_POSSESSOR``; ``ERC721InvalidOwner`` → ``ERC721_INVALID_OWNER``."""
    return _CAMEL_BOUNDARY.sub("_", name).upper()


class LedgerError(Exception):
    """Root of every error the core raises on purpose."""

    code: str = "LEDGER_ERROR"


class ContractRevert(LedgerError):
    """A contract call or transaction reverted with a named custom error.

    ``name`` is the Solidity error name, ``args`` its arguments by parameter name (values as
    decoded from the ABI: ints, bytes, checksummed addresses, strings, tuples), ``code`` the
    published error code. Unknown revert data keeps the raw bytes in ``data`` and the name
    ``UnknownRevert``; a ``Panic(uint256)`` or ``Error(string)`` keeps its standard name.
    """

    def __init__(
        self,
        name: str,
        args: dict[str, Any],
        data: bytes = b"",
        tx_hash: str | None = None,
        enums: Mapping[str, str] | None = None,
    ):
        self.name = name
        self._arguments = dict(args)
        self.data = data
        self.tx_hash = tx_hash
        self.enums = dict(enums or {})
        """Which arguments are Solidity enums: argument name → enum type name (``BillStatus``)."""
        self.code = error_code(name)
        detail = ", ".join(f"{k}={_short(v)}" for k, v in args.items())
        super().__init__(f"{name}({detail})")

    @property
    def args(self) -> dict[str, Any]:  # type: ignore[override]  # the error's named arguments, not Exception's message tuple
        return self._arguments

    def plain_args(self) -> dict[str, Any]:
        """The arguments in plain terms: an enum as its member name (``status: 3`` →
        ``"SURRENDER_PENDING_DELIVERY"``), a title id as 0x + 64 hex digits."""
        out: dict[str, Any] = {}
        for key, value in self._arguments.items():
            if key in self.enums and isinstance(value, int):
                out[key] = enum_name(self.enums[key], value)
            elif key in _TITLE_ID_ARGS and isinstance(value, int) and not isinstance(value, bool):
                out[key] = "0x" + value.to_bytes(32, "big").hex()
            else:
                out[key] = value
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self._arguments, self.data, self.tx_hash, self.enums))


_TITLE_ID_ARGS = frozenset({"billId", "titleId"})


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


class ChainUnavailable(LedgerError):
    """The JSON-RPC endpoint cannot be reached or answered with a transport error."""

    code = "CHAIN_UNAVAILABLE"


class TransactionTimeout(LedgerError):
    """A sent transaction had no receipt within the allowed time."""

    code = "TRANSACTION_TIMEOUT"
