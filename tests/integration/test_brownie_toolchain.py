"""brownie (its own virtual environment) compiles the contracts with the solc-js executable and
deploys on anvil: the build/deploy toolchain the service does not import."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROWNIE = ROOT / ".venv-brownie" / "bin" / "brownie"
BROWNIE_HOME = ROOT / ".venv-brownie" / "home"


@pytest.mark.slow
def test_brownie_compiles_and_deploys_on_anvil() -> None:
    if not (BROWNIE.exists() and (BROWNIE_HOME / ".network-added").exists()):
        pytest.fail("brownie is not installed: run 'make brownie' (make test does it)")
    env = dict(os.environ)
    # `make brownie` adds the portledger-dev network in brownie's home inside its venv, never in ~/.brownie.
    env["HOME"] = str(BROWNIE_HOME)
    env["SOLCX_BINARY_PATH"] = str(ROOT / "build" / "solcx")
    env["PATH"] = f"{ROOT / 'node_modules/@foundry-rs/anvil-linux-amd64/bin'}:{env['PATH']}"
    done = subprocess.run(
        [str(BROWNIE), "run", "scripts/brownie_smoke.py", "--network", "portledger-dev"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "brownie toolchain ok" in done.stdout
    compiled = ROOT / "build" / "brownie" / "contracts" / "Probe.json"
    assert compiled.exists()
