"""The deployment record: where PortLedger's contracts live on one chain, and the start-up check.

One JSON file per chain id, ``<data dir>/deployments/<chainId>.json``, written atomically by the deploy
plan (:mod:`ledger.chain.deploy_plan`) and read by every component that talks to the contracts: the
service binds the four contracts from it, the indexer starts reading events at its block number, the
oracles find the well-known schema ids and their agency's signer sets in it.

At start-up, :func:`verify_code` checks that code exists at every recorded address; a chain that was
reset under a kept record raises :class:`DeploymentMismatch` with what to do about it. Must not: import
the deploy plan (the plan imports this module; ``deploy`` lives with the plan).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from ledger.chain.client import ChainClient, Contract

RECORD_VERSION = 1
CONSORTIUM = "Consortium"
BILL_REGISTRY = "BillOfLadingRegistry"
ATTESTATION_REGISTRY = "AttestationRegistry"
CONTAINER_RELEASE = "ContainerRelease"
CONTRACT_NAMES: tuple[str, ...] = (CONSORTIUM, BILL_REGISTRY, ATTESTATION_REGISTRY, CONTAINER_RELEASE)
SCHEMA_NAMES: tuple[str, ...] = (
    "CUSTOMS_RELEASE",
    "CUSTOMS_HOLD",
    "VESSEL_EVENT",
    "CREDIT_LEVEL",
    "COLLATERAL_CHECK",
    "PLEDGE_DEFAULT",
)


class DeploymentMismatch(RuntimeError):
    """The recorded deployment does not match the chain (reset chain, wrong chain id, foreign code)."""


class DeploymentNotFound(FileNotFoundError):
    """No deployment record for this chain id: deploy first."""


@dataclass(frozen=True, slots=True)
class OracleSignerSet:
    """The k-of-n signers an agency registered for one schema."""

    agency: str
    org: int
    schema: str
    signers: tuple[str, ...]
    threshold: int

    def to_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "org": self.org,
            "schema": self.schema,
            "signers": list(self.signers),
            "threshold": self.threshold,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OracleSignerSet:
        return cls(
            agency=str(data["agency"]),
            org=int(data["org"]),
            schema=str(data["schema"]),
            signers=tuple(to_checksum_address(s) for s in data["signers"]),
            threshold=int(data["threshold"]),
        )


@dataclass(frozen=True, slots=True)
class Deployment:
    """Everything a component needs to find and trust the contracts on one chain."""

    chain_id: int
    addresses: Mapping[str, str]
    """Contract name (``Consortium``, ``BillOfLadingRegistry``, ...) → checksummed address."""
    block_number: int
    """Block of the first deployment transaction: where an indexer starts reading events."""
    schemas: Mapping[str, str]
    """Well-known schema name (``CUSTOMS_RELEASE``, ...) → schema id as 0x-prefixed 32-byte hex."""
    governors: tuple[str, ...]
    threshold: int
    organisations: Mapping[str, int]
    """Organisation name as in the consortium config → consortium org id."""
    oracle_signers: tuple[OracleSignerSet, ...] = ()
    deployer: str = ""
    bootstrap_sealed: bool = False
    complete: bool = True
    """False while a deploy run is still under way (or was interrupted): run the deploy again."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Room for later additions written by newer deploy plans; kept as read."""

    # -- convenience -------------------------------------------------------------------------------
    def address(self, contract: str) -> str:
        try:
            return self.addresses[contract]
        except KeyError:
            raise DeploymentMismatch(
                f"the deployment record of chain {self.chain_id} has no address for {contract}"
            ) from None

    @property
    def consortium(self) -> str:
        return self.address(CONSORTIUM)

    @property
    def bill_registry(self) -> str:
        return self.address(BILL_REGISTRY)

    @property
    def attestation_registry(self) -> str:
        return self.address(ATTESTATION_REGISTRY)

    @property
    def container_release(self) -> str:
        return self.address(CONTAINER_RELEASE)

    def schema_id(self, name: str) -> bytes:
        """The id of a well-known schema as 32 bytes."""
        try:
            return bytes.fromhex(self.schemas[name][2:])
        except KeyError:
            raise KeyError(
                f"schema {name} is not in the deployment record of chain {self.chain_id}"
            ) from None

    def org_id(self, name: str) -> int:
        try:
            return self.organisations[name]
        except KeyError:
            raise KeyError(
                f"organisation {name!r} is not in the deployment record of chain {self.chain_id}"
            ) from None

    def signer_set(self, agency: str, schema: str) -> OracleSignerSet:
        for entry in self.oracle_signers:
            if entry.agency == agency and entry.schema == schema:
                return entry
        raise KeyError(f"no oracle signers of {agency} for {schema} on chain {self.chain_id}")

    # -- JSON --------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "chainId": self.chain_id,
            "blockNumber": self.block_number,
            "deployer": self.deployer,
            "contracts": dict(self.addresses),
            "schemas": dict(self.schemas),
            "governors": list(self.governors),
            "threshold": self.threshold,
            "organisations": dict(self.organisations),
            "oracleSigners": [s.to_json() for s in self.oracle_signers],
            "bootstrapSealed": self.bootstrap_sealed,
            "complete": self.complete,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Deployment:
        version = int(data.get("version", RECORD_VERSION))
        if version > RECORD_VERSION:
            raise DeploymentMismatch(
                f"deployment record version {version} is newer than this code understands ({RECORD_VERSION})"
            )
        return cls(
            chain_id=int(data["chainId"]),
            addresses={str(k): to_checksum_address(v) for k, v in dict(data["contracts"]).items()},
            block_number=int(data["blockNumber"]),
            schemas={str(k): str(v).lower() for k, v in dict(data.get("schemas", {})).items()},
            governors=tuple(to_checksum_address(g) for g in data.get("governors", [])),
            threshold=int(data.get("threshold", 0)),
            organisations={str(k): int(v) for k, v in dict(data.get("organisations", {})).items()},
            oracle_signers=tuple(OracleSignerSet.from_json(s) for s in data.get("oracleSigners", [])),
            deployer=str(data.get("deployer", "")),
            bootstrap_sealed=bool(data.get("bootstrapSealed", False)),
            complete=bool(data.get("complete", True)),
            extra=dict(data.get("extra", {})),
        )


