"""The title state word that ``BillActed`` carries, unpacked (docs/design.md §1.2).

The registry stores a title as one word in the layout of ``struct Bill`` (``contracts/bill/BillPacking.sol``)
and emits it after every action, with the action code in bits 240-247 and the surrender reason in bits
248-255. Projections apply this state instead of re-deriving the state machine. Pure; a parity test
compares it with the registry's own ``bill(id)`` view.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain.codes import BILL_ACTION, BILL_KIND, BILL_STATUS, PLEDGE_STATUS, SURRENDER_REASON

_U32 = 0xFFFFFFFF
_U8 = 0xFF
_U16 = 0xFFFF

F_REJECTABLE = 1
"""The last transfer or endorsement may still be rejected by its recipient."""
F_CLOSED = 2
"""The title holder became holder by a plain ENDORSE and cannot endorse further."""
F_ENDORSED = 16
"""With F_REJECTABLE: the last action was an endorsement (its recipient is the title holder)."""


@dataclass(frozen=True, slots=True)
class BillState:
    """One title after an action; parties are organisation ids (0 = none)."""

    carrier: int
    possessor: int
    holder: int
    prev_possessor: int
    prev_holder: int
    pledgee: int
    status: str
    kind: str
    pledge_status: str
    version: int
    flags: int
    action: str
    reason: str

    @property
    def rejectable(self) -> bool:
        return bool(self.flags & F_REJECTABLE)


def unpack_state(word: int) -> BillState:
    """The fields of a ``BillActed`` state word (or of a stored title word, whose action reads ISSUE)."""
    return BillState(
        carrier=word & _U32,
        possessor=(word >> 32) & _U32,
        holder=(word >> 64) & _U32,
        prev_possessor=(word >> 96) & _U32,
        prev_holder=(word >> 128) & _U32,
        pledgee=(word >> 160) & _U32,
        status=BILL_STATUS[(word >> 192) & _U8],
        kind=BILL_KIND[(word >> 200) & _U8],
        pledge_status=PLEDGE_STATUS[(word >> 208) & _U8],
        version=(word >> 216) & _U16,
        flags=(word >> 232) & _U8,
        action=BILL_ACTION[(word >> 240) & _U8],
        reason=SURRENDER_REASON[(word >> 248) & _U8],
    )
