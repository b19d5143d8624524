"""Fixtures for the oracle runner tests: the deployed stack inside a snapshot, runner configurations with
key files, and the chain-side setup (a bill, a granted release right) that gate moves need."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account

from cli.oracle import RunnerConfig, build_runner
from ledger.chain import ChainClient
from ledger.domain import ids
from oracles.mapping import Agency, Directory
from oracles.metrics import OracleMetrics
from oracles.runner import OracleRunner
from tests.deployed import DeployedStack

SWB = 2  # BillKind.SWB: releasable to its holder straight after issue
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
ZERO32 = b"\x00" * 32
HAULIER_CODE = "DEMOHAUL"
CARRIER_CODE = "TOLU"


@pytest.fixture
def stack(deployed_stack: DeployedStack, isolated: ChainClient) -> Iterator[DeployedStack]:
    """The session's deployed stack; every change is rolled back after the test."""
    yield deployed_stack


def write_key(path: Path, key: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return path


def fresh_relayer(chain: ChainClient, directory: Path) -> tuple[str, Path]:
    """A new key that only relays reports (anyone may relay), funded on the dev chain."""
    account = Account.create()
    chain.rpc("anvil_setBalance", [account.address, hex(10**21)])
    return account.address, write_key(directory / "relayer.key", bytes(account.key))


@dataclass
class OracleSetup:
    stack: DeployedStack
    root: Path
    relayer: str
    listed_by_bill: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def directory(self) -> Directory:
        record = self.stack.deployment
        return Directory(
            schema_ids={name: record.schema_id(name) for name in record.schemas},
            carriers={CARRIER_CODE: self.stack.org("carrier")},
            parties={HAULIER_CODE: self.stack.org("haulier")},
            agency_org=self.stack.org("customs"),
        )

    def config(
        self,
        agency: Agency,
        signers: int = 3,
        name: str | None = None,
        messages_url: str | None = None,
    ) -> Path:
        """A runner configuration for ``agency`` with the first ``signers`` of its oracle keys; its messages
        in the database at ``messages_url`` (a node's), else in the runner's own outbox database."""
        keys = self.root / "keys"
        if agency is Agency.CUSTOMS:
            org = "customs"
            signer_files = [
                str(
                    write_key(keys / f"customs-oracle-{i}.key", self.stack.private_key(f"customs/oracle-{i}"))
                )
                for i in range(1, signers + 1)
            ]
            sender = str(keys / "relayer.key")
        elif agency is Agency.TERMINAL:
            org = "terminal"
            signer_files = []
            sender = str(write_key(keys / "terminal.key", self.stack.private_key("terminal")))
        else:
            org = "maritime"
            signer_files = [
                str(write_key(keys / "maritime-oracle-1.key", self.stack.private_key("maritime/oracle-1")))
            ]
            sender = str(keys / "relayer.key")
        config = {
            "rpcUrl": self.stack.chain.rpc_url,
            "deployment": str(self.stack.data_dir / "deployments" / f"{self.stack.deployment.chain_id}.json"),
            "organisation": org,
            "signers": signer_files,
            "sender": sender,
            "carriers": {CARRIER_CODE: self.stack.org("carrier")},
            "parties": {HAULIER_CODE: self.stack.org("haulier")},
            "timeZone": "Asia/Shanghai",
            "deadlineWindow": 600,
            "messagesDatabaseUrl": messages_url,
        }
        path = self.root / f"{name or agency.value}.json"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        return path

    def runner(
        self, agency: Agency, inbox: Path, signers: int = 3, messages_url: str | None = None
    ) -> OracleRunner:
        config = RunnerConfig.load(
            self.config(agency, signers, name=f"{agency.value}-{signers}", messages_url=messages_url)
        )
        return build_runner(agency, inbox, config, OracleMetrics(agency.value))

    # -- chain-side setup a test needs -------------------------------------------------------------
    def issue_bill(self, reference: str, containers: tuple[str, ...]) -> int:
        """A sea waybill from the carrier to the consignee (releasable at once) listing ``containers``."""
        stack = self.stack
        listed = containers
        request = (
            reference,
            SWB,
            stack.org("consignee"),
            stack.org("consignee"),
            hashlib.sha256(reference.encode()).digest(),
            ids.container_root(listed),
            CID,
        )
        receipt = stack.contracts.bills.transact("issue", request, ZERO32, sender=stack.admin("carrier"))
        bill_id = int(receipt.event("BillIssued").args["billId"])
        self.listed_by_bill[bill_id] = listed
        return bill_id

    def grant_to_haulier(self, bill_id: int, container: str) -> bytes:
        """The carrier grants release of ``container`` (listed on the bill) at the terminal; the consignee
        nominates a haulier."""
        stack = self.stack
        now = stack.chain.latest_timestamp()
        receipt = stack.contracts.release.transact(
            "grant",
            bill_id,
            [container],
            [ids.container_proof(self.listed_by_bill[bill_id], container)],
            (stack.org("terminal"), 0, now - 60, now + 86_400),
            sender=stack.admin("carrier"),
        )
        right_id: bytes = receipt.event("ReleaseGranted").args["rightId"]
        stack.contracts.release.transact(
            "nominate", right_id, stack.org("haulier"), sender=stack.admin("consignee")
        )
        return right_id

    def relayer_transactions(self) -> int:
        return int(self.stack.chain.rpc("eth_getTransactionCount", [self.relayer, "latest"]), 16)


@pytest.fixture
def oracle(stack: DeployedStack, tmp_path: Path) -> OracleSetup:
    relayer, _ = fresh_relayer(stack.chain, tmp_path / "keys")
    return OracleSetup(stack, tmp_path, relayer)
