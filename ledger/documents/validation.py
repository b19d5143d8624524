"""Validation of DCSA eBL 3.0.3 Transport Documents, and the facts that bind one to the ledger.

Owns: the schema check against ``components.schemas.TransportDocument`` of the bundled
``schemas/EBL_v3.0.3.yaml`` (OpenAPI 3.0 semantics), the unknown-property policy (DCSA schemas never
close their objects), the rules DCSA states only in prose (:class:`Rule`), and :class:`DocumentFacts`.
Every problem carries a JSON path (``$.documentParties.consignee``) and a rule name, and all problems
are reported at once. Does not decide who may issue or hold a document: that is the ledger's job.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from ledger.documents.errors import DocumentInvalid
from ledger.domain.values import check_container_number, check_unlocode

SCHEMA_RESOURCE = "EBL_v3.0.3.yaml"
SCHEMA_NAME = "TransportDocument"

# Statuses a document reaches only after it has been issued.
ISSUED_STATUSES = frozenset(
    {
        "ISSUED",
        "PENDING_SURRENDER_FOR_AMENDMENT",
        "SURRENDERED_FOR_AMENDMENT",
        "PENDING_SURRENDER_FOR_DELIVERY",
        "SURRENDERED_FOR_DELIVERY",
        "VOIDED",
    }
)


class Rule(enum.StrEnum):
    """Rules DCSA states only in prose (descriptions of eBL 3.0.3), plus the unknown-property policy."""

    SWB_NOT_TO_ORDER = "swb-not-to-order"
    STRAIGHT_NEEDS_CONSIGNEE = "straight-needs-consignee"
    CONSIGNEE_ENDORSEE_EXCLUSIVE = "consignee-endorsee-exclusive"
    ENDORSEE_NEEDS_TO_ORDER = "endorsee-needs-to-order"
    ISSUED_DATES = "issued-dates"
    ELECTRONIC_BOL_ONE_ORIGINAL = "electronic-bol-one-original"
    DECLARED_VALUE_CURRENCY = "declared-value-currency"
    CARRIAGE_NEEDS_PLACE = "carriage-needs-place"
    REEFER_SETPOINT_UNIT = "reefer-setpoint-unit"
    CARGO_EQUIPMENT_REFERENCE = "cargo-equipment-reference"
    ISO6346_CONTAINER_NUMBER = "iso6346-container-number"
    UNLOCODE = "unlocode"
    UNKNOWN_PROPERTY = "unknown-property"


SCHEMA_RULE_PREFIX = "schema."
"""Schema problems are named ``schema.<keyword>`` (``schema.required``, ``schema.maxLength``, …)."""


class UnknownProperties(enum.StrEnum):
    REJECT = "reject"
    """An unknown property is an error (default)."""
    IGNORE = "ignore"
    """Accepted, and listed as a warning saying it is ignored (DCSA's ``PROPERTY_WILL_BE_IGNORED``)."""


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class ValidationSettings:
    unknown_properties: UnknownProperties = UnknownProperties.REJECT
    container_check_digit: Severity = Severity.ERROR
    """Severity of an equipment reference that is not an ISO 6346 number with a valid check digit."""


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    """JSON path of the offending value, ``$`` being the document (``$.consignmentItems[0].HSCodes``)."""
    rule: str
    """A :class:`Rule` value or ``schema.<keyword>``."""
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


class BillKind(enum.StrEnum):
    """What the ledger tracks: a negotiable (to-order) ``BOL``, a straight ``BOL``, or a sea waybill.

    Same names and order as ``BillKind`` in contracts/types/BillTypes.sol (``ordinal`` is the
    Solidity value).
    """

    NEGOTIABLE = "NEGOTIABLE"
    STRAIGHT = "STRAIGHT"
    SWB = "SWB"

    @property
    def ordinal(self) -> int:
        return list(BillKind).index(self)


@dataclass(frozen=True, slots=True)
class IdentifyingCode:
    """DCSA ``IdentifyingCode``: how a party is known in a code list (LEI, DID, SMDG, an eBL platform)."""

    code_list_provider: str
    party_code: str
    code_list_name: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What a caller needs to bind a valid Transport Document to the ledger."""

    kind: BillKind
    transport_document_reference: str
    transport_document_sub_reference: str | None
    status: str
    carrier_code: str
    carrier_code_list_provider: str
    is_electronic: bool
    consignee_codes: tuple[IdentifyingCode, ...]
    endorsee_codes: tuple[IdentifyingCode, ...]
    container_numbers: tuple[str, ...]
    """``utilizedTransportEquipments[].equipment.equipmentReference``, in document order, no repeats."""


@dataclass(frozen=True, slots=True)
class ValidationReport:
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    facts: DocumentFacts | None = field(default=None)
    """Set when there are no errors."""

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, list[dict[str, str]]]:
        """``{"errors": [{path, rule, message}, …], "warnings": […]}`` for an API problem body."""
        return {
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
        }

    def raise_if_invalid(self) -> DocumentFacts:
        """Return the facts of a valid document, or raise :class:`DocumentInvalid` with this report."""
        if self.errors or self.facts is None:
            raise DocumentInvalid(self)
        return self.facts


# --- schema -------------------------------------------------------------------------------------


class _DatesAsStrings(yaml.SafeLoader):
    """A YAML loader that leaves dates as strings, as OpenAPI's ``format: date`` expects them."""


_DatesAsStrings.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    text = resources.files("ledger.documents").joinpath("schemas", SCHEMA_RESOURCE).read_text("utf-8")
    spec: dict[str, Any] = yaml.load(text, Loader=_DatesAsStrings)  # a SafeLoader subclass
    return spec


@lru_cache(maxsize=1)
def _validator() -> Any:
    root = {"$ref": f"#/components/schemas/{SCHEMA_NAME}", "components": _spec()["components"]}
    return OAS30Validator(root, format_checker=oas30_format_checker)


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = _spec()["components"]["schemas"]
    return schemas


_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REQUIRED_RE = re.compile(r"^'(.+)' is a required property$")


def json_path(parts: Iterator[str | int] | list[str | int] | tuple[str | int, ...]) -> str:
    """``["a", 0, "b c"]`` → ``$.a[0]['b c']``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT_RE.match(part):
            out += f".{part}"
        else:
            out += "['" + part.replace("'", "\\'") + "']"
    return out


def _schema_problems(document: Any) -> list[tuple[Problem, str]]:
    """Schema errors as (problem, keyword); one problem per missing required property."""
    out: list[tuple[Problem, str]] = []
    for error in _validator().iter_errors(document):
        parts: list[str | int] = list(error.absolute_path)
        keyword = str(error.validator)
        message = error.message
        if keyword == "required":
            match = _REQUIRED_RE.match(message)
            if match:
                parts.append(match.group(1))
                message = "required property is missing"
        elif keyword in ("oneOf", "anyOf"):
            titles = [str(s.get("title", "?")) for s in error.validator_value if isinstance(s, dict)]
            message = (
                f"must match {'exactly one' if keyword == 'oneOf' else 'at least one'} of: "
                + ", ".join(titles)
            )
        elif len(message) > 200:
            message = message[:197] + "..."
        out.append((Problem(json_path(parts), SCHEMA_RULE_PREFIX + keyword, message), keyword))
    return out


# --- unknown properties -------------------------------------------------------------------------


def _expand(schemas: list[Any]) -> list[dict[str, Any]]:
    """Resolve ``$ref`` and flatten ``allOf``/``oneOf``/``anyOf`` into the list of alternatives."""
    out: list[dict[str, Any]] = []
    stack = list(schemas)
    seen: set[int] = set()
    while stack:
        schema = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        ref = schema.get("$ref")
        if isinstance(ref, str):
            stack.append(_components()[ref.rsplit("/", 1)[-1]])
            continue
        out.append(schema)
        for key in ("allOf", "oneOf", "anyOf"):
            stack.extend(schema.get(key, []))
    return out


def _unknown_properties(instance: Any, schemas: list[Any], parts: list[str | int]) -> Iterator[str]:
    flat = _expand(schemas)
    if isinstance(instance, dict):
        if not any("properties" in s for s in flat):
            return  # a free-form object
        if any(s.get("additionalProperties") not in (None, False) for s in flat):
            return
        for key, value in instance.items():
            children = [s["properties"][key] for s in flat if key in s.get("properties", {})]
            if not children:
                yield json_path([*parts, key])
            else:
                yield from _unknown_properties(value, children, [*parts, key])
    elif isinstance(instance, list):
        items = [s["items"] for s in flat if "items" in s]
        if items:
            for index, value in enumerate(instance):
                yield from _unknown_properties(value, items, [*parts, index])


# --- prose rules --------------------------------------------------------------------------------


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _present(container: dict[str, Any], key: str) -> bool:
    return container.get(key) is not None


class _Rules:
    """Applies the prose rules to a document that may be schema-invalid (so every access is defensive)."""

    def __init__(self, doc: dict[str, Any], settings: ValidationSettings) -> None:
        self.doc = doc
        self.settings = settings
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: str, rule: Rule, message: str) -> None:
        self.errors.append(Problem(path, rule.value, message))

    def run(self) -> None:
        doc = self.doc
        parties = _obj(doc.get("documentParties"))
        type_code = doc.get("transportDocumentTypeCode")
        to_order = doc.get("isToOrder")
        has_consignee = _present(parties, "consignee")
        has_endorsee = _present(parties, "endorsee")

        if type_code == "SWB" and to_order is True:
            self.error("$.isToOrder", Rule.SWB_NOT_TO_ORDER, "a sea waybill (SWB) cannot be to order")
        if to_order is False and not has_consignee:
            self.error(
                "$.documentParties.consignee",
                Rule.STRAIGHT_NEEDS_CONSIGNEE,
                "a document that is not to order (isToOrder=false) must name its consignee",
            )
        if has_consignee and has_endorsee:
            self.error(
                "$.documentParties.endorsee",
                Rule.CONSIGNEE_ENDORSEE_EXCLUSIVE,
                "consignee and endorsee are mutually exclusive",
            )
        if has_endorsee and to_order is not True:
            self.error(
                "$.documentParties.endorsee",
                Rule.ENDORSEE_NEEDS_TO_ORDER,
                "an endorsee can only be given on a negotiable (isToOrder=true) B/L",
            )
        self._issued_dates()
        self._originals(type_code)
        self._both_or_neither(
            doc, "declaredValue", "declaredValueCurrency", "$", Rule.DECLARED_VALUE_CURRENCY
        )
        transports = _obj(doc.get("transports"))
        for carriage, place in (("preCarriageBy", "placeOfReceipt"), ("onCarriageBy", "placeOfDelivery")):
            if _present(transports, carriage) and not _present(transports, place):
                self.error(
                    f"$.transports.{place}",
                    Rule.CARRIAGE_NEEDS_PLACE,
                    f"{place} is mandatory when {carriage} is given",
                )
        self._equipment()
        self._unlocodes(doc, [])

    def _issued_dates(self) -> None:
        doc = self.doc
        if doc.get("transportDocumentStatus") not in ISSUED_STATUSES:
            return
        if not _present(doc, "issueDate"):
            self.error("$.issueDate", Rule.ISSUED_DATES, "an issued document must have its issueDate")
        on_board, received = _present(doc, "shippedOnBoardDate"), _present(doc, "receivedForShipmentDate")
        if on_board and received:
            self.error(
                "$.receivedForShipmentDate",
                Rule.ISSUED_DATES,
                "an issued document has exactly one of shippedOnBoardDate / receivedForShipmentDate, "
                "not both",
            )
        elif not on_board and not received:
            self.error(
                "$.shippedOnBoardDate",
                Rule.ISSUED_DATES,
                "an issued document must have shippedOnBoardDate or receivedForShipmentDate",
            )

    def _originals(self, type_code: Any) -> None:
        doc = self.doc
        if doc.get("isElectronic") is not True or type_code != "BOL":
            return
        with_charges = doc.get("numberOfOriginalsWithCharges")
        without_charges = doc.get("numberOfOriginalsWithoutCharges")
        counts = [
            n if isinstance(n, int) and not isinstance(n, bool) else 0
            for n in (with_charges, without_charges)
        ]
        if sum(counts) > 1:
            path = "$.numberOfOriginalsWithoutCharges" if counts[1] else "$.numberOfOriginalsWithCharges"
            self.error(
                path,
                Rule.ELECTRONIC_BOL_ONE_ORIGINAL,
                f"an electronic B/L has at most one original in total (with charges {counts[0]}, "
                f"without charges {counts[1]})",
            )

    def _both_or_neither(
        self, container: dict[str, Any], first: str, second: str, base: str, rule: Rule
    ) -> None:
        has_first, has_second = _present(container, first), _present(container, second)
        if has_first and not has_second:
            self.error(f"{base}.{second}", rule, f"{second} is mandatory when {first} is given")
        elif has_second and not has_first:
            self.error(f"{base}.{first}", rule, f"{second} must be empty when {first} is not given")

    def _equipment(self) -> None:
        doc = self.doc
        references: set[str] = set()
        for i, ute in enumerate(_list(doc.get("utilizedTransportEquipments"))):
            ute = _obj(ute)
            reefer = ute.get("activeReeferSettings")
            if isinstance(reefer, dict):
                self._both_or_neither(
                    reefer,
                    "temperatureSetpoint",
                    "temperatureUnit",
                    f"$.utilizedTransportEquipments[{i}].activeReeferSettings",
                    Rule.REEFER_SETPOINT_UNIT,
                )
            reference = _obj(ute.get("equipment")).get("equipmentReference")
            if not isinstance(reference, str):
                continue
            references.add(reference)
            problem = check_container_number(reference)
            if problem is not None:
                target = (
                    self.errors if self.settings.container_check_digit is Severity.ERROR else self.warnings
                )
                target.append(
                    Problem(
                        f"$.utilizedTransportEquipments[{i}].equipment.equipmentReference",
                        Rule.ISO6346_CONTAINER_NUMBER.value,
                        f"{reference!r} is not an ISO 6346 container number: {problem}",
                    )
                )
        for i, item in enumerate(_list(doc.get("consignmentItems"))):
            for j, cargo in enumerate(_list(_obj(item).get("cargoItems"))):
                reference = _obj(cargo).get("equipmentReference")
                if isinstance(reference, str) and reference not in references:
                    self.error(
                        f"$.consignmentItems[{i}].cargoItems[{j}].equipmentReference",
                        Rule.CARGO_EQUIPMENT_REFERENCE,
                        f"{reference!r} is not the equipmentReference of any "
                        "utilizedTransportEquipments entry",
                    )

    def _unlocodes(self, value: Any, parts: list[str | int]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "UNLocationCode" and isinstance(child, str):
                    problem = check_unlocode(child)
                    if problem is not None:
                        self.error(
                            json_path([*parts, key]),
                            Rule.UNLOCODE,
                            f"{child!r} is not a UN/LOCODE: {problem}",
                        )
                else:
                    self._unlocodes(child, [*parts, key])
        elif isinstance(value, list):
            for index, child in enumerate(value):
                self._unlocodes(child, [*parts, index])


# Schema keywords whose failure at a path is the same finding as a prose-rule error at that path.
_FORMAT_KEYWORDS = frozenset({"pattern", "minLength", "maxLength"})


# --- entry points -------------------------------------------------------------------------------


def validate_transport_document(
    document: Any, settings: ValidationSettings | None = None
) -> ValidationReport:
    """Check ``document`` (parsed JSON) against eBL 3.0.3 ``TransportDocument`` and the prose rules.

    Returns every problem at once, sorted by path; :attr:`ValidationReport.facts` is set when the
    document is valid.
    """
    settings = settings or ValidationSettings()
    errors: list[Problem] = []
    warnings: list[Problem] = []
    schema_problems = _schema_problems(document)
    if isinstance(document, dict):
        rules = _Rules(document, settings)
        rules.run()
        errors.extend(rules.errors)
        warnings.extend(rules.warnings)
        for path in _unknown_properties(document, [_components()[SCHEMA_NAME]], []):
            if settings.unknown_properties is UnknownProperties.REJECT:
                errors.append(
                    Problem(path, Rule.UNKNOWN_PROPERTY.value, "property is not defined by eBL 3.0.3")
                )
            else:
                warnings.append(
                    Problem(
                        path, Rule.UNKNOWN_PROPERTY.value, "property is not defined by eBL 3.0.3; ignored"
                    )
                )
    covered = {p.path for p in errors} | {p.path for p in warnings}
    errors.extend(
        p for p, keyword in schema_problems if not (keyword in _FORMAT_KEYWORDS and p.path in covered)
    )
    errors.sort(key=lambda p: (p.path, p.rule))
    warnings.sort(key=lambda p: (p.path, p.rule))
    facts = transport_document_facts(document) if not errors else None
    return ValidationReport(tuple(errors), tuple(warnings), facts)


def require_valid_transport_document(
    document: Any, settings: ValidationSettings | None = None
) -> DocumentFacts:
    """Validate and return the document's facts; raise :class:`DocumentInvalid` listing every problem."""
    return validate_transport_document(document, settings).raise_if_invalid()


def _codes(party: Any) -> tuple[IdentifyingCode, ...]:
    return tuple(
        IdentifyingCode(
            code_list_provider=str(code["codeListProvider"]),
            party_code=str(code["partyCode"]),
            code_list_name=code.get("codeListName"),
        )
        for code in _list(_obj(party).get("identifyingCodes"))
    )


def transport_document_facts(document: dict[str, Any]) -> DocumentFacts:
    """Facts of a document that passed validation (call :func:`validate_transport_document` first)."""
    if document["transportDocumentTypeCode"] == "SWB":
        kind = BillKind.SWB
    elif document["isToOrder"]:
        kind = BillKind.NEGOTIABLE
    else:
        kind = BillKind.STRAIGHT
    parties = document["documentParties"]
    containers: dict[str, None] = {}
    for ute in document["utilizedTransportEquipments"]:
        containers[ute["equipment"]["equipmentReference"]] = None
    return DocumentFacts(
        kind=kind,
        transport_document_reference=document["transportDocumentReference"],
        transport_document_sub_reference=document.get("transportDocumentSubReference"),
        status=document["transportDocumentStatus"],
        carrier_code=document["carrierCode"],
        carrier_code_list_provider=document["carrierCodeListProvider"],
        is_electronic=bool(document["isElectronic"]),
        consignee_codes=_codes(parties.get("consignee")),
        endorsee_codes=_codes(parties.get("endorsee")),
        container_numbers=tuple(containers),
    )
