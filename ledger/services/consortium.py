"""Consortium use cases: who acts (an organisation through one of its member accounts), the member
directory, and governance proposals and approvals.

Owns the :class:`Actor` every write use case takes, organisation lookups (an unknown id is refused
before anything is queued) and the encoding of proposal arguments by kind (``IConsortium.ProposalKind``).
Membership rules (who may propose, thresholds, role checks) live in the Consortium contract: this module
pre-checks them with ``eth_call`` through the outbox and never restates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.address import is_address, to_checksum_address

from ledger.chain import Contract, Receipt
from ledger.domain.codes import PROPOSAL_KIND
from ledger.domain.schemas import SchemaDefinition
from ledger.outbox import Actor, Operation, Outbox
from ledger.services.errors import FieldProblem, NotFound, ValidationFailed
from ledger.services.organisations import Member, Organisations


class Role(IntEnum):
    """Consortium roles, bit positions of ``contracts/types/Roles.sol``."""

    CARRIER = 0
    TRADER = 1
    BANK = 2
    TERMINAL = 3
    HAULIER = 4
    CUSTOMS = 5
    MARITIME = 6
    BORDER = 7
    PORT_AUTHORITY = 8


class ProposalKind(IntEnum):
    """``IConsortium.ProposalKind``."""

    ADMIT = 0
    SUSPEND = 1
    REINSTATE = 2
    GRANT_ROLE = 3
    REVOKE_ROLE = 4
    CHANGE_THRESHOLD = 5
    ADD_GOVERNOR = 6
    REMOVE_GOVERNOR = 7
    REPLACE_ADMIN = 8
    REGISTER_SCHEMA = 9
    SET_SCHEMA_ACTIVE = 10
    SET_REPORT_SIGNERS = 11


assert [k.name for k in ProposalKind] == list(PROPOSAL_KIND), "ProposalKind must mirror ledger.domain.codes"


def roles_of(mask: int) -> list[str]:
    """Role names of a role bitmask, in role order."""
    return [role.name for role in Role if mask & (1 << role.value)]


def role_mask(names: list[str], path: str) -> int:
    """The bitmask of role names; an unknown name is a validation problem at ``path``."""
    mask = 0
    problems = []
    for i, name in enumerate(names):
        try:
            mask |= 1 << Role[name].value
        except KeyError:
            problems.append(FieldProblem(f"{path}[{i}]", "role", f"{name!r} is not a consortium role"))
    if problems:
        raise ValidationFailed(problems)
    return mask


class ConsortiumService:
    """Reads the member directory from the Consortium contract and queues governance writes."""

    def __init__(
        self, outbox: Outbox, consortium: Contract, registry: Contract, organisations: Organisations
    ):
        self.outbox = outbox
        self.consortium = consortium
        self.registry = registry
        """The attestation registry that registry proposals act on."""
        self.directory = organisations

    @property
    def registry_address(self) -> str:
        return self.registry.address

    def organisations(self) -> list[Member]:
        return self.directory.all()

    def require(self, org: str | int, path: str = "$") -> Member:
        """The member, or :class:`UnknownOrganisation` (nothing is queued for an unknown id)."""
        return self.directory.get(org, path)

    # -- governance --------------------------------------------------------------------------------
    def propose(
        self,
        actor: Actor,
        kind: str,
        arguments: Mapping[str, Any],
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Queue a proposal of ``kind`` with its arguments by name (see :func:`proposal_data`)."""
        try:
            proposal_kind = ProposalKind[kind]
        except KeyError:
            raise ValidationFailed(
                [FieldProblem("$.kind", "enum", f"{kind!r} is not a proposal kind")]
            ) from None
        data = self.proposal_data(proposal_kind, arguments)
        self._precheck_execution(proposal_kind, arguments, data)
        return self.outbox.submit(
            actor,
            self.consortium,
            "propose",
            (int(proposal_kind), data),
            kind="governance.propose",
            body=body,
            idempotency_key=idempotency_key,
        )

    def _precheck_execution(self, kind: ProposalKind, arguments: Mapping[str, Any], data: bytes) -> None:
        """A registry proposal executes as a call from the Consortium: ask the registry now, from that
        address, whether it would take it (a permanent schema, a schema that exists, a bad signer set), so
        the proposer hears the registry's own refusal before any vote."""
        from eth_abi.abi import decode as abi_decode

        registry = self.registry
        sender = self.consortium.address
        if kind is ProposalKind.REGISTER_SCHEMA:
            registry.precheck("registerSchema", arguments["schema"].as_record(), sender=sender)
        elif kind is ProposalKind.SET_SCHEMA_ACTIVE:
            _, schema_id, active = abi_decode(["address", "bytes32", "bool"], data)
            registry.precheck("setSchemaActive", schema_id, active, sender=sender)
        elif kind is ProposalKind.SET_REPORT_SIGNERS:
            _, agency, schema_id, signers, threshold = abi_decode(
                ["address", "uint32", "bytes32", "address[]", "uint8"], data
            )
            registry.precheck("setReportSigners", agency, schema_id, list(signers), threshold, sender=sender)

    def approve(self, actor: Actor, proposal_id: int, *, idempotency_key: str | None = None) -> Operation:
        proposal: dict[str, Any] = self.consortium.call("proposal", proposal_id)
        if int(proposal["proposer"], 16) == 0:
            raise NotFound(f"no proposal {proposal_id}")
        return self.outbox.submit(
            actor,
            self.consortium,
            "approve",
            (proposal_id,),
            kind="governance.approve",
            idempotency_key=idempotency_key,
        )

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        proposal: dict[str, Any] = self.consortium.call("proposal", proposal_id)
        if int(proposal["proposer"], 16) == 0:
            raise NotFound(f"no proposal {proposal_id}")
        return {
            "id": proposal_id,
            "kind": ProposalKind(int(proposal["kind"])).name,
            "executed": bool(proposal["executed"]),
            "approvals": int(proposal["approvals"]),
            "createdAt": int(proposal["createdAt"]),
        }

    def proposal_data(self, kind: ProposalKind, arguments: Mapping[str, Any]) -> bytes:
        """The ABI-encoded arguments of a proposal kind (``IConsortium.ProposalKind``), from JSON fields."""
        problems: list[FieldProblem] = []

        def need(name: str) -> Any:
            if name not in arguments or arguments[name] is None:
                problems.append(FieldProblem(f"$.{name}", "required", f"{kind.name} needs {name}"))
                return None
            return arguments[name]

        def org_arg() -> int:
            value = need("org")
            if value is None:
                return 0
            return self.require(value, "$.org").id

        def role_arg() -> int:
            value = need("role")
            if value is None:
                return 0
            if not isinstance(value, str) or value not in Role.__members__:
                problems.append(FieldProblem("$.role", "enum", f"{value!r} is not a consortium role"))
                return 0
            return int(Role[value])

        def addresses_arg(name: str) -> list[str]:
            values = arguments.get(name) or []
            if not isinstance(values, list) or not all(isinstance(v, str) and is_address(v) for v in values):
                problems.append(FieldProblem(f"$.{name}", "address", "must be a list of account addresses"))
                return []
            return [to_checksum_address(v) for v in values]

        def address_arg(name: str) -> str:
            value = need(name)
            if value is None:
                return "0x" + "00" * 20
            if not isinstance(value, str) or not is_address(value):
                problems.append(FieldProblem(f"$.{name}", "address", "must be a 0x-prefixed account address"))
                return "0x" + "00" * 20
            return to_checksum_address(value)

        data = b""
        if kind is ProposalKind.ADMIT:
            legal_id, name = need("legalId"), need("name")
            roles = need("roles")
            admin = address_arg("admin")
            key_hex = arguments.get("encryptionKey") or "0x" + "00" * 32
            mask = 0
            if isinstance(roles, list) and all(isinstance(r, str) for r in roles):
                try:
                    mask = role_mask(roles, "$.roles")
                except ValidationFailed as exc:
                    problems.extend(exc.problems)
            elif roles is not None:
                problems.append(FieldProblem("$.roles", "type", "must be a list of role names"))
            key = _bytes32(key_hex)
            if key is None:
                problems.append(FieldProblem("$.encryptionKey", "bytes32", "must be 0x-prefixed 32-byte hex"))
            for field_name, value in (("legalId", legal_id), ("name", name)):
                if value is not None and (not isinstance(value, str) or not value.strip()):
                    problems.append(FieldProblem(f"$.{field_name}", "type", "must be a non-empty string"))
            if not problems:
                data = abi_encode(
                    ["string", "string", "uint16", "bytes32", "address"], [legal_id, name, mask, key, admin]
                )
        elif kind in (ProposalKind.SUSPEND, ProposalKind.REINSTATE):
            org = org_arg()
            if not problems:
                data = abi_encode(["uint32"], [org])
        elif kind in (ProposalKind.GRANT_ROLE, ProposalKind.REVOKE_ROLE):
            org, role = org_arg(), role_arg()
            if not problems:
                data = abi_encode(["uint32", "uint8"], [org, role])
        elif kind is ProposalKind.CHANGE_THRESHOLD:
            threshold = need("threshold")
            if threshold is not None and (not isinstance(threshold, int) or not 0 < threshold < 2**64):
                problems.append(FieldProblem("$.threshold", "range", "must be a positive integer"))
            if not problems:
                data = abi_encode(["uint256"], [threshold])
        elif kind is ProposalKind.REPLACE_ADMIN:
            org, admin = org_arg(), address_arg("admin")
            # Every other account of the organisation leaves: whatever a thief added goes too.
            keep = addresses_arg("keepAccounts")
            if not problems:
                data = abi_encode(["uint32", "address", "address[]"], [org, admin, keep])
        elif kind is ProposalKind.REGISTER_SCHEMA:
            record = need("schema")
            if record is not None and not isinstance(record, SchemaDefinition):
                problems.append(FieldProblem("$.schema", "type", "must be a schema definition"))
            if not problems:
                data = abi_encode(
                    ["address", "(string,string,bool,bool,bool,bool,uint16,uint8)"],
                    [self.registry_address, record.as_record()],
                )
        elif kind is ProposalKind.SET_SCHEMA_ACTIVE:
            schema_id = _bytes32(need("schemaId"))
            active = need("active")
            if schema_id is None:
                problems.append(FieldProblem("$.schemaId", "bytes32", "must be 0x-prefixed 32-byte hex"))
            if not isinstance(active, bool):
                problems.append(FieldProblem("$.active", "type", "must be true or false"))
            if not problems:
                data = abi_encode(["address", "bytes32", "bool"], [self.registry_address, schema_id, active])
        elif kind is ProposalKind.SET_REPORT_SIGNERS:
            org = org_arg()
            schema_id = _bytes32(need("schemaId"))
            signers = sorted(addresses_arg("signers"), key=lambda a: int(a, 16))
            threshold = need("threshold")
            if schema_id is None:
                problems.append(FieldProblem("$.schemaId", "bytes32", "must be 0x-prefixed 32-byte hex"))
            if not isinstance(threshold, int) or not 0 < threshold <= max(len(signers), 1) or threshold > 255:
                problems.append(FieldProblem("$.threshold", "range", "1 to the number of signers"))
            if not problems:
                data = abi_encode(
                    ["address", "uint32", "bytes32", "address[]", "uint8"],
                    [self.registry_address, org, schema_id, signers, threshold],
                )
        else:
            governor = address_arg("governor")
            if not problems:
                data = abi_encode(["address"], [governor])
        if problems:
            raise ValidationFailed(problems)
        return data


def _bytes32(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        return None
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        return None


def proposal_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    """Operation result of a proposal: its id, and whether it executed at once."""
    created = [e for e in receipt.events if e.name == "ProposalCreated"]
    executed = any(e.name == "ProposalExecuted" for e in receipt.events)
    out: dict[str, Any] = {"executed": executed}
    if created:
        out["proposalId"] = int(created[0].args["proposalId"])
    return out


def approval_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    approved = [e for e in receipt.events if e.name == "ProposalApproved"]
    out: dict[str, Any] = {"executed": any(e.name == "ProposalExecuted" for e in receipt.events)}
    if approved:
        out["proposalId"] = int(approved[0].args["proposalId"])
        out["approvals"] = int(approved[0].args["approvals"])
    return out


RESULT_BUILDERS = {"governance.propose": proposal_result, "governance.approve": approval_result}

__all__ = [
    "RESULT_BUILDERS",
    "Actor",
    "ConsortiumService",
    "ProposalKind",
    "Role",
    "role_mask",
    "roles_of",
]
