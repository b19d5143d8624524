"""The port world the release, attestation, consortium, event and webhook API tests share (no tests here).

One deployment of the demo consortium (``config/consortium.demo.yaml``) on the session's anvil, with a
fresh key per organisation and per customs oracle signer, a real SQLite database migrated to head, the
local document store, the transaction manager running in the app, and one API key per organisation.
Requests go through FastAPI's in-process client. Tests share the world and keep apart by using their
own bills and containers.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient, Contract
from ledger.chain.deploy_plan import run_in_process
from ledger.chain.deployment import Deployment, bind
from ledger.consortium_config import load_config
from ledger.db import Database
from ledger.documents import LocalDocumentStore
from ledger.domain import ids, schemas
from ledger.domain.values import iso6346_check_digit
from ledger.outbox import KeySigner
from ledger.services.organisations import OrgWallet
from ledger.settings import Settings
from ledger_api.main import create_app

ROOT = Path(__file__).resolve().parents[2]
ORGS = (
    "port-authority",
    "customs",
    "maritime",
    "carrier",
    "shipper",
    "consignee",
    "forwarder",
    "haulier",
    "bank",
    "terminal",
)
NEGOTIABLE = 0
ZERO32 = b"\x00" * 32
WAIT = {"Prefer": "wait=20"}


@dataclass
class PortWorld:
    """Everything a test needs: the HTTP client, keys, org ids and direct contract handles for setup."""

    client: TestClient
    ledger: Ledger
    chain: ChainClient
    deployment: Deployment
    org: dict[str, int]
    signer: dict[str, KeySigner]
    setup: dict[str, KeySigner]
    deployer: KeySigner
    token: dict[str, str]
    oracles: list[LocalAccount]
    contracts: Any
    listed: dict[int, list[str]] = field(default_factory=dict)
    """The container numbers each bill issued here lists (its container root)."""
    _serial: int = field(default=0)

    def headers(self, org: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token[org]}", **WAIT, **extra}

    def post(self, org: str, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(path, json=body, headers=self.headers(org, **headers))

    def get(self, org: str, path: str, **headers: str) -> Any:
        return self.client.get(path, headers=self.headers(org, **headers))

    @property
    def bills(self) -> Contract:
        bills: Contract = self.contracts.bills
        return bills

    def new_container(self) -> str:
        """A fresh valid ISO 6346 number (owner TSTU, random serial)."""
        serial = f"{random.randrange(10**6):06d}"
        head = "TSTU" + serial
        return head + str(iso6346_check_digit(head))

    def issue(self, to: str = "consignee", containers: list[str] | None = None) -> int:
        """A negotiable B/L issued straight on the registry by the carrier, listing ``containers`` (two
        fresh ones by default); the node records the containers as if it had sealed the document, which
        is what its release grants prove against the title's container root."""
        self._serial += 1
        ref = f"DOLU{self._serial:06d}{os.urandom(3).hex()}"
        listed = containers if containers is not None else [self.new_container(), self.new_container()]
        checksum = hashlib.sha256(ref.encode()).digest()
        bill_id = ids.title_id(self.org["carrier"], ref)
        cid = self.ledger.documents.put(
            ref.encode(),
            "0x" + bill_id.to_bytes(32, "big").hex(),
            1,
            {},
            checksum="0x" + checksum.hex(),
            container_numbers=tuple(listed),
        )
        request = (ref, NEGOTIABLE, self.org[to], 0, checksum, ids.container_root(listed), cid)
        receipt = self.bills.transact("issue", request, ZERO32, sender=self.setup["carrier"])
        bill_id = int(receipt.event("BillIssued").args["billId"])
        self.listed[bill_id] = listed
        return bill_id

    def container_on(self, bill_id: int, index: int = 0) -> str:
        """A container the bill lists."""
        return self.listed[bill_id][index]

    def accomplished_bill(self, surrenderer: str = "consignee") -> int:
        """A negotiable B/L issued to ``surrenderer``, surrendered for delivery and accepted."""
        bill_id = self.issue(surrenderer)
        self.bills.transact("surrenderForDelivery", bill_id, ZERO32, sender=self.setup[surrenderer])
        self.bills.transact("acceptSurrender", bill_id, ZERO32, sender=self.setup["carrier"])
        return bill_id

    def signed_report(
        self,
        schema: str,
        subject: bytes,
        fields: dict[str, Any],
        *,
        signers: list[LocalAccount] | None = None,
        source_id: bytes | None = None,
        sequence: int = 1,
        deadline: int | None = None,
        action: str = "ATTEST",
        target: str | None = None,
    ) -> dict[str, Any]:
        """The body of ``POST /v1/reports`` signed by ``signers`` (default: 2 of the 3 customs oracles);
        ``action="REVOKE"`` with ``target`` (a uid) revokes the agency's attestation."""
        definition = schemas.WELL_KNOWN_SCHEMAS[schema]
        report = schemas.ReportMessage(
            agency=self.org["customs"],
            schema=self.deployment.schema_id(schema),
            subject=subject,
            source_id=source_id or os.urandom(32),
            sequence=sequence,
            data=definition.encode(fields),
            deadline=deadline if deadline is not None else self.chain.latest_timestamp() + 3600,
            action=schemas.ReportAction[action],
            target=bytes.fromhex(target[2:]) if target else ZERO32,
        )
        typed = schemas.report_typed_data(report, self.chain.chain_id, self.deployment.attestation_registry)
        keys = signers if signers is not None else self.oracles[:2]
        signatures = [
            "0x" + bytes(Account.sign_typed_data(k.key, full_message=typed).signature).hex() for k in keys
        ]
        return {
            "agency": str(self.org["customs"]),
            "action": action,
            **({"target": target} if target else {}),
            "schema": "0x" + report.schema.hex(),
            "subject": "0x" + subject.hex(),
            "sourceId": "0x" + report.source_id.hex(),
            "sequence": sequence,
            "deadline": report.deadline,
            "data": fields,
            "signatures": signatures,
        }


