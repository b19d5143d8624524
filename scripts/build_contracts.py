"""Compile contracts/ with solc-js (through the native-compatible executable) into build/artifacts.

Each deployable contract gets ``build/artifacts/<Name>.json`` with its ABI, creation and runtime
bytecode, the source it came from and the compiler settings. The Python service loads these files
at run time (``ledger.chain.artifacts``) and never imports brownie or the compiler.

Nothing is downloaded: the executable is the one ``scripts/solc/install.sh`` wrote. A stamp over
every source and the settings lets an unchanged tree skip compilation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import solcx

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
OUT = ROOT / "build" / "artifacts"
SOLC_VERSION = "0.8.37"
SOLC = ROOT / "build" / "solcx" / f"solc-v{SOLC_VERSION}"
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "devdoc", "userdoc"]}
    },
}


def _sources() -> dict[str, Path]:
    return {str(p.relative_to(ROOT)): p for p in sorted(CONTRACTS.rglob("*.sol"))}


def _stamp(sources: dict[str, Path]) -> str:
    digest = hashlib.sha256(json.dumps(SETTINGS, sort_keys=True).encode())
    digest.update(SOLC_VERSION.encode())
    for name, path in sources.items():
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(force: bool = False) -> int:
    if not SOLC.exists():
        subprocess.run([str(ROOT / "scripts" / "solc" / "install.sh")], check=True, stdout=subprocess.DEVNULL)
    sources = _sources()
    stamp = _stamp(sources)
    stamp_file = OUT / ".stamp"
    if not force and stamp_file.exists() and stamp_file.read_text() == stamp:
        print(f"contracts unchanged: {len(sources)} sources, artifacts in {OUT.relative_to(ROOT)}")
        return 0
    started = time.monotonic()
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"urls": [name]} for name in sources},
        "settings": SETTINGS,
    }
    try:
        output = solcx.compile_standard(
            standard_input,
            base_path=str(ROOT),
            allow_paths=[str(ROOT / "node_modules"), str(CONTRACTS)],
            solc_binary=str(SOLC),
        )
    except solcx.exceptions.SolcError as exc:
        print(exc, file=sys.stderr)
        return 1
    warnings = [e for e in output.get("errors", []) if e.get("severity") == "warning"]
    for w in warnings:
        print(w.get("formattedMessage", w.get("message")), file=sys.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    written = 0
    for source_name, contracts in output["contracts"].items():
        if not source_name.startswith("contracts/"):
            continue
        for name, data in contracts.items():
            bytecode = data["evm"]["bytecode"]["object"]
            artifact = {
                "contractName": name,
                "sourceName": source_name,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "compiler": {
                    "solc": SOLC_VERSION,
                    "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
                },
                "devdoc": data.get("devdoc", {}),
                "userdoc": data.get("userdoc", {}),
            }
            tmp = OUT / f".{name}.json.tmp"
            tmp.write_text(json.dumps(artifact, indent=1))
            os.replace(tmp, OUT / f"{name}.json")
            names.add(name)
            written += 1
    for stale in OUT.glob("*.json"):
        if stale.stem not in names:
            stale.unlink()
    stamp_file.write_text(stamp)
    elapsed = time.monotonic() - started
    where = OUT.relative_to(ROOT)
    print(f"compiled {len(sources)} sources into {written} artifacts in {elapsed:.1f}s ({where})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="compile even if nothing changed")
    return build(force=parser.parse_args().force)


if __name__ == "__main__":
    sys.exit(main())
