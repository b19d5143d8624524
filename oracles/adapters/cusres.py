"""CUSRES (customs response, D.96B) → ``CustomsDecision`` facts: release or hold of a transport
document (RFF+BM) and/or containers (EQD+CN).

The decision is read from the GIS processing indicator. Its code values are set by each customs
administration, so the mapping is configuration (``processing_indicators``); the default is the
placeholder convention of the project's synthetic fixtures and must be replaced per deployment. An
indicator the mapping does not know rejects the message: guessing a release is not acceptable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from ledger.domain.reference import check_uscc
from oracles.base import AdapterSettings, MessageRejected, RejectionCode
from oracles.edifact import fields
from oracles.edifact.adapter import EdifactAdapter, edifact_source_id
from oracles.edifact.fields import ReadContext, reject
from oracles.edifact.grammar import CUSRES_D96B_SEGMENTS
from oracles.edifact.interchange import Interchange, Message, Segment
from oracles.facts import CustomsDecision, CustomsDecisionType, Fact

# Placeholder convention (fixtures only): GIS 7365 "1" release, "2" hold.
DEFAULT_PROCESSING_INDICATORS: Mapping[str, CustomsDecisionType] = {
    "1": CustomsDecisionType.RELEASE,
    "2": CustomsDecisionType.HOLD,
}
_DOCUMENT_RESPONSE = "962"
# Decision time: DTM 9 (processing), 182 (issue), 137 (document date), first found wins.
_DECISION_TIMES = ("9", "182", "137")


class CusresAdapter(EdifactAdapter):
    message_type = "CUSRES"
    directories = frozenset({("D", "96B"), ("D", "96A"), ("D", "99B")})

    def __init__(
        self,
        settings: AdapterSettings | None = None,
        time_zone: tzinfo | None = None,
        processing_indicators: Mapping[str, CustomsDecisionType] | None = None,
    ) -> None:
        super().__init__(settings, time_zone)
        self.processing_indicators = dict(processing_indicators or DEFAULT_PROCESSING_INDICATORS)

    def read_message(self, interchange: Interchange, message: Message, ctx: ReadContext) -> list[Fact]:
        body = list(message.body)
        if not body or body[0].tag != "BGM":
            at = body[0] if body else message.segments[-1]
            raise MessageRejected(
                "BGM", at.position, "CUSRES must start with BGM after UNH", RejectionCode.STRUCTURE_ERROR
            )
        for seg in body:
            if seg.tag not in CUSRES_D96B_SEGMENTS:
                raise reject(
                    seg,
                    f"segment {seg.tag} is not part of the CUSRES segment table",
                    RejectionCode.STRUCTURE_ERROR,
                )
        bgm = body[0]
        name = fields.required(bgm, 0, 0, "document name code (1001)")
        if name != _DOCUMENT_RESPONSE:
            raise reject(
                bgm,
                f"document name code {name!r} is not a customs response (962)",
                RejectionCode.UNKNOWN_QUALIFIER,
            )
        fields.message_function(bgm)
        record_id = fields.required(bgm, 1, 0, "document number (1004)")

        decision, indicator = self._decision(body, bgm)
        by_tag: dict[str, list[Segment]] = {}
        for seg in body:
            by_tag.setdefault(seg.tag, []).append(seg)
        times = fields.dtm_by_qualifier(by_tag.get("DTM", []), ctx)
        decided_at = next((times[q] for q in _DECISION_TIMES if q in times), None)
        if decided_at is None:
            raise reject(bgm, "no decision time (DTM+9, DTM+182 or DTM+137)", RejectionCode.MISSING_ELEMENT)
        refs = fields.references(by_tag.get("RFF", []))
        containers = tuple(
            fields.container(eqd, ctx, full_empty_required=False).container_number
            for eqd in by_tag.get("EQD", [])
        )
        bill = next((r.value for r in refs if r.qualifier == "BM"), None)
        if bill is None and not containers:
            raise reject(
                bgm,
                "the response names neither a transport document (RFF+BM) nor containers (EQD)",
                RejectionCode.MISSING_ELEMENT,
            )
        office = fields.location(by_tag.get("LOC", []), "22")
        declarant_nad = next((n for n in by_tag.get("NAD", []) if n.get(0) == "DT"), None)
        declarant = declarant_nad.get(1, 0) if declarant_nad else None
        if declarant is not None and declarant_nad is not None and len(declarant) == 18:
            problem = check_uscc(declarant)
            if problem is not None:
                ctx.log.add(
                    "NAD",
                    declarant_nad.position,
                    f"declarant {declarant} is not a valid USCC: {problem}",
                    RejectionCode.INVALID_VALUE,
                )
        remarks = " ".join(t for f in by_tag.get("FTX", []) if (t := f.get(3, 0)) is not None) or None
        return [
            CustomsDecision(
                source_id=edifact_source_id(interchange, message),
                decision=decision,
                source_record_id=record_id,
                transport_document_reference=bill,
                declaration_number=next((r.value for r in refs if r.qualifier == "ABT"), None),
                containers=containers,
                decided_at=decided_at,
                customs_office=office.get(1, 0) if office else None,
                declarant=declarant,
                processing_indicator=indicator,
                references=refs,
                remarks=remarks,
            )
        ]

    def _decision(self, body: list[Segment], bgm: Segment) -> tuple[CustomsDecisionType, str]:
        indicators = [seg for seg in body if seg.tag == "GIS"]
        if not indicators:
            raise reject(
                bgm, "no processing indicator (GIS): the decision is unknown", RejectionCode.MISSING_ELEMENT
            )
        found: list[tuple[CustomsDecisionType, str]] = []
        for gis in indicators:
            code = fields.required(gis, 0, 0, "processing indicator (7365)")
            decision = self.processing_indicators.get(code)
            if decision is None:
                raise reject(
                    gis,
                    f"processing indicator {code!r} is not configured as a release or hold",
                    RejectionCode.UNKNOWN_QUALIFIER,
                )
            found.append((decision, code))
        if len({d for d, _ in found}) > 1:
            raise reject(
                indicators[1],
                "processing indicators contradict each other (release and hold)",
                RejectionCode.INVALID_VALUE,
            )
        return found[0]
