"""The benchmark's world: a fresh anvil, PortLedger deployed by the real deploy plan, and the title workload.

The consortium is one carrier and four traders. The measured write is the title transfer: a trader that
possesses a negotiable B/L transfers it to the next trader (four signing organisations, four nonce
streams). Titles are seeded by the carrier with raw signed ``issue`` batches of 200 sent straight to
anvil (not timed), so every run has fresh titles to move and the growth points can hold 100k titles.

Private keys are anvil's development keys (derived from its public mnemonic): never real secrets.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.chain import ChainClient, Contract
from ledger.chain.anvil import Anvil
from ledger.domain import ids
from ledger.outbox import KeySigner
from tests.deployed import DeployedStack, deploy_stack, private_key_of

BATCH = 200
"""Transactions per JSON-RPC batch (the raw ceiling's batch size)."""
TX_GAS = 250_000
"""Gas limit of each raw transaction (issue ~150k, transfer ~45k; unused gas is not charged)."""
MAX_BACKLOG = 400
"""At most this many sent transactions waiting in anvil's pool before the next batch goes out."""
SEED_BLOCK = 2000
"""Titles per block when seeding an automine anvil (~180M gas: the bench anvil's gas limit is 1e9)."""
ZERO32 = b"\x00" * 32
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
CONTAINER_ROOT = ids.container_root(["BOLU1234564"])
NEGOTIABLE = 0
TRADERS = ("trader-1", "trader-2", "trader-3", "trader-4")

BENCH_CONSORTIUM: dict[str, Any] = {
    "consortium": {"governors": ["deployer"], "threshold": 1, "sealBootstrap": False},
    "organisations": [
        {
            "name": "carrier",
            "registeredName": "Bench Ocean Lines",
            "legalId": "BOLU",
            "roles": ["CARRIER"],
            "admin": "wallet:carrier",
        },
        *(
            {
                "name": name,
                "registeredName": f"Bench Trader {i + 1}",
                "legalId": f"91330200MA2BENCH{i + 1:02d}",
                "roles": ["TRADER"],
                "admin": f"wallet:{name}",
            }
            for i, name in enumerate(TRADERS)
        ),
    ],
}


title_id = ids.title_id


@dataclass
class Title:
    bill_id: int
    possessor: str
    """Config name of the trader that possesses it."""


@dataclass
class World:
    """anvil + the deployed stack + the signers of its organisations + a running title counter."""

    anvil: Anvil
    chain: ChainClient
    stack: DeployedStack
    keys: dict[str, bytes]
    signers: dict[str, KeySigner]
    nonces: dict[str, int] = field(default_factory=dict)
    seeded: int = 0
    run_tag: str = field(default_factory=lambda: os.urandom(3).hex().upper())

    @property
    def bills(self) -> Contract:
        return self.stack.contracts.bills

    def org(self, name: str) -> int:
        return self.stack.org(name)

    def next_nonce(self, name: str) -> int:
        address = self.signers[name].address
        if name not in self.nonces:
            self.nonces[name] = int(self.chain.rpc("eth_getTransactionCount", [address, "pending"]), 16)
        nonce = self.nonces[name]
        self.nonces[name] = nonce + 1
        return nonce

    def forget_nonces(self) -> None:
        """Re-read nonces from the node next time (after someone else, e.g. the outbox, used the key)."""
        self.nonces.clear()

    def sign(self, name: str, data: bytes) -> bytes:
        tx = {
            "nonce": self.next_nonce(name),
            "gasPrice": 0,
            "gas": TX_GAS,
            "to": self.bills.address,
            "value": 0,
            "data": data,
            "chainId": self.chain.chain_id,
        }
        return self.signers[name].sign_transaction(tx)

    def send_raw(self, raws: Sequence[bytes], *, wait: bool = True, backlog: int = MAX_BACKLOG) -> None:
        """Send in JSON-RPC batches of 200 (after waiting for anvil's pool to hold at most
        ``backlog``, unless ``wait`` is False); raise on any refusal."""
        for first in range(0, len(raws), BATCH):
            if wait:
                self.wait_backlog(backlog)
            answers = self.chain.batch(
                [("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw in raws[first : first + BATCH]]
            )
            errors = [a["error"] for a in answers if "error" in a]
            if errors:
                raise RuntimeError(f"raw send refused: {errors[:3]}")

    def wait_backlog(self, limit: int = MAX_BACKLOG, timeout: float = 120.0) -> None:
        """Wait while more than ``limit`` transactions wait in anvil's pool (a deep pool stalls anvil)."""
        deadline = time.monotonic() + timeout
        while int(self.chain.rpc("txpool_status")["pending"], 16) > limit:
            if time.monotonic() > deadline:
                raise TimeoutError(f"anvil's pool stayed above {limit} transactions for {timeout} s")
            time.sleep(0.002)

    def wait_nonces(self, timeout: float = 300.0) -> None:
        """Wait until every locally counted nonce is mined."""
        deadline = time.monotonic() + timeout
        for name, nonce in self.nonces.items():
            address = self.signers[name].address
            while int(self.chain.rpc("eth_getTransactionCount", [address, "latest"]), 16) < nonce:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not reach nonce {nonce}")
                time.sleep(0.005)

    # -- seeding -----------------------------------------------------------------------------------
    def issue_calls(self, count: int) -> Iterable[tuple[bytes, Title]]:
        carrier = self.org("carrier")
        for _ in range(count):
            self.seeded += 1
            reference = f"BOLU{self.run_tag}{self.seeded:09d}"
            holder = TRADERS[self.seeded % len(TRADERS)]
            checksum = hashlib.sha256(reference.encode()).digest()
            request = (reference, NEGOTIABLE, self.org(holder), 0, checksum, CONTAINER_ROOT, CID)
            data = self.bills.encode("issue", request, ZERO32)
            yield data, Title(title_id(carrier, reference), holder)

    def seed(self, count: int) -> list[Title]:
        """Issue ``count`` titles to the traders round-robin with raw batches; wait until mined.

        On an automine anvil the titles go into blocks of ``SEED_BLOCK`` (automine off, ``evm_mine``
        after each): anvil's cost per block grows with the state, so a mined-per-arrival seeding of
        100k titles would take longer than the whole benchmark may."""
        manual = not self.anvil.block_time
        titles: list[Title] = []
        if manual:
            self.chain.rpc("evm_setAutomine", [False])
        try:
            unmined = 0
            for first in range(0, count, BATCH):
                raws = []
                for data, title in self.issue_calls(min(BATCH, count - first)):
                    raws.append(self.sign("carrier", data))
                    titles.append(title)
                self.send_raw(raws, wait=not manual)
                unmined += len(raws)
                if manual and (unmined >= SEED_BLOCK or first + BATCH >= count):
                    self.chain.rpc("evm_mine")
                    unmined = 0
        finally:
            if manual:
                self.chain.rpc("evm_setAutomine", [True])
        self.wait_nonces()
        return titles

    def transfer_data(self, title: Title) -> tuple[str, int, bytes]:
        """(signing trader, recipient org, calldata) of moving ``title`` to the next trader."""
        to = TRADERS[(TRADERS.index(title.possessor) + 1) % len(TRADERS)]
        return (
            title.possessor,
            self.org(to),
            self.bills.encode("transfer", title.bill_id, self.org(to), ZERO32),
        )


def start_world(
    data_dir: Path, *, block_time: float | None = None, gas_limit: int | None = None, log: Path | None = None
) -> World:
    """Start anvil (20 accounts), deploy the bench consortium, derive the organisations' keys."""
    anvil = Anvil(accounts=20, block_time=block_time, gas_limit=gas_limit, log_file=log).start()
    try:
        chain = ChainClient(anvil.url)
        stack = deploy_stack(chain, data_dir, BENCH_CONSORTIUM, first_account=0)
        keys = {name: private_key_of(chain, stack.admin(name)) for name in ("carrier", *TRADERS)}
        return World(anvil, chain, stack, keys, {name: KeySigner(key) for name, key in keys.items()})
    except BaseException:
        anvil.stop()
        raise
