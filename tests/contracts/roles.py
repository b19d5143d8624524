"""The role matrix: every state-changing external function of the contracts × every caller kind, as ONE table.

Per-contract row lists live next to this module (roles_consortium.py, roles_bill.py,
roles_attestation.py, roles_release.py) and are concatenated here. A row is
``(contract, function, allowed caller kinds, expected error for the others, setup[, refusal])``:
``setup(world)`` prepares state and returns valid arguments for one call; the optional ``refusal(world,
kind, args)`` gives the exact error name and arguments a refused caller kind gets (outsiders and
suspended members are usually refused earlier than role holders); without it only the error name of
the row is asserted. Caller kinds: one organisation per role, ``OUTSIDER``, ``SUSPENDED``, ``GOVERNOR``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.contracts.roles_attestation import CALLER_KINDS, World

Args = tuple[Any, ...]


@dataclass(frozen=True)
class Row:
    contract: str
    function: str
    allowed: frozenset[str]
    error: str
    setup: Callable[[World], Args]
    refusal: Callable[[World, str, Args], tuple[str, dict[str, Any] | None]] | None = None

    def expected(self, world: World, kind: str, args: Args) -> tuple[str, dict[str, Any] | None]:
        """(error name, error arguments or None when only the name is specified) for a refused kind."""
        if self.refusal is not None:
            return self.refusal(world, kind, args)
        return self.error, None

    @property
    def label(self) -> str:
        return f"{self.contract}.{self.function}"


def _rows_of(module: str) -> list[Row]:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:  # that contract's rows are not written yet
            return []
        raise
    return [Row(*row) for row in mod.ROWS]


TABLE: list[Row] = [
    row
    for module in (
        "tests.contracts.roles_consortium",
        "tests.contracts.roles_bill",
        "tests.contracts.roles_attestation",
        "tests.contracts.roles_release",
    )
    for row in _rows_of(module)
]

CASES: list[tuple[Row, str]] = [(row, kind) for row in TABLE for kind in CALLER_KINDS]


def case_id(index: int, row: Row, kind: str) -> str:
    return f"{index:02d}-{row.label}-{kind}"


CASE_IDS: list[str] = [case_id(i, row, kind) for i, row in enumerate(TABLE) for kind in CALLER_KINDS]
