"""Shared set-up of the contract tests: the EVM-snapshot scope every fixture rolls back to, the port
world with the bill registry (the default ``world_base``; modules that need another world override it),
the per-test ``world`` view of it, and the governed consortium (``governed`` / ``gov``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ledger.chain import ChainClient
from tests.contracts.roles_attestation import World, build_world
from tests.contracts.roles_consortium import Governed, deploy_governed


@contextmanager
def reverted(chain: ChainClient) -> Iterator[None]:
    """Takes an EVM snapshot and rolls the chain back to it on leaving, whatever happened inside."""
    snap = chain.snapshot()
    try:
        yield
    finally:
        chain.revert(snap)


@pytest.fixture(scope="module")
def world_base(chain: ChainClient, accounts: list[str]) -> Iterator[World]:
    """The port world with the bill registry, deployed once per module and rolled back after it."""
    with reverted(chain):
        yield build_world(chain, accounts, with_bills=True)


@pytest.fixture
def world(world_base: World, chain: ChainClient) -> Iterator[World]:
    """The module's world, with everything a test does to it rolled back afterwards."""
    with reverted(chain):
        yield world_base


@pytest.fixture(scope="module")
def governed(chain: ChainClient, accounts: list[str]) -> Iterator[Governed]:
    """The consortium under governor control, deployed once per module and rolled back after it."""
    with reverted(chain):
        yield deploy_governed(chain, accounts)


@pytest.fixture
def gov(governed: Governed, chain: ChainClient) -> Iterator[Governed]:
    """The module's governed consortium, with everything a test does to it rolled back afterwards."""
    with reverted(chain):
        yield governed
