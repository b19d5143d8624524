"""China Customs XML → facts: manifest messages (舱单, WCO-DM-based ``Manifest`` documents) and
customs declaration business receipts (报关单回执 ``DEC_RESULT``).

- ``Manifest`` in namespace ``urn:Declaration:datamodel:standard:CN:<MessageType>:1``: MT3101
  (水运出口运抵报告, the terminal's export arrival report) gives a ``ManifestArrivalReport``; other
  manifest message types are refused as unsupported.
- ``DEC_RESULT`` (optionally in ``http://www.chinaport.gov.cn/dec``) gives a ``CustomsDecision``
  read from CHANNEL. The CHANNEL code values are not published openly, so the mapping is
  configuration (``channel_decisions``); the default is the placeholder convention of the project's
  synthetic fixtures. A CHANNEL the mapping does not know is refused, not guessed; receipts that are
  neither release nor hold (e.g. "accepted for processing") must be mapped to nothing and are refused.

Times in these messages carry no zone; China Customs uses Beijing time, so they are read as UTC+8.
Documents with a DOCTYPE or entity declarations are refused before parsing (no entity expansion).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from ledger.domain.reference import PortLocation, check_imo_number, resolve_port
from ledger.domain.values import ascii_digits, check_container_number
from oracles.base import (
    AdapterSettings,
    MessageRejected,
    ParseResult,
    RejectionCode,
    UnsupportedMessage,
    WarningLog,
)
from oracles.facts import (
    CustomsDecision,
    CustomsDecisionType,
    ManifestArrivalReport,
    ManifestEquipment,
    Reference,
    VesselRef,
)

BEIJING = timezone(timedelta(hours=8), "CST")
MANIFEST_NAMESPACE = re.compile(r"^urn:Declaration:datamodel:standard:CN:(MT[0-9]{4}):1$")
DEC_NAMESPACE = "http://www.chinaport.gov.cn/dec"

# Placeholder convention (fixtures only): configure the real CHANNEL codes per deployment.
DEFAULT_CHANNEL_DECISIONS: Mapping[str, CustomsDecisionType] = {
    "RELEASE": CustomsDecisionType.RELEASE,
    "HOLD": CustomsDecisionType.HOLD,
}
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(Manifest|DEC_RESULT)[\s>/]")


def _reject(
    path: str | None, reason: str, code: RejectionCode, position: int | None = None
) -> MessageRejected:
    return MessageRejected(path, position, reason, code)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


class _Reader:
    """Namespace-agnostic child lookups with rejection on missing mandatory fields."""

    def __init__(self, element: ET.Element, path: str) -> None:
        self.element = element
        self.path = path

    def child(self, name: str) -> _Reader | None:
        for sub in self.element:
            if _local(sub.tag) == name:
                return _Reader(sub, f"{self.path}/{name}")
        return None

    def children(self, name: str) -> list[_Reader]:
        return [_Reader(sub, f"{self.path}/{name}") for sub in self.element if _local(sub.tag) == name]

    def text(self, name: str) -> str | None:
        found = self.child(name)
        if found is None or found.element.text is None:
            return None
        return found.element.text.strip() or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise _reject(f"{self.path}/{name}", f"{name} is missing or empty", RejectionCode.MISSING_ELEMENT)
        return value


def _datetime(value: str, path: str) -> datetime:
    """``YYYYMMDDHHmmss[fff]`` or ``YYYY-MM-DD HH:MM:SS``, Beijing time."""
    digits = re.sub(r"[-: T]", "", value)
    try:
        if not ascii_digits(digits):
            raise ValueError(value)
        if len(digits) == 17:
            moment = datetime.strptime(digits[:14], "%Y%m%d%H%M%S").replace(
                microsecond=int(digits[14:]) * 1000
            )
        elif len(digits) == 14:
            moment = datetime.strptime(digits, "%Y%m%d%H%M%S")
        else:
            raise ValueError(value)
    except ValueError:
        raise _reject(
            path, f"{value!r} is not a date-time (YYYYMMDDHHmmss[fff])", RejectionCode.INVALID_VALUE
        ) from None
    return moment.replace(tzinfo=BEIJING)


def _date(value: str, path: str) -> date:
    try:
        if not ascii_digits(value):
            raise ValueError(value)
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise _reject(path, f"{value!r} is not a date (YYYYMMDD)", RejectionCode.INVALID_VALUE) from None


class ChinaCustomsXmlAdapter:
    """China Customs manifest (MT3101) and declaration receipt (DEC_RESULT) XML."""

    name = "china-customs-xml"

    def __init__(
        self,
        settings: AdapterSettings | None = None,
        channel_decisions: Mapping[str, CustomsDecisionType] | None = None,
    ) -> None:
        self.settings = settings or AdapterSettings()
        self.channel_decisions = dict(channel_decisions or DEFAULT_CHANNEL_DECISIONS)

    def accepts(self, raw: bytes, filename: str | None = None) -> bool:
        head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"<") and _ROOT.search(head) is not None

    def parse(self, raw: bytes) -> ParseResult:
        if _FORBIDDEN.search(raw):
            raise _reject(
                None, "DOCTYPE and entity declarations are not accepted", RejectionCode.SYNTAX_ERROR
            )
        try:
            # defusedxml refuses DTDs, entities and external references whatever the encoding (the byte
            # filter above cannot see a UTF-16 document's declarations).
            root = safe_fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException:
            raise _reject(
                None, "DOCTYPE and entity declarations are not accepted", RejectionCode.SYNTAX_ERROR
            ) from None
        except (ET.ParseError, LookupError, ValueError) as exc:  # LookupError: unknown declared encoding
            raise _reject(None, f"not well-formed XML: {exc}", RejectionCode.SYNTAX_ERROR) from None
        log = WarningLog()
        name = _local(root.tag)
        if name == "Manifest":
            return ParseResult((self._manifest(root, log),), log.freeze())
        if name == "DEC_RESULT":
            namespace = _namespace(root.tag)
            if namespace not in ("", DEC_NAMESPACE):
                raise UnsupportedMessage(
                    f"DEC_RESULT in namespace {namespace!r} is not read", segment="DEC_RESULT"
                )
            return ParseResult((self._declaration_receipt(root),), log.freeze())
        raise UnsupportedMessage(
            f"root element {name!r} is not a China Customs message this adapter reads", segment=name
        )

    # -- manifest ---------------------------------------------------------------------------------

    def _manifest(self, root: ET.Element, log: WarningLog) -> ManifestArrivalReport:
        namespace = _namespace(root.tag)
        matched = MANIFEST_NAMESPACE.match(namespace)
        if matched is None:
            raise _reject(
                "Manifest",
                f"namespace {namespace!r} is not a China manifest namespace",
                RejectionCode.ENVELOPE_ERROR,
            )
        doc = _Reader(root, "Manifest")
        head = doc.child("Head")
        if head is None:
            raise _reject("Manifest/Head", "Head is missing", RejectionCode.MISSING_ELEMENT)
        message_type = head.required("MessageType")
        if message_type != matched.group(1):
            raise _reject(
                "Manifest/Head/MessageType",
                f"MessageType {message_type} does not match the namespace's {matched.group(1)}",
                RejectionCode.CONTROL_REFERENCE_MISMATCH,
            )
        if message_type != "MT3101":
            raise UnsupportedMessage(
                f"manifest message type {message_type} has no adapter", segment="Manifest/Head/MessageType"
            )
        message_id = head.required("MessageID")
        function_code = head.required("FunctionCode")
        if function_code not in ("2", "3", "5", "9"):
            raise _reject(
                "Manifest/Head/FunctionCode",
                f"function code {function_code!r} is unknown",
                RejectionCode.UNKNOWN_QUALIFIER,
            )
        sent_at = _datetime(head.required("SendTime"), "Manifest/Head/SendTime")
        declaration = doc.child("Declaration")
        if declaration is None:
            raise _reject("Manifest/Declaration", "Declaration is missing", RejectionCode.MISSING_ELEMENT)
        means = declaration.child("BorderTransportMeans")
        if means is None:
            raise _reject(
                f"{declaration.path}/BorderTransportMeans",
                "BorderTransportMeans is missing",
                RejectionCode.MISSING_ELEMENT,
            )
        vessel_id = means.text("ID")
        scheme = None
        if vessel_id is not None and vessel_id.startswith("UN"):
            vessel_id, scheme = vessel_id[2:], "IMO"
            problem = check_imo_number(vessel_id)
            if problem is not None:
                log.add(
                    f"{means.path}/ID",
                    None,
                    f"IMO number {vessel_id}: {problem}",
                    RejectionCode.INVALID_VALUE,
                )
        elif vessel_id is not None:
            scheme = "OTHER"
        vessel = VesselRef(
            identifier=vessel_id,
            scheme=scheme,
            name=means.text("Name"),
            voyage=means.text("JourneyID"),
            carrier=None,
        )
        unloading = declaration.child("UnloadingLocation")
        location: PortLocation | None = None
        district: str | None = None
        arrival: date | None = None
        if unloading is not None:
            location_id = unloading.text("ID")
            if location_id is not None:
                code, _, district_part = location_id.partition("/")
                try:
                    location = resolve_port(code[:5])
                except ValueError as exc:
                    raise _reject(f"{unloading.path}/ID", str(exc), RejectionCode.INVALID_VALUE) from None
                district = district_part or None
            arrival_text = unloading.text("ArrivalDate")
            arrival = _date(arrival_text, f"{unloading.path}/ArrivalDate") if arrival_text else None
        equipment = []
        for index, item in enumerate(declaration.children("TransportEquipment"), start=1):
            ident = item.child("EquipmentIdentification")
            number = ident.text("ID") if ident is not None else None
            path = f"{item.path}/EquipmentIdentification/ID"
            if number is None:
                raise _reject(path, "container number is missing", RejectionCode.MISSING_ELEMENT, index)
            problem = check_container_number(number)
            if problem is not None and not re.match(r"^[A-Z]{4}[0-9]{7}$", number):
                raise _reject(
                    path, f"container number {number!r}: {problem}", RejectionCode.INVALID_VALUE, index
                )
            if problem is not None:
                reason = f"container number {number}: {problem}"
                if self.settings.strict_container_check:
                    raise _reject(path, reason, RejectionCode.CONTAINER_CHECK_DIGIT, index)
                log.add(
                    path,
                    index,
                    reason + " (accepted: lenient container check)",
                    RejectionCode.CONTAINER_CHECK_DIGIT,
                )
            equipment.append(
                ManifestEquipment(
                    container_number=number,
                    check_digit_valid=problem is None,
                    characteristic_code=item.text("CharacteristicCode"),
                    fullness_code=item.text("FullnessCode"),
                )
            )
        if not equipment:
            raise _reject(
                f"{declaration.path}/TransportEquipment",
                "the arrival report lists no container",
                RejectionCode.MISSING_ELEMENT,
            )
        return ManifestArrivalReport(
            source_id=f"cn-manifest:{message_id}",
            message_type=message_type,
            function_code=function_code,
            sender_id=head.required("SenderID"),
            sent_at=sent_at,
            customs_office=declaration.text("DeclarationOfficeID"),
            vessel=vessel,
            unloading_location=location,
            unloading_customs_district=district,
            arrival_date=arrival,
            equipment=tuple(equipment),
        )

    # -- declaration receipt ----------------------------------------------------------------------

    def _declaration_receipt(self, root: ET.Element) -> CustomsDecision:
        doc = _Reader(root, "DEC_RESULT")
        channel = doc.required("CHANNEL")
        decision = self.channel_decisions.get(channel)
        if decision is None:
            raise _reject(
                "DEC_RESULT/CHANNEL",
                f"CHANNEL {channel!r} is not configured as a release or hold",
                RejectionCode.UNKNOWN_QUALIFIER,
            )
        entry_id = doc.text("ENTRY_ID")
        seq_no = doc.text("SEQ_NO")
        record = entry_id or seq_no
        if record is None:
            raise _reject(
                "DEC_RESULT/ENTRY_ID", "neither ENTRY_ID nor SEQ_NO is given", RejectionCode.MISSING_ELEMENT
            )
        notice_text = doc.required("NOTICE_DATE")
        notice = _datetime(notice_text, "DEC_RESULT/NOTICE_DATE")
        bill = doc.text("BILL_NO")
        if bill is None:
            raise _reject(
                "DEC_RESULT/BILL_NO", "BILL_NO (transport document) is missing", RejectionCode.MISSING_ELEMENT
            )
        references = tuple(
            Reference(q, v)
            for q, v in (("ENTRY_ID", entry_id), ("SEQ_NO", seq_no), ("VOYAGE_NO", doc.text("VOYAGE_NO")))
            if v is not None
        )
        return CustomsDecision(
            source_id=f"cn-dec:{seq_no or entry_id}:{channel}:{notice.strftime('%Y%m%d%H%M%S')}",
            decision=decision,
            source_record_id=record,
            transport_document_reference=bill,
            declaration_number=entry_id,
            containers=(),
            decided_at=notice,
            customs_office=doc.text("DECL_PORT"),
            declarant=doc.text("TRADE_CO"),
            processing_indicator=channel,
            references=references,
            remarks=doc.text("NOTE"),
        )
