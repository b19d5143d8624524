"""Compiled contract artifacts (ABI + bytecode) written by ``make build`` into ``build/artifacts``.

Loaded at run time without brownie or the compiler. ``Artifacts`` also indexes every custom error
and event across all contracts, so a revert raised in a callee decodes by name too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ledger.chain.abi import AbiItem, selector, topic0

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "build" / "artifacts"


class ArtifactMissing(FileNotFoundError):
    """No compiled artifact for a contract name: run ``make build``."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[AbiItem]
    bytecode: str
    deployed_bytecode: str

    @cached_property
    def functions(self) -> dict[str, list[AbiItem]]:
        out: dict[str, list[AbiItem]] = {}
        for item in self.abi:
            if item["type"] == "function":
                out.setdefault(item["name"], []).append(item)
        return out

    @cached_property
    def constructor(self) -> AbiItem:
        for item in self.abi:
            if item["type"] == "constructor":
                return item
        return {"type": "constructor", "inputs": []}

    @cached_property
    def events_by_topic(self) -> dict[bytes, AbiItem]:
        return {topic0(i): i for i in self.abi if i["type"] == "event" and not i.get("anonymous")}


class Artifacts:
    """The artifacts directory: contract lookup plus error and event indexes over all contracts."""

    def __init__(self, directory: Path | str | None = None):
        env = os.environ.get("PORTLEDGER_ARTIFACTS_DIR")
        self.directory = Path(directory or env or DEFAULT_DIR)
        self._cache: dict[str, Artifact] = {}

    def get(self, name: str) -> Artifact:
        if name not in self._cache:
            path = self.directory / f"{name}.json"
            if not path.exists():
                raise ArtifactMissing(f"no artifact for {name} in {self.directory}: run 'make build'")
            data: dict[str, Any] = json.loads(path.read_text())
            self._cache[name] = Artifact(
                name=name,
                abi=data["abi"],
                bytecode=data["bytecode"],
                deployed_bytecode=data["deployedBytecode"],
            )
        return self._cache[name]

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json"))

    @cached_property
    def errors_by_selector(self) -> dict[bytes, AbiItem]:
        out: dict[bytes, AbiItem] = {}
        for name in self.names():
            for item in self.get(name).abi:
                if item["type"] == "error":
                    out[selector(item)] = item
        return out

    @cached_property
    def events_by_topic(self) -> dict[bytes, AbiItem]:
        out: dict[bytes, AbiItem] = {}
        for name in self.names():
            out.update(self.get(name).events_by_topic)
        return out
