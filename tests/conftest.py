"""Session fixtures shared by every suite: compiled artifacts and a real anvil chain.

anvil is the native binary from node_modules, started once per test session on a free loopback
port and stopped by its recorded PID at the end. Contract tests isolate themselves with
``chain.snapshot()`` / ``chain.revert()``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain import ChainClient
from ledger.chain.anvil import Anvil

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def artifacts_built() -> Path:
    """Compile contracts (skipped when unchanged) so tests always run against the current sources."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_contracts.py")], check=True, stdout=subprocess.DEVNULL
    )
    return ROOT / "build" / "artifacts"


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    node = Anvil(accounts=60, log_file=log).start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain(anvil: Anvil, artifacts_built: Path) -> ChainClient:
    return ChainClient(anvil.url)


@pytest.fixture(scope="session")
def accounts(chain: ChainClient) -> list[str]:
    """Unlocked, funded development accounts (anvil's mnemonic), checksummed."""
    from eth_utils import to_checksum_address

    return [to_checksum_address(a) for a in chain.rpc("eth_accounts")]


@pytest.fixture
def isolated(chain: ChainClient) -> Iterator[ChainClient]:
    """Run a test inside an EVM snapshot and roll back afterwards."""
    snap = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snap)


# The deployed PortLedger stack (session-scoped, on the session anvil): see tests/deployed.py.
from tests.deployed import deployed_stack  # noqa: E402, F401
