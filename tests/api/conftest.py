"""The API under test: the real app (``create_app``) over the session's deployed stack on anvil, a
SQLite database and a local document store in a temporary data dir, with the transaction manager
(and the indexer, when present) running in the app's lifespan.

Each organisation in :data:`API_ORGS` gets a wallet (its admin key from the deployed stack as the
transaction signer, a fresh X25519 document key published on chain with ``setEncryptionKey``) and
an API key. ``api.headers("carrier")`` authenticates as that organisation. Tests never revert the
chain (the outbox's nonces live in the database); they use unique transport document references.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient
from ledger.db import Database
from ledger.documents import LocalDocumentStore
from ledger.outbox import KeySigner, Operation
from ledger.services.organisations import OrgWallet
from ledger.settings import Settings
from ledger_api.main import create_app
from tests.deployed import DeployedStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dcsa" / "valid"
API_ORGS = ("carrier", "shipper", "consignee", "bank", "terminal")
"""Organisations of the deployed stack this node holds wallets and API keys for."""


@dataclass
class Api:
    client: TestClient
    ledger: Ledger
    stack: DeployedStack
    tokens: dict[str, str] = field(default_factory=dict)

    def org(self, name: str) -> str:
        return str(self.stack.org(name))

    def headers(self, name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}", **extra}

    def post(self, path: str, name: str, body: Any, *, wait: float | None = 30, **headers: str) -> Any:
        extra = dict(headers)
        if wait is not None:
            extra["Prefer"] = f"wait={wait}"
        return self.client.post(path, json=body, headers=self.headers(name, **extra))

    def get(self, path: str, name: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.headers(name), params=params or None)

    # -- what "nothing changed" means --------------------------------------------------------------
    def snapshot(self) -> dict[str, int]:
        with self.ledger.db.transaction() as session:
            operations = int(session.scalar(select(func.count()).select_from(Operation)) or 0)
        root = Path(self.ledger.settings.resolved_store_dir)
        return {
            "block": self.ledger.chain.block_number(),
            "operations": operations,
            "storedObjects": sum(1 for p in root.rglob("*") if p.is_file()),
        }


def load_document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return document


def unique_reference(prefix: str = "TOLU") -> str:
    return (prefix + uuid.uuid4().hex.upper())[:20]


def transport_document(api: Api, kind: str = "negotiable", **changes: Any) -> dict[str, Any]:
    """A valid ISSUED DCSA document bound to the test carrier, with a fresh reference."""
    name = {
        "negotiable": "issued-negotiable-blank",
        "straight": "issued-straight",
        "swb": "issued-swb",
        "endorsee": "issued-negotiable-endorsee",
    }[kind]
    document = copy.deepcopy(load_document(name))
    document["carrierCode"] = _legal_id(api, "carrier")
    document["transportDocumentReference"] = unique_reference()
    parties = document.get("documentParties", {})
    if "consignee" in parties:
        parties["consignee"]["identifyingCodes"] = [
            {"partyCode": _legal_id(api, "consignee"), "codeListProvider": "ZZZ"}
        ]
    if "endorsee" in parties:
        parties["endorsee"]["identifyingCodes"] = [
            {"partyCode": _legal_id(api, "bank"), "codeListProvider": "ZZZ"}
        ]
    document.update(changes)
    return document


def _legal_id(api: Api, name: str) -> str:
    return api.stack.config.organisation(name).legal_id


@pytest.fixture(scope="session")
def api(
    deployed_stack: DeployedStack, chain: ChainClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("api-node")
    consortium = deployed_stack.contracts.consortium
    wallets: dict[int, OrgWallet] = {}
    for name in API_ORGS:
        org_id = deployed_stack.org(name)
        document_key = X25519PrivateKey.generate()
        public = document_key.public_key().public_bytes_raw()
        consortium.transact("setEncryptionKey", org_id, public, sender=deployed_stack.admin(name))
        wallets[org_id] = OrgWallet(KeySigner(deployed_stack.private_key(name)), document_key)
    settings = Settings(
        data_dir=data_dir,
        rpc_url=chain.rpc_url,
        run_workers=True,
        max_wait_seconds=60,
        statement_key_passphrase=SecretStr("statement key passphrase for tests"),
    )
    db = Database(settings.resolved_database_url)
    db.migrate()
    ledger = Ledger.assemble(
        settings,
        db,
        chain,
        deployed_stack.deployment,
        LocalDocumentStore(settings.resolved_store_dir),
        wallets=wallets,
    )
    app = create_app(settings, ledger=ledger)
    with TestClient(app) as client:
        handle = Api(client, ledger, deployed_stack)
        for name in API_ORGS:
            handle.tokens[name] = ledger.keys.create(
                str(deployed_stack.org(name)), label=f"test {name}"
            ).token
        yield handle
    ledger.close()