# ------------------------------------------------------------------------------------------- files


def deployment_path(data_dir: Path | str, chain_id: int) -> Path:
    """``<data dir>/deployments/<chainId>.json``."""
    return Path(data_dir) / "deployments" / f"{chain_id}.json"


def write_deployment(data_dir: Path | str, deployment: Deployment) -> Path:
    """Write the record atomically (temporary file in the same folder, fsync, rename)."""
    path = deployment_path(data_dir, deployment.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(deployment.to_json(), indent=2, sort_keys=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_deployment(path_or_dir: Path | str, chain_id: int | None = None) -> Deployment:
    """Read a record: a ``<chainId>.json`` file, or a data dir / ``deployments`` dir plus the chain id.

    Raises :class:`DeploymentNotFound` when there is no record and :class:`DeploymentMismatch` when the
    record is for another chain than ``chain_id``.
    """
    path = Path(path_or_dir)
    if path.is_dir() or path.suffix != ".json":
        if chain_id is None:
            raise ValueError(f"{path} is a folder: give the chain id to pick the record")
        candidates = [path / "deployments" / f"{chain_id}.json", path / f"{chain_id}.json"]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DeploymentNotFound(
                f"no deployment record for chain {chain_id} in {path}: run `make deploy` "
                "(or `make run`, which deploys)"
            )
        path = found
    elif not path.is_file():
        raise DeploymentNotFound(f"no deployment record at {path}: run `make deploy`")
    deployment = Deployment.from_json(json.loads(path.read_text(encoding="utf-8")))
    if chain_id is not None and deployment.chain_id != chain_id:
        raise DeploymentMismatch(
            f"{path} records chain {deployment.chain_id}, but the node reports chain {chain_id}: "
            "point the service at the right node or deploy to this chain"
        )
    return deployment


# ----------------------------------------------------------------------------------------- binding


@dataclass(frozen=True, slots=True)
class Contracts:
    """The four deployed contracts, bound to one chain client."""

    consortium: Contract
    bills: Contract
    attestations: Contract
    release: Contract

    def by_name(self) -> dict[str, Contract]:
        return {
            CONSORTIUM: self.consortium,
            BILL_REGISTRY: self.bills,
            ATTESTATION_REGISTRY: self.attestations,
            CONTAINER_RELEASE: self.release,
        }


def bind(chain: ChainClient, deployment: Deployment) -> Contracts:
    """Contract handles for every recorded address (no chain access; see :func:`verify_code`)."""
    return Contracts(
        consortium=chain.at(CONSORTIUM, deployment.consortium),
        bills=chain.at(BILL_REGISTRY, deployment.bill_registry),
        attestations=chain.at(ATTESTATION_REGISTRY, deployment.attestation_registry),
        release=chain.at(CONTAINER_RELEASE, deployment.container_release),
    )


def _record_hint(deployment: Deployment, data_dir: Path | str | None) -> str:
    where = (
        deployment_path(data_dir, deployment.chain_id)
        if data_dir
        else Path("data", "deployments", f"{deployment.chain_id}.json")
    )
    return f"delete {where} and run `make deploy` (or `make run`, which deploys)"


def verify_code(
    chain: ChainClient,
    deployment: Deployment,
    data_dir: Path | str | None = None,
    compare_bytecode: bool = False,
) -> None:
    """Start-up check: the node is on the recorded chain and code exists at every recorded address.

    With ``compare_bytecode`` the runtime code must also equal the compiled artifact's (immutables
    aside); off by default because a deployment compiled elsewhere (brownie) differs in its metadata.
    Raises :class:`DeploymentMismatch` naming the contract, address and chain, and what to do.
    """
    if chain.chain_id != deployment.chain_id:
        raise DeploymentMismatch(
            f"the deployment record is for chain {deployment.chain_id} but {chain.rpc_url} is chain "
            f"{chain.chain_id}: point the service at the right node, or deploy to this one"
        )
    if not deployment.complete:
        raise DeploymentMismatch(
            f"the deployment on chain {deployment.chain_id} is incomplete (an interrupted deploy): run "
            "`make deploy` again, it resumes where it stopped"
        )
    missing = [name for name in CONTRACT_NAMES if name not in deployment.addresses]
    if missing:
        raise DeploymentMismatch(
            f"the deployment record of chain {deployment.chain_id} lacks {', '.join(missing)}: "
            f"{_record_hint(deployment, data_dir)}"
        )
    for name in CONTRACT_NAMES:
        address = deployment.addresses[name]
        code = chain.code_at(address)
        if not code:
            raise DeploymentMismatch(
                f"no contract code at {address} for {name} on chain {deployment.chain_id}: the chain was "
                f"reset; {_record_hint(deployment, data_dir)}"
            )
        expected = chain.artifacts.get(name).deployed_bytecode if compare_bytecode else ""
        if compare_bytecode and expected and not _same_runtime(code, expected):
            raise DeploymentMismatch(
                f"the code at {address} on chain {deployment.chain_id} is not the compiled {name}: the "
                f"contracts changed since the deployment; {_record_hint(deployment, data_dir)}"
            )

    head = chain.block_number()
    if head < deployment.block_number:
        raise DeploymentMismatch(
            f"chain {deployment.chain_id} is at block {head}, before the recorded deployment block "
            f"{deployment.block_number}: the chain was reset; {_record_hint(deployment, data_dir)}"
        )


def _same_runtime(code: bytes, expected_hex: str) -> bool:
    """Compare runtime code, ignoring immutables (zeroed in the artifact) and the metadata tail."""
    expected = bytes.fromhex(expected_hex[2:] if expected_hex.startswith("0x") else expected_hex)
    if len(code) != len(expected):
        return False
    # The artifact has zeros where immutables are written at construction: compare other bytes only.
    mismatches = sum(1 for a, b in zip(code, expected, strict=True) if a != b and b != 0)
    return mismatches == 0
