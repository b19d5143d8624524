"""The consortium config: who governs, which organisations are admitted with which roles, keys and
agency oracle signers, read from YAML (``config/consortium.demo.yaml``) and checked before anything
is sent.

Addresses may be placeholders (``deployer``, ``wallet:<org>``, ``wallet:<org>/<label>``) that the
caller resolves with :meth:`ConsortiumConfig.resolve`: the embedded stack from its wallets,
``scripts/deploy.py`` and the tests from development accounts (:class:`DevAccountResolver`). The
deploy plan (:mod:`ledger.chain.deploy_plan`) reads it; it needs only PyYAML, ``eth_utils`` and the
well-known schemas of :mod:`ledger.domain.schemas`, which brownie's environment has too. Must not:
talk to a chain, read the deployment record or know how the steps are carried out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from eth_utils.address import is_address, to_checksum_address

from ledger.domain import codes
from ledger.domain.schemas import WELL_KNOWN_SCHEMAS

ROLE_BITS: dict[str, int] = {name: bit for bit, name in enumerate(codes.ROLE)}
"""Bit positions of ``contracts/types/Roles.sol``."""

GENERATE_LATER = "generate later"
DEPLOYER = "deployer"
WALLET_PREFIX = "wallet:"


class ConfigError(ValueError):
    """The consortium config is malformed or still holds unresolved placeholders."""


@dataclass(frozen=True, slots=True)
class OracleConfig:
    """An agency's k-of-n report signers for some schemas."""

    schemas: tuple[str, ...]
    signers: tuple[str, ...]
    threshold: int


@dataclass(frozen=True, slots=True)
class OrganisationConfig:
    name: str
    legal_id: str
    registered_name: str
    roles: tuple[str, ...]
    encryption_key: bytes | None
    """X25519 public key; ``None`` for "generate later" (the organisation publishes it itself)."""
    admin: str
    accounts: tuple[str, ...] = ()
    oracles: tuple[OracleConfig, ...] = ()

    @property
    def role_mask(self) -> int:
        mask = 0
        for role in self.roles:
            mask |= 1 << ROLE_BITS[role]
        return mask


@dataclass(frozen=True, slots=True)
class ConsortiumConfig:
    governors: tuple[str, ...]
    threshold: int
    organisations: tuple[OrganisationConfig, ...]
    seal_bootstrap: bool = False

    # -- loading -----------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str) -> ConsortiumConfig:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ConsortiumConfig:
        consortium = data.get("consortium") or {}
        governors = tuple(str(g) for g in consortium.get("governors") or [DEPLOYER])
        threshold = int(consortium.get("threshold", 1))
        if not 1 <= threshold <= len(governors):
            raise ConfigError(f"threshold {threshold} must be between 1 and the {len(governors)} governors")
        orgs: list[OrganisationConfig] = []
        seen: set[str] = set()
        for entry in data.get("organisations") or []:
            org = _organisation(entry)
            if org.name in seen:
                raise ConfigError(f"organisation {org.name!r} appears twice")
            seen.add(org.name)
            orgs.append(org)
        return cls(governors, threshold, tuple(orgs), bool(consortium.get("sealBootstrap", False)))

    # -- placeholders ------------------------------------------------------------------------------
    def placeholders(self) -> list[str]:
        """Every address entry that is not an address yet (``deployer``, ``wallet:...``), in order."""
        out: list[str] = []
        for value in self._address_entries():
            if not is_address(value) and value not in out:
                out.append(value)
        return out

    def _address_entries(self) -> list[str]:
        entries = list(self.governors)
        for org in self.organisations:
            entries += [org.admin, *org.accounts]
            for oracle in org.oracles:
                entries += list(oracle.signers)
        return entries

    def resolve(self, resolver: Callable[[str], str], deployer: str | None = None) -> ConsortiumConfig:
        """A copy with every placeholder replaced: ``deployer`` by ``deployer``, others by ``resolver``."""

        def one(value: str) -> str:
            if is_address(value):
                return to_checksum_address(value)
            if value == DEPLOYER and deployer is not None:
                return to_checksum_address(deployer)
            return to_checksum_address(resolver(value))

        orgs = tuple(
            dataclasses.replace(
                org,
                admin=one(org.admin),
                accounts=tuple(one(a) for a in org.accounts),
                oracles=tuple(
                    dataclasses.replace(o, signers=tuple(one(s) for s in o.signers)) for o in org.oracles
                ),
            )
            for org in self.organisations
        )
        return dataclasses.replace(self, governors=tuple(one(g) for g in self.governors), organisations=orgs)

    def check_resolved(self) -> None:
        left = self.placeholders()
        if left:
            raise ConfigError(
                f"unresolved addresses {left}: the caller resolves `wallet:<org>` placeholders "
                "(see docs/deployment.md)"
            )

    def organisation(self, name: str) -> OrganisationConfig:
        for org in self.organisations:
            if org.name == name:
                return org
        raise KeyError(name)


