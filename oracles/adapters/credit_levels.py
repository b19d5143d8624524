"""China Customs enterprise credit-level feed (CSV or JSON) → ``CreditLevelFact`` and
``CreditLevelRevocation`` facts.

Each record either grants a level (``action`` GRANT) or withdraws an earlier record (REVOKE, naming
``revokesRecordId``). Columns / JSON keys (JSON wraps them as
``{"feed": "portledger.customs-credit-levels", "version": 1, "records": [...]}``):

    recordId, action, uscc, customsCode, regime, level, aeoCode, effectiveFrom, expiresOn,
    revokesRecordId, sourceRef

``regime`` is GAC_ORDER_237 / GAC_ORDER_251 / GAC_ORDER_282 and ``level`` a ``CreditLevel`` name (or
its Chinese name). Whether the level is an AEO comes from the credit-level table, not the feed; an
AEO level needs an ``AEOCN`` + 10-digit code, a non-AEO level must not have one. The level must exist
under the regime, and cannot take effect before the regime did.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from ledger.domain.reference import (
    CreditLevel,
    CreditRegime,
    check_uscc,
    credit_level_definition,
    credit_level_definitions,
)
from oracles.base import AdapterSettings, MessageRejected, ParseResult, RejectionCode
from oracles.facts import CreditLevelFact, CreditLevelRevocation, Fact
from oracles.feeds import load_feed, sniff_feed

FEED_NAME = "portledger.customs-credit-levels"
FEED_VERSION = 1
COLUMNS = (
    "recordId",
    "action",
    "uscc",
    "customsCode",
    "regime",
    "level",
    "aeoCode",
    "effectiveFrom",
    "expiresOn",
    "revokesRecordId",
    "sourceRef",
)
_AEO_CODE = re.compile(r"^AEOCN[0-9A-Z]{10}$")
_CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")
_REGIME_START = {
    CreditRegime.ORDER_237: date(2014, 12, 1),  # Order 225, continued by 237
    CreditRegime.ORDER_251: date(2021, 11, 1),
    CreditRegime.ORDER_282: date(2026, 4, 1),
}


def _reject(path: str, reason: str, code: RejectionCode, position: int) -> MessageRejected:
    return MessageRejected(path, position, reason, code)


def _level(text: str) -> CreditLevel | None:
    if text in CreditLevel.__members__:
        return CreditLevel[text]
    for definition in credit_level_definitions().values():
        if definition.name_zh == text:
            return definition.level
    return None


class CreditLevelFeedAdapter:
    name = "customs-credit-levels"

    def __init__(self, settings: AdapterSettings | None = None) -> None:
        self.settings = settings or AdapterSettings()

    def accepts(self, raw: bytes, filename: str | None = None) -> bool:
        if sniff_feed(raw, FEED_NAME):
            return True
        first_line = raw.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip()
        return first_line == ",".join(COLUMNS).encode()

    def parse(self, raw: bytes) -> ParseResult:
        head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"{"):
            document = load_feed(raw, FEED_NAME, FEED_VERSION)
            records = document.get("records")
            if not isinstance(records, list) or not records:
                raise MessageRejected(
                    "records", None, "records must be a non-empty list", RejectionCode.MISSING_ELEMENT
                )
            paths = [f"records[{i}]" for i in range(len(records))]
        else:
            try:
                text = head.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MessageRejected(
                    None, None, f"the CSV is not UTF-8: {exc}", RejectionCode.CHARSET_MISMATCH
                ) from None
            reader = csv.DictReader(io.StringIO(text, newline=""))
            try:
                header = tuple(reader.fieldnames or ())
                records = list(reader)
            except csv.Error as exc:
                reason = f"not valid CSV: {exc}"
                raise MessageRejected(None, reader.line_num, reason, RejectionCode.SYNTAX_ERROR) from None
            if header != COLUMNS:
                raise MessageRejected(
                    "header", 1, f"the CSV header must be {','.join(COLUMNS)}", RejectionCode.ENVELOPE_ERROR
                )
            if not records:
                raise MessageRejected(
                    "records", None, "the CSV has no records", RejectionCode.MISSING_ELEMENT
                )
            paths = [f"row {i + 2}" for i in range(len(records))]
        facts: list[Fact] = []
        seen: set[str] = set()
        for position, (record, path) in enumerate(zip(records, paths, strict=True), start=1):
            if not isinstance(record, dict):
                raise _reject(path, "each record must be an object", RejectionCode.INVALID_VALUE, position)
            fact = self._record(record, path, position)
            if fact.source_id in seen:
                raise _reject(
                    f"{path}.recordId",
                    "recordId repeats within the feed",
                    RejectionCode.INVALID_VALUE,
                    position,
                )
            seen.add(fact.source_id)
            facts.append(fact)
        return ParseResult(tuple(facts))

    def _record(self, record: dict[str, Any], path: str, position: int) -> Fact:
        def text(key: str, *, required: bool = False) -> str | None:
            value = record.get(key)
            if value is None or value == "":
                if required:
                    raise _reject(
                        f"{path}.{key}", f"{key} is missing", RejectionCode.MISSING_ELEMENT, position
                    )
                return None
            if not isinstance(value, str):
                raise _reject(
                    f"{path}.{key}", f"{key} must be a string", RejectionCode.INVALID_VALUE, position
                )
            return value.strip()

        def day(key: str, *, required: bool) -> date | None:
            value = text(key, required=required)
            if value is None:
                return None
            try:
                if not value.isascii():
                    raise ValueError(value)
                return date.fromisoformat(value)
            except ValueError:
                raise _reject(
                    f"{path}.{key}",
                    f"{value!r} is not a date (YYYY-MM-DD)",
                    RejectionCode.INVALID_VALUE,
                    position,
                ) from None

        record_id = text("recordId", required=True) or ""
        action = text("action", required=True)
        uscc = text("uscc", required=True) or ""
        problem = check_uscc(uscc)
        if problem is not None:
            raise _reject(f"{path}.uscc", f"USCC {uscc!r}: {problem}", RejectionCode.INVALID_VALUE, position)
        source_ref = text("sourceRef", required=True) or ""
        effective_from = day("effectiveFrom", required=True) or date.min  # required: never date.min
        source_id = f"credit:{record_id}"
        if action == "REVOKE":
            revokes = text("revokesRecordId", required=True) or ""
            return CreditLevelRevocation(
                source_id=source_id,
                revokes_source_id=f"credit:{revokes}",
                organisation_id=uscc,
                revoked_on=effective_from,
                source_ref=source_ref,
            )
        if action != "GRANT":
            raise _reject(
                f"{path}.action",
                f"action {action!r} is unknown (GRANT, REVOKE)",
                RejectionCode.UNKNOWN_QUALIFIER,
                position,
            )
        regime_text = text("regime", required=True) or ""
        try:
            regime = CreditRegime(regime_text)
        except ValueError:
            raise _reject(
                f"{path}.regime",
                f"regime {regime_text!r} is unknown",
                RejectionCode.UNKNOWN_QUALIFIER,
                position,
            ) from None
        level_text = text("level", required=True) or ""
        level = _level(level_text)
        if level is None:
            raise _reject(
                f"{path}.level",
                f"credit level {level_text!r} is unknown",
                RejectionCode.UNKNOWN_QUALIFIER,
                position,
            )
        try:
            definition = credit_level_definition(regime, level)
        except ValueError as exc:
            raise _reject(f"{path}.level", str(exc), RejectionCode.UNKNOWN_QUALIFIER, position) from None
        if effective_from < _REGIME_START[regime]:
            raise _reject(
                f"{path}.effectiveFrom",
                f"{regime.value} took effect on {_REGIME_START[regime]}, after {effective_from}",
                RejectionCode.INVALID_VALUE,
                position,
            )
        expires_on = day("expiresOn", required=False)
        if expires_on is not None and expires_on <= effective_from:
            raise _reject(
                f"{path}.expiresOn",
                "expiresOn must be after effectiveFrom",
                RejectionCode.INVALID_VALUE,
                position,
            )
        customs_code = text("customsCode")
        if customs_code is not None and not _CUSTOMS_CODE.match(customs_code):
            raise _reject(
                f"{path}.customsCode",
                f"customs code {customs_code!r} must be 10 letters or digits",
                RejectionCode.INVALID_VALUE,
                position,
            )
        aeo_code = text("aeoCode")
        if definition.is_aeo:
            if aeo_code is None or not _AEO_CODE.match(aeo_code):
                raise _reject(
                    f"{path}.aeoCode",
                    f"{level.value} is an AEO level: aeoCode must be AEOCN + 10 characters",
                    RejectionCode.INVALID_VALUE,
                    position,
                )
            if customs_code is not None and aeo_code[5:] != customs_code:
                raise _reject(
                    f"{path}.aeoCode",
                    f"aeoCode {aeo_code} does not carry customsCode {customs_code}",
                    RejectionCode.INVALID_VALUE,
                    position,
                )
        elif aeo_code is not None:
            raise _reject(
                f"{path}.aeoCode",
                f"{level.value} is not an AEO level but an aeoCode is given",
                RejectionCode.INVALID_VALUE,
                position,
            )
        return CreditLevelFact(
            source_id=source_id,
            organisation_id=uscc,
            customs_code=customs_code,
            regime=regime,
            level=level,
            is_aeo=definition.is_aeo,
            aeo_code=aeo_code,
            effective_from=effective_from,
            expires_on=expires_on,
            source_ref=source_ref,
        )
