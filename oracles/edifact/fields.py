"""Reading the data segments the container messages share (DTM, RFF, LOC, MEA, SEL, DAM, TDT, EQD)
into the typed values of ``oracles.facts``, with the code-list checks the message guides imply.

Each reader raises ``MessageRejected`` naming its segment when a mandatory element is missing or a
code is unknown; tolerated oddities of genuine traffic go to the ``WarningLog``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from ledger.domain.reference import PortLocation, SizeType, check_imo_number, resolve_port, size_type
from ledger.domain.values import ascii_digits, iso6346_check_digit
from oracles.base import AdapterSettings, MessageRejected, RejectionCode, WarningLog
from oracles.edifact.grammar import Node
from oracles.edifact.interchange import Segment
from oracles.facts import (
    ContainerFields,
    Damage,
    FullEmpty,
    Measurement,
    MessageFunction,
    Reference,
    Seal,
    TerminalRef,
    VesselRef,
)

_MESSAGE_FUNCTIONS = {
    "9": MessageFunction.ORIGINAL,
    "5": MessageFunction.REPLACE,
    "1": MessageFunction.CANCELLATION,
    "3": MessageFunction.DELETION,
    "4": MessageFunction.CHANGE,
    "11": MessageFunction.ORIGINAL,  # "response" (CUSRES); an original answer
}
_FULL_EMPTY = {"4": FullEmpty.EMPTY, "5": FullEmpty.LADEN}
_DTM_FORMATS = {"203": "%Y%m%d%H%M", "102": "%Y%m%d", "204": "%Y%m%d%H%M%S"}
_CONTAINER_SHAPE = re.compile(r"^[A-Z]{4}[0-9]{7}$")
# A measurement value: ASCII digits with an optional sign and decimal mark (never NaN, Infinity or another
# script's digits, which Decimal would accept).
_DECIMAL = re.compile(r"^-?[0-9]+(?:[.,][0-9]+)?$", re.ASCII)
# DTM qualifiers seen in genuine traffic that no directory defines; tolerated with a warning.
NONSTANDARD_DTM = frozenset({"ACT"})


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What the field readers need besides the segment."""

    settings: AdapterSettings
    log: WarningLog
    time_zone: tzinfo | None = None


def reject(seg: Segment, reason: str, code: RejectionCode) -> MessageRejected:
    return MessageRejected(seg.tag, seg.position, reason, code)


def required(seg: Segment, pos: int, comp: int, what: str) -> str:
    value = seg.get(pos, comp)
    if value is None:
        raise reject(seg, f"{what} is missing", RejectionCode.MISSING_ELEMENT)
    return value


_Movement = TypeVar("_Movement")


def movement(bgm: Segment, movements: Mapping[str, _Movement], expected: str) -> _Movement:
    """The movement the BGM document name code (1001) stands for; any other code is refused as not
    ``expected`` (e.g. "a gate report (34 gate-in, 36 gate-out)")."""
    code = required(bgm, 0, 0, "document name code (1001)")
    found = movements.get(code)
    if found is None:
        raise reject(bgm, f"document name code {code!r} is not {expected}", RejectionCode.UNKNOWN_QUALIFIER)
    return found


def message_function(bgm: Segment) -> MessageFunction:
    code = bgm.get(2) or "9"
    found = _MESSAGE_FUNCTIONS.get(code)
    if found is None:
        raise reject(
            bgm, f"message function code (1225) {code!r} is unknown", RejectionCode.UNKNOWN_QUALIFIER
        )
    return found


def dtm(seg: Segment, ctx: ReadContext) -> tuple[str, datetime]:
    """(qualifier, value) of a DTM; formats 203, 102 and 204."""
    qualifier = required(seg, 0, 0, "date/time qualifier (2005)")
    value = required(seg, 0, 1, f"DTM+{qualifier} value")
    fmt_code = seg.get(0, 2) or "203"
    fmt = _DTM_FORMATS.get(fmt_code)
    if fmt is None:
        raise reject(
            seg, f"date/time format (2379) {fmt_code!r} is not supported", RejectionCode.UNKNOWN_QUALIFIER
        )
    try:
        if not ascii_digits(value):
            raise ValueError(value)
        moment = datetime.strptime(value, fmt)
    except ValueError:
        raise reject(
            seg,
            f"DTM+{qualifier} value {value!r} does not fit format {fmt_code}",
            RejectionCode.INVALID_VALUE,
        ) from None
    if ctx.time_zone is not None:
        moment = moment.replace(tzinfo=ctx.time_zone)
    return qualifier, moment


