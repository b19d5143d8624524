"""The deploy plan: the one description of how PortLedger is deployed and wired, run by two executors.

The plan reads a resolved consortium config (:mod:`ledger.consortium_config`: governors, threshold,
organisations, agency oracle signers), looks at what the record and the chain already hold, and performs
only the missing steps:

1. deploy Consortium(governors, threshold) and AttestationRegistry, and attach the registry as a member
   cache;
2. register the well-known schemas (docs/design.md §1.5) as the deployer, which administers the registry
   until it seals its bootstrap;
3. deploy BillOfLadingRegistry with the PLEDGE_DEFAULT schema id and ContainerRelease with the customs
   schema ids (both check at construction that the schemas they consult are permanent), and attach them;
4. admit the organisations through ADMIT proposals (the deployer proposes, the other governors approve
   in config order until the threshold is met), grant missing roles, publish configured encryption keys,
   add the extra member accounts (by each organisation's admin);
5. install each agency's oracle signers and threshold per schema: by the deployer while the registry's
   bootstrap is open, else by a SET_REPORT_SIGNERS proposal (no agency account can set its own set);
6. seal the bootstrap of the Consortium and of the schema registry, if configured.

After every step that changes the chain the record is written again (``complete`` false until the end),
so an interrupted run resumes where it stopped. A re-run against a complete deployment only reads.

The executor is what sends: :class:`ClientExecutor` runs the plan in-process through
:class:`~ledger.chain.client.ChainClient` (:func:`deploy`: tests, ``make run``); ``scripts/deploy.py``
runs the very same plan through brownie's contract objects (``make deploy``). The plan itself needs only
``eth_abi`` and ``eth_utils`` plus the config and record modules, which the brownie environment has too.
It imports the record module (:mod:`ledger.chain.deployment`), never the other way round.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address

from ledger.chain.client import ChainClient, Sender
from ledger.chain.deployment import (
    ATTESTATION_REGISTRY,
    BILL_REGISTRY,
    CONSORTIUM,
    CONTAINER_RELEASE,
    Deployment,
    DeploymentMismatch,
    OracleSignerSet,
    deployment_path,
    load_deployment,
    write_deployment,
)
from ledger.consortium_config import ROLE_BITS, ConfigError, ConsortiumConfig, load_config
from ledger.domain.codes import PROPOSAL_KIND
from ledger.domain.schemas import WELL_KNOWN_SCHEMAS

PROPOSAL_ADMIT = PROPOSAL_KIND.index("ADMIT")
PROPOSAL_GRANT_ROLE = PROPOSAL_KIND.index("GRANT_ROLE")
PROPOSAL_SET_REPORT_SIGNERS = PROPOSAL_KIND.index("SET_REPORT_SIGNERS")
ZERO_KEY = b"\x00" * 32


# ---------------------------------------------------------------------------------------- executor


Event = tuple[str, dict[str, Any]]


class Executor(Protocol):
    """What the plan needs of a chain: reads, deployments, transactions. Senders are addresses."""

    @property
    def chain_id(self) -> int: ...

    def block_number(self) -> int: ...

    def has_code(self, address: str) -> bool: ...

    def deploy(self, contract: str, args: Sequence[Any], sender: str) -> tuple[str, int]:
        """Deploy; return (address, block number)."""
        ...

    def call(self, contract: str, address: str, function: str, args: Sequence[Any]) -> Any:
        """A view call. Structs come back as dicts by component name, several outputs as a tuple."""
        ...

    def would_succeed(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> bool:
        """Whether the transaction would succeed now (``eth_call``; nothing is sent)."""
        ...

    def transact(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> list[Event]:
        """Send and wait; return the receipt's decoded events as (name, args)."""
        ...


