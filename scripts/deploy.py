"""Deploy PortLedger with brownie: the same deploy plan as the in-process path, run through brownie.

    .venv-brownie/bin/brownie run scripts/deploy.py main <config.yaml> <data dir> [<addresses.json>] \
        --network portledger-dev

brownie compiles the contracts and sends the transactions; the steps, the idempotency checks and the
deployment record (``<data dir>/deployments/<chainId>.json``) come from ``ledger.chain.deploy_plan``,
which needs only packages that brownie's environment has too (web3, eth-abi, eth-utils, PyYAML).

Placeholders in the config (``wallet:<org>``, ``wallet:<org>/<label>``) are resolved from the optional
JSON file (placeholder → address), then from the node's unlocked development accounts in order of first
use; ``deployer`` is the node's first account. On a network that brownie starts itself the chain would
vanish when the script ends, so the script refuses unless the node is already running (start it first,
e.g. ``make run``, or anvil on the network's port) or ``ephemeral`` is given as a last argument.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from brownie import accounts, chain, network, project, web3  # type: ignore[attr-defined,unused-ignore]  # noqa: E402
from brownie.exceptions import VirtualMachineError  # noqa: E402
from eth_utils.address import to_checksum_address  # noqa: E402

from ledger.chain.deploy_plan import DeployPlan, Event  # noqa: E402
from ledger.consortium_config import ConsortiumConfig, DevAccountResolver  # noqa: E402


def _normalise(param: dict[str, Any], value: Any) -> Any:
    """brownie's return values in the shapes the plan reads (structs as dicts, bytes, addresses)."""
    typ: str = param["type"]
    if typ.endswith("]"):
        inner = dict(param, type=typ[: typ.rindex("[")])
        return [_normalise(inner, v) for v in value]
    if typ == "tuple":
        return {c["name"]: _normalise(c, v) for c, v in zip(param["components"], value, strict=True)}
    if typ == "address":
        return to_checksum_address(str(value))
    if typ.startswith("bytes"):
        return bytes(value) if isinstance(value, bytes) else bytes.fromhex(str(value).removeprefix("0x"))
    if typ == "bool":
        return bool(value)
    if typ.startswith(("uint", "int")):
        return int(value)
    return str(value) if typ == "string" else value


class BrownieExecutor:
    """The plan's executor over brownie's project containers and node accounts."""

    def __init__(self) -> None:
        loaded = project.get_loaded_projects()
        if not loaded:
            raise RuntimeError("run this with `brownie run` from the repository root")
        self.project = loaded[0]
        self.sent = 0

    def _container(self, name: str) -> Any:
        return getattr(self.project, name)

    def _contract(self, name: str, address: str) -> Any:
        return self._container(name).at(address)

    @staticmethod
    def _account(address: str) -> Any:
        return accounts.at(address, force=True)

    @property
    def chain_id(self) -> int:
        return int(chain.id)

    def block_number(self) -> int:
        return int(web3.eth.block_number)

    def has_code(self, address: str) -> bool:
        return len(web3.eth.get_code(address)) > 0

    def deploy(self, contract: str, args: Sequence[Any], sender: str) -> tuple[str, int]:
        deployed = self._container(contract).deploy(*args, {"from": self._account(sender)})
        self.sent += 1
        return to_checksum_address(deployed.address), int(deployed.tx.block_number)

    def call(self, contract: str, address: str, function: str, args: Sequence[Any]) -> Any:
        method = getattr(self._contract(contract, address), function)
        outputs = method.abi["outputs"]
        value = method.call(*args)
        if len(outputs) == 1:
            return _normalise(outputs[0], value)
        return tuple(_normalise(o, v) for o, v in zip(outputs, value, strict=True))

    def would_succeed(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> bool:
        method = getattr(self._contract(contract, address), function)
        try:
            method.call(*args, {"from": sender})
        except VirtualMachineError:
            return False
        return True

    def transact(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> list[Event]:
        method = getattr(self._contract(contract, address), function)
        tx = method(*args, {"from": self._account(sender)})
        self.sent += 1
        # brownie's event item iterates over its events, not its keys, and its items() is a
        # ReturnValue whose own keys() would mislead dict(): read the fields by key.
        return [(event.name, {k: event[k] for k in event.keys()}) for event in tx.events]  # noqa: SIM118


def main(config_path: str, data_dir: str, *rest: str) -> None:
    ephemeral = "ephemeral" in rest
    addresses_file = next((r for r in rest if r != "ephemeral"), None)
    if network.rpc.is_child() and not ephemeral:
        raise SystemExit(
            "brownie started this chain itself and stops it when the script ends, so the deployment "
            "would be lost: start the node first (make run, or anvil on the network's port) and run "
            "again, or add `ephemeral` to deploy anyway"
        )
    node_accounts = [to_checksum_address(a) for a in web3.eth.accounts]
    if not node_accounts:
        raise SystemExit("the node has no unlocked accounts to deploy from")
    deployer = node_accounts[0]
    known: dict[str, str] = {}
    if addresses_file:
        known = {str(k): str(v) for k, v in json.loads(Path(addresses_file).read_text()).items()}
    fallback = DevAccountResolver(node_accounts, reserved=[deployer, *known.values()])

    def resolve(placeholder: str) -> str:
        return known.get(placeholder) or fallback(placeholder)

    config = ConsortiumConfig.load(config_path).resolve(resolve, deployer=deployer)
    executor = BrownieExecutor()
    deployment = DeployPlan(executor, config, deployer, data_dir, log=print).run()
    print(
        f"PortLedger deployed on chain {deployment.chain_id} from block {deployment.block_number} "
        f"({executor.sent} transactions sent): {dict(deployment.addresses)}"
    )
    if fallback.assigned:
        print("development accounts used for placeholders: " + json.dumps(fallback.assigned))