def dtm_by_qualifier(segments: list[Segment], ctx: ReadContext) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for seg in segments:
        qualifier, moment = dtm(seg, ctx)
        if qualifier in NONSTANDARD_DTM:
            ctx.log.add(
                seg.tag,
                seg.position,
                f"non-standard DTM qualifier {qualifier!r} tolerated",
                RejectionCode.NONSTANDARD_USAGE,
            )
        found.setdefault(qualifier, moment)
    return found


def references(segments: list[Segment]) -> tuple[Reference, ...]:
    out = []
    for seg in segments:
        qualifier = required(seg, 0, 0, "reference qualifier (1153)")
        value = seg.get(0, 1)
        if value is None:
            raise reject(seg, f"RFF+{qualifier} has no reference value (1154)", RejectionCode.MISSING_ELEMENT)
        out.append(Reference(qualifier, value))
    return tuple(out)


def port(seg: Segment) -> PortLocation:
    code = required(seg, 1, 0, f"LOC+{seg.get(0)} location code (3225)")
    try:
        return resolve_port(code)
    except ValueError as exc:
        raise reject(seg, str(exc), RejectionCode.INVALID_VALUE) from None


def location(segments: list[Segment], qualifier: str) -> Segment | None:
    return next((s for s in segments if s.get(0) == qualifier), None)


def terminal(seg: Segment | None) -> TerminalRef | None:
    if seg is None:
        return None
    return TerminalRef(port(seg), seg.get(2, 0))


def measurements(segments: list[Segment]) -> tuple[Measurement, ...]:
    out = []
    for seg in segments:
        attribute = seg.get(1, 0) or required(seg, 0, 0, "measurement purpose (6311)")
        unit = required(seg, 2, 0, "measure unit (6411)")
        text = required(seg, 2, 1, "measurement value (6314)")
        try:
            if not _DECIMAL.match(text):
                raise InvalidOperation(text)
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise reject(
                seg, f"measurement value {text!r} is not a number", RejectionCode.INVALID_VALUE
            ) from None
        out.append(Measurement(attribute, unit, value))
    return tuple(out)


def seals(segments: list[Segment]) -> tuple[Seal, ...]:
    return tuple(Seal(required(seg, 0, 0, "seal number (9308)"), seg.get(1)) for seg in segments)


def damage(dam: Segment, cod: Segment | None) -> Damage:
    qualifier = required(dam, 0, 0, "damage details qualifier (7493)")
    if qualifier != "1":
        raise reject(
            dam,
            f"damage details qualifier {qualifier!r} is unknown (expected 1)",
            RejectionCode.UNKNOWN_QUALIFIER,
        )
    components: tuple[str, ...] = ()
    if cod is not None:
        components = tuple(v for v in (cod.get(0), cod.get(1)) if v)
    return Damage(
        type_code=dam.get(1, 0),
        type_text=dam.get(1, 3),
        area_code=dam.get(2, 0),
        area_text=dam.get(2, 3),
        severity_code=dam.get(3, 0),
        severity_text=dam.get(3, 3),
        components=components,
    )