class ClientExecutor:
    """Runs the plan through :class:`ChainClient`; ``signers`` maps addresses to non-node signers."""

    def __init__(self, chain: ChainClient, signers: Mapping[str, Sender] | None = None):
        self.chain = chain
        self.signers = {k.lower(): v for k, v in (signers or {}).items()}
        self.sent = 0

    def _sender(self, address: str) -> Sender:
        return self.signers.get(address.lower(), address)

    @property
    def chain_id(self) -> int:
        return self.chain.chain_id

    def block_number(self) -> int:
        return self.chain.block_number()

    def has_code(self, address: str) -> bool:
        return bool(self.chain.code_at(address))

    def deploy(self, contract: str, args: Sequence[Any], sender: str) -> tuple[str, int]:
        artifact = self.chain.artifacts.get(contract)
        from ledger.chain.abi import encode_args

        data = bytes.fromhex(artifact.bytecode[2:]) + encode_args(artifact.constructor["inputs"], list(args))
        receipt = self.chain.send({"data": "0x" + data.hex()}, sender=self._sender(sender))
        self.sent += 1
        raw = self.chain.rpc("eth_getTransactionReceipt", [receipt.tx_hash])
        return to_checksum_address(raw["contractAddress"]), receipt.block_number

    def call(self, contract: str, address: str, function: str, args: Sequence[Any]) -> Any:
        return self.chain.at(contract, address).call(function, *args)

    def would_succeed(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> bool:
        from ledger.domain.errors import ContractRevert

        try:
            self.chain.at(contract, address).precheck(function, *args, sender=sender)
        except ContractRevert:
            return False
        return True

    def transact(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> list[Event]:
        receipt = self.chain.at(contract, address).transact(function, *args, sender=self._sender(sender))
        self.sent += 1
        return [(e.name, dict(e.args)) for e in receipt.events]


# -------------------------------------------------------------------------------------------- plan


def _b32(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def _same_addresses(a: Sequence[str], b: Sequence[str]) -> bool:
    return sorted(x.lower() for x in a) == sorted(x.lower() for x in b)


@dataclass
class _Progress:
    chain_id: int
    deployer: str
    data_dir: Path
    addresses: dict[str, str] = dataclasses.field(default_factory=dict)
    block_number: int = 0
    schemas: dict[str, str] = dataclasses.field(default_factory=dict)
    governors: tuple[str, ...] = ()
    threshold: int = 0
    organisations: dict[str, int] = dataclasses.field(default_factory=dict)
    oracle_signers: list[OracleSignerSet] = dataclasses.field(default_factory=list)
    bootstrap_sealed: bool = False

    def record(self, complete: bool) -> Deployment:
        return Deployment(
            chain_id=self.chain_id,
            addresses=dict(self.addresses),
            block_number=self.block_number,
            schemas=dict(self.schemas),
            governors=self.governors,
            threshold=self.threshold,
            organisations=dict(self.organisations),
            oracle_signers=tuple(self.oracle_signers),
            deployer=self.deployer,
            bootstrap_sealed=self.bootstrap_sealed,
            complete=complete,
        )

    def save(self, complete: bool = False) -> Deployment:
        record = self.record(complete)
        write_deployment(self.data_dir, record)
        return record


class DeployPlan:
    """The deployment steps over one executor; :meth:`run` is idempotent."""

    def __init__(
        self,
        executor: Executor,
        config: ConsortiumConfig,
        deployer: str,
        data_dir: Path | str,
        log: Callable[[str], None] | None = None,
    ):
        config.check_resolved()
        self.x = executor
        self.config = config
        self.deployer = to_checksum_address(deployer)
        self.data_dir = Path(data_dir)
        self.log = log or (lambda _msg: None)
        if self.deployer.lower() not in {g.lower() for g in config.governors}:
            raise ConfigError(
                f"the deployer {self.deployer} must be one of the governors (it proposes the admissions)"
            )

    # -- entry point -------------------------------------------------------------------------------
    def run(self) -> Deployment:
        chain_id = self.x.chain_id
        p = _Progress(chain_id=chain_id, deployer=self.deployer, data_dir=self.data_dir)
        path = deployment_path(self.data_dir, chain_id)
        if path.exists():
            self._resume(p, load_deployment(path, chain_id))
        self._contracts(p)
        self._schemas(p)
        self._registries(p)
        self._organisations(p)
        self._oracles(p)
        self._seal(p)
        existing = load_deployment(path, chain_id) if path.exists() else None
        final = p.record(complete=True)
        if existing != final:
            write_deployment(self.data_dir, final)
        return final

    def _resume(self, p: _Progress, record: Deployment) -> None:
        for name, address in record.addresses.items():
            if not self.x.has_code(address):
                raise DeploymentMismatch(
                    f"no contract code at {address} for {name} on chain {p.chain_id}: the chain was reset; "
                    f"delete {deployment_path(self.data_dir, p.chain_id)} and run `make deploy` "
                    "(or `make run`, which deploys)"
                )
        if record.deployer and record.deployer.lower() != self.deployer.lower():
            raise DeploymentMismatch(
                f"chain {p.chain_id} was deployed by {record.deployer}, not {self.deployer}: deploy with "
                "the same account or start from a fresh chain"
            )
        p.addresses = dict(record.addresses)
        p.block_number = record.block_number
        p.schemas = dict(record.schemas)
        p.organisations = dict(record.organisations)
        p.bootstrap_sealed = record.bootstrap_sealed

    # -- steps -------------------------------------------------------------------------------------
    def _deploy(self, p: _Progress, name: str, args: Sequence[Any]) -> str:
        address, block = self.x.deploy(name, args, self.deployer)
        self.log(f"deployed {name} at {address} (block {block})")
        p.addresses[name] = address
        if not p.block_number:
            p.block_number = block
        p.save()
        return address

    def _contracts(self, p: _Progress) -> None:
        cfg = self.config
        if CONSORTIUM not in p.addresses:
            self._deploy(p, CONSORTIUM, [list(cfg.governors), cfg.threshold])
        consortium = p.addresses[CONSORTIUM]
        governors = list(self.x.call(CONSORTIUM, consortium, "governors", []))
        threshold = int(self.x.call(CONSORTIUM, consortium, "threshold", []))
        if not _same_addresses(governors, cfg.governors) or threshold != cfg.threshold:
            raise DeploymentMismatch(
                f"the Consortium at {consortium} has governors {governors} with threshold {threshold}, the "
                f"config asks for {list(cfg.governors)} with {cfg.threshold}: change them by proposals, "
                "or deploy on a fresh chain"
            )
        p.governors = tuple(to_checksum_address(g) for g in governors)
        p.threshold = threshold
        if ATTESTATION_REGISTRY not in p.addresses:
            self._deploy(p, ATTESTATION_REGISTRY, [consortium])
        self._attach(p, p.addresses[ATTESTATION_REGISTRY])

    def _attach(self, p: _Progress, cache: str) -> None:
        consortium = p.addresses[CONSORTIUM]
        caches = {c.lower() for c in self.x.call(CONSORTIUM, consortium, "caches", [])}
        if cache.lower() in caches:
            return
        self.x.transact(CONSORTIUM, consortium, "attachCache", [cache], self.deployer)
        self.log(f"attached {cache} as a member cache")

    def _schemas(self, p: _Progress) -> None:
        registry = p.addresses[ATTESTATION_REGISTRY]
        for name, definition in WELL_KNOWN_SCHEMAS.items():
            schema_id = definition.schema_id
            _record, active = self.x.call(ATTESTATION_REGISTRY, registry, "schema", [schema_id])
            exists = bool(_record["attesterRoles"])
            if not exists:
                self.x.transact(
                    ATTESTATION_REGISTRY, registry, "registerSchema", [definition.as_record()], self.deployer
                )
                self.log(f"registered schema {name} 0x{schema_id.hex()}")
            elif not active:
                raise DeploymentMismatch(f"schema {name} is registered but inactive on chain {p.chain_id}")
            if p.schemas.get(name) != "0x" + schema_id.hex():
                p.schemas[name] = "0x" + schema_id.hex()
                p.save()

    def _registries(self, p: _Progress) -> None:
        """The registries that consult schemas: deployed once the schemas exist (they check them)."""
        if BILL_REGISTRY not in p.addresses:
            self._deploy(
                p,
                BILL_REGISTRY,
                [
                    p.addresses[CONSORTIUM],
                    p.addresses[ATTESTATION_REGISTRY],
                    _b32(p.schemas["PLEDGE_DEFAULT"]),
                ],
            )
        self._attach(p, p.addresses[BILL_REGISTRY])
        if CONTAINER_RELEASE not in p.addresses:
            self._deploy(
                p,
                CONTAINER_RELEASE,
                [
                    p.addresses[CONSORTIUM],
                    p.addresses[BILL_REGISTRY],
                    p.addresses[ATTESTATION_REGISTRY],
                    _b32(p.schemas["CUSTOMS_RELEASE"]),
                    _b32(p.schemas["CUSTOMS_HOLD"]),
                ],
            )
        self._attach(p, p.addresses[CONTAINER_RELEASE])

    def _vote(self, p: _Progress, kind: int, data: bytes, what: str) -> list[Event]:
        """Propose as the deployer, approve by the other governors in order until executed."""
        consortium = p.addresses[CONSORTIUM]
        events = self.x.transact(CONSORTIUM, consortium, "propose", [kind, data], self.deployer)
        proposal_id = next(args["proposalId"] for name, args in events if name == "ProposalCreated")
        executed = any(name == "ProposalExecuted" for name, _ in events)
        for governor in self.config.governors:
            if executed:
                break
            if governor.lower() == self.deployer.lower():
                continue
            more = self.x.transact(CONSORTIUM, consortium, "approve", [proposal_id], governor)
            events += more
            executed = any(name == "ProposalExecuted" for name, _ in more)
        if not executed:
            raise DeploymentMismatch(f"proposal {proposal_id} ({what}) did not reach the threshold")
        self.log(f"{what}: proposal {proposal_id} executed")
        return events

    def _organisations(self, p: _Progress) -> None:
        consortium = p.addresses[CONSORTIUM]
        for org in self.config.organisations:
            org_id = int(self.x.call(CONSORTIUM, consortium, "orgOf", [org.admin]))
            if org_id == 0:
                data = abi_encode(
                    ["string", "string", "uint16", "bytes32", "address"],
                    [
                        org.legal_id,
                        org.registered_name,
                        org.role_mask,
                        org.encryption_key or ZERO_KEY,
                        org.admin,
                    ],
                )
                events = self._vote(p, PROPOSAL_ADMIT, data, f"admit {org.name}")
                org_id = int(next(args["org"] for name, args in events if name == "OrganisationAdmitted"))
            record = self.x.call(CONSORTIUM, consortium, "organisation", [org_id])
            if record["legalId"] != org.legal_id:
                raise DeploymentMismatch(
                    f"{org.admin} is a member of organisation {org_id} ({record['legalId']}), not of "
                    f"{org.name} ({org.legal_id}): fix the config's addresses or use a fresh chain"
                )
            held = int(record["roles"])
            for role in org.roles:
                if not held & (1 << ROLE_BITS[role]):
                    data = abi_encode(["uint32", "uint8"], [org_id, ROLE_BITS[role]])
                    self._vote(p, PROPOSAL_GRANT_ROLE, data, f"grant {role} to {org.name}")
            if org.encryption_key is not None and _b32(record["encryptionKey"]) != org.encryption_key:
                self.x.transact(
                    CONSORTIUM, consortium, "setEncryptionKey", [org_id, org.encryption_key], org.admin
                )
            for account in org.accounts:
                member_of = int(self.x.call(CONSORTIUM, consortium, "orgOf", [account]))
                if member_of == org_id:
                    continue
                if member_of != 0:
                    raise DeploymentMismatch(f"{account} is already a member of organisation {member_of}")
                self.x.transact(CONSORTIUM, consortium, "addAccount", [org_id, account], org.admin)
                self.log(f"added account {account} to {org.name}")
            if p.organisations.get(org.name) != org_id:
                p.organisations[org.name] = org_id
                p.save()

    def _oracles(self, p: _Progress) -> None:
        registry = p.addresses[ATTESTATION_REGISTRY]
        sets: list[OracleSignerSet] = []
        for org in self.config.organisations:
            org_id = p.organisations[org.name]
            for oracle in org.oracles:
                signers = sorted((to_checksum_address(s) for s in oracle.signers), key=lambda a: int(a, 16))
                for schema in oracle.schemas:
                    schema_id = _b32(p.schemas[schema])
                    current, threshold = self.x.call(
                        ATTESTATION_REGISTRY, registry, "reportSigners", [org_id, schema_id]
                    )
                    if not (_same_addresses(list(current), signers) and int(threshold) == oracle.threshold):
                        self._install_signers(p, org_id, schema_id, signers, oracle.threshold)
                        self.log(f"{org.name}: {oracle.threshold} of {len(signers)} signers for {schema}")
                    sets.append(OracleSignerSet(org.name, org_id, schema, tuple(signers), oracle.threshold))
        p.oracle_signers = sets

    def _install_signers(
        self, p: _Progress, org_id: int, schema_id: bytes, signers: Sequence[str], threshold: int
    ) -> None:
        """As the deployer while the registry's bootstrap is open; once sealed, by a proposal."""
        registry = p.addresses[ATTESTATION_REGISTRY]
        args = [org_id, schema_id, list(signers), threshold]
        if self.x.would_succeed(ATTESTATION_REGISTRY, registry, "setReportSigners", args, self.deployer):
            self.x.transact(ATTESTATION_REGISTRY, registry, "setReportSigners", args, self.deployer)
            return
        data = abi_encode(
            ["address", "uint32", "bytes32", "address[]", "uint8"],
            [registry, org_id, schema_id, signers, threshold],
        )
        self._vote(p, PROPOSAL_SET_REPORT_SIGNERS, data, f"signers of organisation {org_id}")

    def _seal(self, p: _Progress) -> None:
        if not self.config.seal_bootstrap:
            return
        consortium, registry = p.addresses[CONSORTIUM], p.addresses[ATTESTATION_REGISTRY]
        if self.x.would_succeed(ATTESTATION_REGISTRY, registry, "sealSchemaBootstrap", [], self.deployer):
            self.x.transact(ATTESTATION_REGISTRY, registry, "sealSchemaBootstrap", [], self.deployer)
        if self.x.would_succeed(CONSORTIUM, consortium, "sealBootstrap", [], self.deployer):
            self.x.transact(CONSORTIUM, consortium, "sealBootstrap", [], self.deployer)
            self.log("sealed the bootstrap")
        p.bootstrap_sealed = True


# --------------------------------------------------------------------------------------- in-process


def deploy(
    chain: ChainClient,
    config: ConsortiumConfig | Mapping[str, Any] | Path | str,
    sender: Sender,
    data_dir: Path | str,
    signers: Mapping[str, Sender] | None = None,
) -> Deployment:
    """Deploy (or complete) PortLedger on ``chain`` and write the record; idempotent.

    ``config`` is a :class:`~ledger.consortium_config.ConsortiumConfig`, its YAML path or its parsed
    mapping, with every ``wallet:`` placeholder already resolved (``deployer`` may stay: it is the
    sender). ``signers`` maps governor and organisation admin addresses to signers when they are not
    accounts the node has unlocked. The steps are those of :class:`DeployPlan`, the same that
    ``scripts/deploy.py`` runs through brownie.
    """
    return run_in_process(chain, config, sender, data_dir, signers=signers)


def run_in_process(
    chain: ChainClient,
    config: ConsortiumConfig | Mapping[str, Any] | Path | str,
    sender: Sender,
    data_dir: Path | str,
    signers: Mapping[str, Sender] | None = None,
    log: Callable[[str], None] | None = None,
) -> Deployment:
    """Run the plan through ``chain``; ``sender`` deploys and proposes (a node account or a signer)."""
    deployer = sender if isinstance(sender, str) else sender.address
    all_signers = dict(signers or {})
    if not isinstance(sender, str):
        all_signers[sender.address] = sender
    cfg = load_config(config)
    if cfg.placeholders():
        cfg = cfg.resolve(_unresolved, deployer=deployer)
    executor = ClientExecutor(chain, all_signers)
    return DeployPlan(executor, cfg, deployer, data_dir, log=log).run()


def _unresolved(placeholder: str) -> str:
    raise ConfigError(
        f"unresolved address {placeholder!r}: resolve `wallet:` placeholders with "
        "ConsortiumConfig.resolve(...) before deploying (see docs/deployment.md)"
    )
