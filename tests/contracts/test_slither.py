"""Slither's High and Medium findings on the contracts are each triaged in ``contracts/slither-triage.json``.

Slither (its own venv, ``make slither``) runs on the standard-JSON input of every contract outside
``contracts/test/`` with the real solc executable (the solc-js wrapper speaks standard JSON only). A new
High or Medium finding fails the test until it is fixed or triaged with a reason; a triage entry that no
longer matches any finding fails too, so the file never hides a finding that has changed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"
SOLC = ROOT / "build" / "solcx" / "solc-v0.8.37"
TRIAGE = ROOT / "contracts" / "slither-triage.json"
GATED = {"High", "Medium"}

pytestmark = pytest.mark.slow


def standard_input() -> dict[str, Any]:
    """The compiler input of the deployable contracts, with the settings of scripts/build_contracts.py."""
    sources = {
        str(p.relative_to(ROOT)): {"content": p.read_text()}
        for p in sorted((ROOT / "contracts").rglob("*.sol"))
        if "test" not in p.relative_to(ROOT / "contracts").parts[:1]
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "cancun",
            "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode", "evm.deployedBytecode"], "": ["ast"]}},
        },
    }


def finding_key(result: dict[str, Any]) -> str:
    """The detector and the first line of its description without line numbers (stable across edits that
    only move code)."""
    first = result["description"].split("\n")[0]
    return f"{result['check']}: {re.sub(r'#[0-9]+(-[0-9]+)?', '', first).strip()}"


def test_every_high_and_medium_finding_is_triaged(tmp_path: Path, artifacts_built: Path) -> None:
    assert SLITHER.exists(), "Slither is not installed: run `make slither` (make test does it)"
    source = tmp_path / "input.json"
    source.write_text(json.dumps(standard_input()))
    report = tmp_path / "slither.json"
    run = subprocess.run(
        [
            str(SLITHER),
            str(source),
            "--solc",
            str(SOLC),
            "--compile-force-framework",
            "solc-json",
            "--exclude-informational",
            "--exclude-low",
            "--exclude-optimization",
            "--json",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.exists(), f"Slither produced no report (exit {run.returncode}):\n{run.stderr[-3000:]}"
    output = json.loads(report.read_text())
    assert output["success"], output.get("error")
    found = {finding_key(r): r for r in output["results"].get("detectors", []) if r["impact"] in GATED}
    triaged = {entry["finding"]: entry for entry in json.loads(TRIAGE.read_text())["findings"]}
    assert all(entry["reason"].strip() for entry in triaged.values()), "a triage entry without a reason"
    new = sorted(set(found) - set(triaged))
    assert not new, "new Slither findings (fix them or triage them with a reason):\n" + "\n\n".join(
        found[k]["description"] for k in new
    )
    stale = sorted(set(triaged) - set(found))
    assert not stale, "triage entries that match no finding any more (remove them):\n" + "\n".join(stale)