def vessel(tdt: Segment, ctx: ReadContext) -> VesselRef:
    """TDT+20 main carriage: voyage (8028), carrier (C040), vessel id and name (C222)."""
    identifier = tdt.get(7, 0)
    code_list = tdt.get(7, 1)
    agency = tdt.get(7, 2)
    scheme: str | None = None
    if identifier is not None:
        if code_list == "103":
            scheme = "CALL_SIGN"
        elif agency == "11" or (code_list == "146" and len(identifier) == 7 and ascii_digits(identifier)):
            scheme = "IMO"
        else:
            scheme = "OTHER"
    if scheme == "IMO" and identifier is not None:
        problem = check_imo_number(identifier)
        if problem is not None:
            ctx.log.add(
                tdt.tag, tdt.position, f"IMO number {identifier}: {problem}", RejectionCode.INVALID_VALUE
            )
    return VesselRef(
        identifier=identifier,
        scheme=scheme,
        name=tdt.get(7, 3),
        voyage=tdt.get(1),
        carrier=tdt.get(4, 0),
    )


def container(eqd: Segment, ctx: ReadContext, *, full_empty_required: bool) -> ContainerFields:
    """EQD+CN: the ISO 6346 number (check digit per the strictness setting), size-type, full/empty."""
    qualifier = required(eqd, 0, 0, "equipment qualifier (8053)")
    if qualifier != "CN":
        raise reject(
            eqd, f"equipment qualifier {qualifier!r} is not CN (container)", RejectionCode.UNKNOWN_QUALIFIER
        )
    number = required(eqd, 1, 0, "container number (8260)")
    if not _CONTAINER_SHAPE.match(number):
        raise reject(
            eqd, f"container number {number!r} is not 4 letters and 7 digits", RejectionCode.INVALID_VALUE
        )
    problems = []
    expected = iso6346_check_digit(number[:10])
    if int(number[10]) != expected:
        problems.append(f"check digit {number[10]} is wrong; ISO 6346 gives {expected}")
    if number[3] not in "UJZ":
        problems.append(f"category identifier {number[3]!r} must be U, J or Z")
    valid = not problems
    if problems:
        reason = f"container number {number}: " + "; ".join(problems)
        if ctx.settings.strict_container_check:
            raise reject(eqd, reason, RejectionCode.CONTAINER_CHECK_DIGIT)
        ctx.log.add(
            eqd.tag,
            eqd.position,
            reason + " (accepted: lenient container check)",
            RejectionCode.CONTAINER_CHECK_DIGIT,
        )
    code = eqd.get(2, 0)
    info: SizeType | None = None
    if code is not None:
        try:
            info = size_type(code)
        except ValueError as exc:
            ctx.log.add(eqd.tag, eqd.position, str(exc), RejectionCode.INVALID_VALUE)
    fe_code = eqd.get(5)
    full_empty: FullEmpty | None = None
    if fe_code is None:
        if full_empty_required:
            raise reject(eqd, "full/empty indicator (8169) is missing", RejectionCode.MISSING_ELEMENT)
    else:
        full_empty = _FULL_EMPTY.get(fe_code)
        if full_empty is None:
            raise reject(
                eqd,
                f"full/empty indicator (8169) {fe_code!r} is unknown (4 empty, 5 full)",
                RejectionCode.UNKNOWN_QUALIFIER,
            )
    return ContainerFields(
        container_number=number,
        check_digit_valid=valid,
        size_type_code=code,
        size_type=info,
        full_empty=full_empty,
    )


def check_equipment_count(cnts: list[Segment], equipment: int) -> None:
    """CNT+16 (total number of equipment) must match the EQD groups when sent."""
    for cnt in cnts:
        if cnt.get(0, 0) == "16":
            declared = required(cnt, 0, 1, "CNT+16 control value")
            if not ascii_digits(declared) or int(declared) != equipment:
                raise reject(
                    cnt,
                    f"CNT+16 declares {declared} containers but the message has {equipment} EQD groups",
                    RejectionCode.CONTROL_COUNT_MISMATCH,
                )


def equipment_groups(tree: Node, group: str) -> list[Node]:
    """The equipment groups (EQD) named ``group`` of a container report: at least one, and as many as
    CNT+16 declares when it is sent."""
    equipment = tree.children(group)
    if not equipment:
        raise reject(tree.trigger, "the message reports no equipment (EQD)", RejectionCode.MISSING_ELEMENT)
    check_equipment_count(tree.all("CNT"), len(equipment))
    return equipment
