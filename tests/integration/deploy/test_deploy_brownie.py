"""scripts/deploy.py through brownie against a running anvil: it deploys the demo consortium, a second
run sends nothing, and the record equals the one the in-process path writes for the same config.

brownie gets a home folder of its own (its network list lives there), with a development network that
points at this test's anvil: brownie attaches to a node already listening on the network's port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain import ChainClient
from ledger.chain.anvil import Anvil
from ledger.chain.deploy_plan import deploy
from ledger.chain.deployment import bind, load_deployment, verify_code
from ledger.consortium_config import ConsortiumConfig, DevAccountResolver

ROOT = Path(__file__).resolve().parents[3]
BROWNIE = ROOT / ".venv-brownie" / "bin" / "brownie"
DEMO = ROOT / "config" / "consortium.demo.yaml"


@pytest.fixture
def node(tmp_path: Path, artifacts_built: Path) -> Iterator[Anvil]:
    anvil = Anvil(accounts=20, log_file=tmp_path / "anvil.log").start()
    try:
        yield anvil
    finally:
        anvil.stop()


def _brownie(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["HOME"] = str(home)
    env["SOLCX_BINARY_PATH"] = str(ROOT / "build" / "solcx")
    env["PATH"] = f"{ROOT / 'node_modules/@foundry-rs/anvil-linux-amd64/bin'}:{env['PATH']}"
    return subprocess.run(
        [str(BROWNIE), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_brownie_deploy_script_deploys_once_and_matches_the_in_process_plan(
    node: Anvil, tmp_path: Path
) -> None:
    if not BROWNIE.exists():
        pytest.fail("brownie is not installed: run 'make brownie' (make test does it)")
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    added = _brownie(
        [
            "networks",
            "add",
            "Development",
            "portledger-test",
            "cmd=anvil",
            "host=http://127.0.0.1",
            f"port={node.port}",
            "chain_id=31337",
            "accounts=20",
        ],
        home,
    )
    assert added.returncode == 0, added.stdout[-2000:] + added.stderr[-2000:]
    run = ["run", "scripts/deploy.py", "main", str(DEMO), str(data), "--network", "portledger-test"]

    first = _brownie(run, home)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    chain = ChainClient(node.url)
    record = load_deployment(data, chain.chain_id)
    verify_code(chain, record)
    contracts = bind(chain, record)
    assert len(record.organisations) == 10
    _signers, threshold = contracts.attestations.call(
        "reportSigners", record.org_id("customs"), record.schema_id("CUSTOMS_RELEASE")
    )
    assert threshold == 2 and len(_signers) == 3
    assert record.bootstrap_sealed

    block = chain.block_number()
    second = _brownie(run, home)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "(0 transactions sent)" in second.stdout
    assert chain.block_number() == block
    assert load_deployment(data, chain.chain_id) == record

    # The in-process path runs the same plan: on a fresh chain, the same config gives the same record.
    with Anvil(accounts=20, log_file=tmp_path / "anvil2.log") as other:
        other_chain = ChainClient(other.url)
        accounts = other_chain.rpc("eth_accounts")
        config = ConsortiumConfig.load(DEMO).resolve(
            DevAccountResolver(accounts, reserved=[accounts[0]]), deployer=accounts[0]
        )
        in_process = deploy(other_chain, config, accounts[0], tmp_path / "data2")
    assert in_process == record