def _organisation(entry: Any) -> OrganisationConfig:
    if not isinstance(entry, Mapping) or "name" not in entry:
        raise ConfigError(f"an organisation needs at least a name: {entry!r}")
    name = str(entry["name"])
    roles = tuple(str(r).upper() for r in entry.get("roles") or [])
    unknown = [r for r in roles if r not in ROLE_BITS]
    if unknown or not roles:
        raise ConfigError(
            f"organisation {name}: roles {list(roles)} must be a non-empty subset of {list(ROLE_BITS)}"
        )
    for required in ("legalId", "admin"):
        if not entry.get(required):
            raise ConfigError(f"organisation {name}: {required} is required")
    raw_key = str(entry.get("encryptionKey") or GENERATE_LATER).strip()
    key: bytes | None = None
    if raw_key.lower() != GENERATE_LATER:
        try:
            key = bytes.fromhex(raw_key.removeprefix("0x"))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ConfigError(
                f"organisation {name}: encryptionKey must be 32 bytes of hex or {GENERATE_LATER!r}"
            )
    oracles: list[OracleConfig] = []
    for oracle in entry.get("oracles") or []:
        schemas = tuple(str(s) for s in oracle.get("schemas") or [])
        missing = [s for s in schemas if s not in WELL_KNOWN_SCHEMAS]
        if missing or not schemas:
            raise ConfigError(
                f"organisation {name}: oracle schemas {missing or '[]'} are not well-known schemas"
            )
        signers = tuple(str(s) for s in oracle.get("signers") or [])
        threshold = int(oracle.get("threshold", 1))
        if not 1 <= threshold <= len(signers) or len(set(signers)) != len(signers):
            raise ConfigError(
                f"organisation {name}: oracle threshold {threshold} of {len(signers)} distinct signers"
            )
        oracles.append(OracleConfig(schemas, signers, threshold))
    return OrganisationConfig(
        name=name,
        legal_id=str(entry["legalId"]),
        registered_name=str(entry.get("registeredName") or name),
        roles=roles,
        encryption_key=key,
        admin=str(entry["admin"]),
        accounts=tuple(str(a) for a in entry.get("accounts") or []),
        oracles=tuple(oracles),
    )


class DevAccountResolver:
    """Resolves placeholders to development accounts (anvil's unlocked ones), in order of first use.

    Deterministic for a given config: the n-th distinct placeholder gets the n-th free account. Used
    by tests and by ``scripts/deploy.py`` on development chains; the embedded stack resolves
    ``wallet:<org>`` from its wallets instead.
    """

    def __init__(self, accounts: Sequence[str], reserved: Sequence[str] = ()):
        taken = {a.lower() for a in reserved}
        self._free = [to_checksum_address(a) for a in accounts if a.lower() not in taken]
        self.assigned: dict[str, str] = {}

    def __call__(self, placeholder: str) -> str:
        if placeholder not in self.assigned:
            if len(self.assigned) >= len(self._free):
                raise ConfigError(f"not enough development accounts for {placeholder!r}")
            self.assigned[placeholder] = self._free[len(self.assigned)]
        return self.assigned[placeholder]


def load_config(config: ConsortiumConfig | Mapping[str, Any] | Path | str) -> ConsortiumConfig:
    """A config as given, from its parsed mapping, or from its YAML file."""
    if isinstance(config, ConsortiumConfig):
        return config
    if isinstance(config, Mapping):
        return ConsortiumConfig.from_mapping(config)
    return ConsortiumConfig.load(config)