def release_fields(declaration: str = "DEC-2026-0001") -> dict[str, Any]:
    return {"declarationNumber": declaration, "customsOfficeCode": "2201", "releasedAt": 1_795_000_000}


def credit_fields(level: str = "AA") -> dict[str, Any]:
    return {"validUntil": 2_000_000_000, "creditCode": "91310000MA1FL0001X", "level": level}


def hold_fields(declaration: str = "DEC-2026-0001") -> dict[str, Any]:
    return {"declarationNumber": declaration, "reasonCode": "INSPECTION", "heldAt": 1_795_000_000}


def _fund(chain: ChainClient, address: str) -> None:
    chain.rpc("anvil_setBalance", [address, hex(10**21)])


_SHARED: dict[str, PortWorld] = {}


@pytest.fixture(scope="session")
def port_world(chain: ChainClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortWorld]:
    """The world, built once per session: each test module imports this fixture (pytest then sees one
    definition per module), so the first use builds it and the others share it."""
    if "world" in _SHARED:
        # A client that ran the app's lifespan elsewhere may have stopped the node's workers.
        _SHARED["world"].ledger.start()
        yield _SHARED["world"]
        return
    with _build(chain, tmp_path_factory) as world:
        _SHARED["world"] = world
        try:
            yield world
        finally:
            del _SHARED["world"]


@contextmanager
def _build(chain: ChainClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortWorld]:
    data_dir = tmp_path_factory.mktemp("port-world")
    deployer = KeySigner(os.urandom(32))
    _fund(chain, deployer.address)
    signer = {name: KeySigner(os.urandom(32)) for name in ORGS}
    extra = {"wallet:carrier/documentation-desk": KeySigner(os.urandom(32))}
    oracles = sorted((Account.create() for _ in range(3)), key=lambda a: int(a.address, 16))
    for key in [*signer.values(), *extra.values()]:
        _fund(chain, key.address)
    addresses = {f"wallet:{name}": key.address for name, key in signer.items()}
    addresses.update({name: key.address for name, key in extra.items()})
    addresses.update({f"wallet:customs/oracle-{i + 1}": a.address for i, a in enumerate(oracles)})
    config = load_config(ROOT / "config" / "consortium.demo.yaml")
    config = config.resolve(lambda p: addresses[p], deployer=deployer.address)
    all_signers = {k.address: k for k in [*signer.values(), *extra.values()]}
    deployment = run_in_process(chain, config, deployer, data_dir, signers=all_signers)

    # The outbox owns the nonces of the wallets' keys: setup transactions sent directly in tests go from a
    # second member account of each organisation.
    setup = {name: KeySigner(os.urandom(32)) for name in ORGS}
    consortium = bind(chain, deployment).consortium
    for name in ORGS:
        _fund(chain, setup[name].address)
        consortium.transact("addAccount", deployment.org_id(name), setup[name].address, sender=signer[name])

    settings = Settings(
        data_dir=data_dir,
        rpc_url=chain.rpc_url,
        run_workers=True,
        statement_key_passphrase=SecretStr("statement key passphrase for tests"),
        webhook_allowed_hosts=["127.0.0.1"],  # the tests' receivers listen on loopback
    )
    db = Database(settings.resolved_database_url)
    db.migrate()
    org = {name: deployment.org_id(name) for name in ORGS}
    wallets = {org[name]: OrgWallet(signer[name], X25519PrivateKey.generate()) for name in ORGS}
    ledger = Ledger.assemble(
        settings, db, chain, deployment, LocalDocumentStore(settings.resolved_store_dir), wallets=wallets
    )
    token = {name: ledger.keys.create(str(org[name]), "tests").token for name in ORGS}
    app = create_app(settings, ledger=ledger)
    with TestClient(app) as client:
        yield PortWorld(
            client=client,
            ledger=ledger,
            chain=chain,
            deployment=deployment,
            org=org,
            signer=signer,
            setup=setup,
            deployer=deployer,
            token=token,
            oracles=oracles,
            contracts=bind(chain, deployment),
        )
    db.dispose()
