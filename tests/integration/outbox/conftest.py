"""Fixtures for the outbox tests: the databases are named ``outbox`` (the fresh database per test comes
from ``tests/integration/conftest.py``), the Probe contract on the session's anvil, and a new funded key
per test so that nonces never collide between tests sharing the chain."""

from __future__ import annotations

import os

import pytest

from ledger.chain import ChainClient, Contract
from ledger.db import Database
from ledger.outbox import KeySigner, Outbox


@pytest.fixture(scope="session")
def database_name() -> str:
    return "outbox"


@pytest.fixture(scope="session")
def probe(chain: ChainClient, accounts: list[str]) -> Contract:
    return chain.deploy("Probe", sender=accounts[0])


@pytest.fixture
def signer(chain: ChainClient) -> KeySigner:
    key = KeySigner(os.urandom(32))
    chain.rpc("anvil_setBalance", [key.address, hex(10**21)])
    return key


@pytest.fixture
def outbox(db: Database, chain: ChainClient) -> Outbox:
    return Outbox(db, chain)
