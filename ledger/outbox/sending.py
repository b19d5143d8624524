"""Sending stored signed transactions, and what the node's answers to them mean.

Transactions go out in nonce order, in JSON-RPC batches of ``eth_sendRawTransaction``. An answer
that says the transaction is (or was) already there counts as sent. One that condemns the
transaction itself (gas above the block gas limit, a bad signature or chain id) would block every
later nonce: it is handed back to the caller, which fills the nonce
(:meth:`ledger.outbox.nonces.Nonces.fill`). Anything else (insufficient funds, a full pool, a node
restarting) is left for the tracker to re-send with the same bytes after ``resend_after``, which is
why the time each hash was last sent is kept here. Must not: sign, or change an operation's row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ledger.chain import ChainClient
from ledger.outbox.transactions import SignedTransaction

_log = logging.getLogger(__name__)

# Answers to eth_sendRawTransaction that mean "this transaction is (or was) already there".
_BENIGN_SEND_ERRORS = (
    "already known",
    "known transaction",
    "already imported",
    "already exists",
    "already in",
    "nonce too low",
    "replacement transaction underpriced",
)

# Answers that condemn the transaction itself; anything else (insufficient funds, pool full, a
# node restarting) is retried with the same bytes after ``resend_after``.
_PERMANENT_SEND_ERRORS = (
    "intrinsic gas",
    "gas limit",
    "exceeds block gas",
    "oversized",
    "initcode",
    "invalid sender",
    "invalid signature",
    "invalid chain id",
    "incorrect chain id",
)

Refused = Callable[[SignedTransaction, str], None]
"""Called with a transaction the node refused for good and the node's message."""


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _benign(error: Mapping[str, Any]) -> bool:
    message = str(error.get("message", "")).lower()
    return any(text in message for text in _BENIGN_SEND_ERRORS)


def _refused_for_good(error: Mapping[str, Any]) -> bool:
    """The node will never accept this transaction as signed (not: "not now, for this account")."""
    message = str(error.get("message", "")).lower()
    return any(text in message for text in _PERMANENT_SEND_ERRORS)


class Sending:
    """Sends signed transactions to ``chain``, ``batch_size`` to a batch, and remembers when."""

    def __init__(self, chain: ChainClient, *, batch_size: int):
        self.chain = chain
        self.batch_size = batch_size
        self._last_sent: dict[str, float] = {}

    def send(self, items: Sequence[SignedTransaction], refused: Refused) -> int:
        """Send ``items`` in nonce order; returns how many went out.

        ``refused`` is called for each transaction the node refused for good as soon as its batch is
        answered, before the next batch goes out (so a filler is on its way before later nonces).
        """
        for chunk in chunks(sorted(items, key=lambda s: s.nonce), self.batch_size):
            answers = self.chain.batch([("eth_sendRawTransaction", ["0x" + s.raw.hex()]) for s in chunk])
            now = time.monotonic()
            for item, answer in zip(chunk, answers, strict=True):
                self._last_sent[item.tx_hash] = now
                if "error" not in answer or _benign(answer["error"]):
                    continue
                if _refused_for_good(answer["error"]):
                    refused(item, str(answer["error"].get("message")))
                else:
                    _log.warning(
                        "%s refused for now, will re-send: %s", item.op_id, answer["error"].get("message")
                    )
        return len(items)

    def last_sent(self, tx_hash: str) -> float:
        """When ``tx_hash`` was last sent by this process (``time.monotonic``; 0 if never)."""
        return self._last_sent.get(tx_hash, 0.0)

    def forget(self, tx_hash: str) -> None:
        self._last_sent.pop(tx_hash, None)
