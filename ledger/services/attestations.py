"""Attestation use cases (docs/design.md §1.4): register schemas, attest, revoke, replace, recognise, and
read the attestations about a subject.

Owns the translation between the API's forms and the registry's: schema definitions checked for shape,
attestation data given as hex or as the schema's fields by name (ABI-encoded here with the schema's own
definition read from the chain), subjects given as 32-byte hex, an ISO 6346 container number or an
organisation id. Accreditation, revocability and recognition rules are the AttestationRegistry's; a
refusal comes back as its decoded custom error from the ``eth_call`` pre-check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.exceptions import EncodingError

from ledger.chain import Contract, Receipt
from ledger.chain.deployment import Deployment
from ledger.db import Database
from ledger.domain import schemas
from ledger.domain.values import check_container_number
from ledger.index.queries import list_attestations
from ledger.outbox import Operation, Outbox
from ledger.services.consortium import Actor, ConsortiumService, role_mask
from ledger.services.errors import FieldProblem, NotFound, ValidationFailed

ZERO32 = b"\x00" * 32
MAX_DATA_BYTES = 16 * 1024
MAX_LISTED = 1000


def _b32(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else ZERO32


def parse_bytes32(value: str, path: str) -> bytes:
    """A 0x-prefixed 32-byte hex value, or a validation problem at ``path``."""
    text = value.strip()
    if text.startswith("0x") and len(text) == 66:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    raise ValidationFailed([FieldProblem(path, "bytes32", "must be 0x-prefixed 32-byte hex")])


def parse_subject(value: str, path: str = "$.subject") -> bytes:
    """A subject: 32-byte hex (a title id or any subject), an ISO 6346 container number, or an
    organisation id (decimal), mapped as docs/design.md §1.5 says."""
    text = value.strip()
    if text.startswith("0x"):
        return parse_bytes32(text, path)
    if text.isdigit() and 0 < int(text) < 1 << 32:
        return schemas.org_subject(int(text))
    if check_container_number(text) is None:
        return schemas.container_subject(text)
    raise ValidationFailed(
        [
            FieldProblem(
                path, "subject", "must be 32-byte hex, an ISO 6346 container number or an organisation id"
            )
        ]
    )


def parse_data(value: str, path: str = "$.data") -> bytes:
    text = value.strip()
    if text.startswith("0x") and len(text) % 2 == 0 and len(text) <= 2 + 2 * MAX_DATA_BYTES:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    raise ValidationFailed([FieldProblem(path, "hex", "must be 0x-prefixed hex (the ABI-encoded fields)")])


@dataclass(frozen=True, slots=True)
class SchemaView:
    schema_id: bytes
    definition: schemas.SchemaDefinition
    active: bool


@dataclass(frozen=True, slots=True)
class AttestationView:
    uid: bytes
    schema_id: bytes
    schema_name: str | None
    subject: bytes
    attester: int
    ref_uid: bytes
    time: int
    expiration_time: int
    revocation_time: int
    recognitions: int
    effective: bool
    data: bytes
    fields: dict[str, Any] | None
    block_number: int
    tx_hash: str


class AttestationService:
    """Queues attestation writes and reads attestations back from the registry and its events."""

    def __init__(
        self,
        outbox: Outbox,
        deployment: Deployment,
        registry: Contract,
        consortium: ConsortiumService,
        db: Database,
    ):
        self.outbox = outbox
        self.deployment = deployment
        self.registry = registry
        self.consortium = consortium
        self.db = db
        """The read models (``mined`` means projected, so a caller reads its own writes)."""

    # -- schemas -----------------------------------------------------------------------------------
    def schema(self, schema_id: bytes) -> SchemaView:
        record, active = self.registry.call("schema", schema_id)
        if not record["definition"]:
            raise NotFound(f"no schema 0x{schema_id.hex()}")
        definition = schemas.SchemaDefinition(
            name=str(record["name"]),
            definition=str(record["definition"]),
            revocable=bool(record["revocable"]),
            expiring=bool(record["expiring"]),
            attester_roles=int(record["attesterRoles"]),
            required_recognitions=int(record["requiredRecognitions"]),
            reports_only=bool(record["reportsOnly"]),
            permanent=bool(record["permanent"]),
        )
        return SchemaView(schema_id, definition, bool(active))

    def register_schema(
        self,
        actor: Actor,
        *,
        name: str,
        definition: str,
        revocable: bool,
        expiring: bool,
        attester_roles: Sequence[str],
        required_recognitions: int = 0,
        reports_only: bool = False,
        permanent: bool = False,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Operation, bytes]:
        """Queue a governance proposal (REGISTER_SCHEMA) for a schema; returns the operation and the id
        the schema will have once governance executes it. Only a governor may propose."""
        mask = role_mask(list(attester_roles), "$.attesterRoles")
        problems = []
        if not 0 <= required_recognitions < 256:
            problems.append(FieldProblem("$.requiredRecognitions", "range", "must be 0..255"))
        try:
            record = schemas.SchemaDefinition(
                name=name,
                definition=definition,
                revocable=revocable,
                expiring=expiring,
                attester_roles=mask,
                required_recognitions=required_recognitions if not problems else 0,
                reports_only=reports_only,
                permanent=permanent,
            )
            record.schema_id  # noqa: B018 - the definition must parse into ABI types
            _check_definition(record)
        except ValueError as exc:
            problems.append(FieldProblem("$.definition", "schema", str(exc)))
            record = None
        if problems or record is None:
            raise ValidationFailed(problems)
        op = self.consortium.propose(
            actor, "REGISTER_SCHEMA", {"schema": record}, body=body, idempotency_key=idempotency_key
        )
        return op, record.schema_id

    # -- attestations ------------------------------------------------------------------------------
    def encode_data(self, schema_id: bytes, data: str | Mapping[str, Any], path: str = "$.data") -> bytes:
        """Attestation data from hex, or from the schema's fields by name (ABI-encoded here)."""
        if isinstance(data, str):
            return parse_data(data, path)
        definition = self.schema(schema_id).definition
        try:
            return definition.encode(_coerce(definition, data))
        except (ValueError, TypeError, EncodingError) as exc:
            raise ValidationFailed([FieldProblem(path, "schema", str(exc)[:300])]) from None

    def attest(
        self,
        actor: Actor,
        schema_id: bytes,
        subject: bytes,
        data: bytes,
        ref_uid: bytes = ZERO32,
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        return self.outbox.submit(
            actor,
            self.registry,
            "attest",
            ((schema_id, subject, ref_uid, data),),
            kind="attestation.attest",
            body=body,
            idempotency_key=idempotency_key,
        )

    def revoke(self, actor: Actor, uid: bytes, *, idempotency_key: str | None = None) -> Operation:
        self._require(uid)
        return self.outbox.submit(
            actor,
            self.registry,
            "revoke",
            (uid,),
            kind="attestation.revoke",
            idempotency_key=idempotency_key,
        )

    def replace(
        self,
        actor: Actor,
        uid: bytes,
        data: str | Mapping[str, Any],
        *,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Operation:
        """Queue the one-step replacement of ``uid`` by an attestation of the same schema and subject."""
        stored = self._require(uid)
        schema_id, subject = bytes(stored["schemaId"]), bytes(stored["subject"])
        encoded = self.encode_data(schema_id, data)
        return self.outbox.submit(
            actor,
            self.registry,
            "replace",
            (uid, (schema_id, subject, ZERO32, encoded)),
            kind="attestation.replace",
            body=body,
            idempotency_key=idempotency_key,
        )

    def recognise(self, actor: Actor, uid: bytes, *, idempotency_key: str | None = None) -> Operation:
        self._require(uid)
        return self.outbox.submit(
            actor,
            self.registry,
            "recognise",
            (uid,),
            kind="attestation.recognise",
            idempotency_key=idempotency_key,
        )

    # -- reads -------------------------------------------------------------------------------------
    def about(self, subject: bytes, schema_id: bytes | None = None) -> list[AttestationView]:
        """Every attestation about ``subject`` (optionally of one schema), oldest first, with its state;
        whether each is effective is asked of the registry (it decides)."""
        records = self._indexed(subject, schema_id)
        names = {bytes.fromhex(v[2:]): k for k, v in self.deployment.schemas.items()}
        definitions: dict[bytes, schemas.SchemaDefinition | None] = {}
        out = []
        for record in records:
            sid = record["schema_id"]
            if sid not in definitions:
                try:
                    definitions[sid] = self.schema(sid).definition
                except NotFound:
                    definitions[sid] = None
            definition = definitions[sid]
            fields: dict[str, Any] | None = None
            if definition is not None:
                try:
                    fields = {k: _jsonable(v) for k, v in definition.decode(record["data"]).items()}
                except Exception:  # data that does not decode is still shown as hex
                    fields = None
            out.append(
                AttestationView(
                    **record,
                    schema_name=names.get(sid) or (definition.name if definition else None),
                    effective=bool(self.registry.call("isEffective", record["uid"])),
                    fields=fields,
                )
            )
        return out

    def _indexed(self, subject: bytes, schema_id: bytes | None) -> list[dict[str, Any]]:
        """Attestations from the read model (``index_attestation``)."""
        assert self.db is not None
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            rows, cursor = list_attestations(
                self.db,
                subject="0x" + subject.hex(),
                schema_id="0x" + schema_id.hex() if schema_id else None,
                cursor=cursor,
                limit=200,
            )
            for row in rows:
                out.append(
                    {
                        "uid": _b32(row.uid),
                        "schema_id": _b32(row.schema_id),
                        "subject": _b32(row.subject),
                        "attester": row.attester,
                        "ref_uid": _b32(row.ref_uid),
                        "time": row.time,
                        "expiration_time": row.expiration_time,
                        "revocation_time": row.revocation_time,
                        "recognitions": row.recognitions,
                        "data": bytes.fromhex(row.data.removeprefix("0x")),
                        "block_number": row.block_number,
                        "tx_hash": row.tx_hash,
                    }
                )
            if cursor is None or len(out) >= MAX_LISTED:
                return out

    def _require(self, uid: bytes) -> dict[str, Any]:
        stored: dict[str, Any] = self.registry.call("attestation", uid)
        if bytes(stored["uid"]) == ZERO32:
            raise NotFound(f"no attestation 0x{uid.hex()}")
        return stored


def _check_definition(record: schemas.SchemaDefinition) -> None:
    """Every field of a definition must be a known ABI type with a name (encodes a zero value)."""
    from eth_abi.abi import is_encodable_type

    seen = set()
    for abi_type, name in record.fields:
        if not is_encodable_type(abi_type):
            raise ValueError(f"{abi_type!r} is not an ABI type")
        if not name.isidentifier() or name in seen:
            raise ValueError(f"field name {name!r} is not a unique identifier")
        seen.add(name)


def _coerce(definition: schemas.SchemaDefinition, values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON field values → ABI values: hex strings for bytes types, everything else as given."""
    out: dict[str, Any] = {}
    types = dict((name, typ) for typ, name in definition.fields)
    for name, value in values.items():
        typ = types.get(name)
        if typ is not None and typ.startswith("bytes") and isinstance(value, str) and value.startswith("0x"):
            try:
                out[name] = bytes.fromhex(value[2:])
                continue
            except ValueError:
                pass
        out[name] = value
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def attested_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    """Operation result of an attestation write: the uid made (the replacement's for ``replace``)."""
    attested = [e for e in receipt.events if e.name == "Attested"]
    out: dict[str, Any] = {}
    if attested:
        out["uid"] = "0x" + bytes(attested[-1].args["uid"]).hex()
    return out


def schema_result(_op: Operation, receipt: Receipt) -> dict[str, Any]:
    for event in receipt.events:
        if event.name == "SchemaRegistered":
            return {"schemaId": "0x" + bytes(event.args["schemaId"]).hex()}
    return {}


RESULT_BUILDERS = {
    "attestation.schema": schema_result,
    "attestation.attest": attested_result,
    "attestation.replace": attested_result,
}
