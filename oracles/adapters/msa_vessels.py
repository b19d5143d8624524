"""Maritime administration (MSA) vessel arrival/departure feed (JSON) → ``VesselMovement`` facts.

No open MSA schema exists, so the project defines this small shape (documented in docs/oracles.md):

    {"feed": "portledger.msa-vessel-movements", "version": 1, "publisher": "SHMSA",
     "generatedAt": "2026-01-15T14:10:00+08:00",
     "movements": [{"eventId": "...", "movement": "ARRIVAL" | "DEPARTURE", "imoNumber": "9300001",
                    "vesselName": "...", "callSign": "...", "voyage": "...", "portCode": "CNSHA",
                    "berth": "...", "eventTime": "2026-01-15T06:30:00+08:00"}]}

Only actual movements belong here (they become non-revocable facts): times must carry a UTC offset,
IMO numbers must pass their check digit, event ids must be unique within the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.domain.reference import check_imo_number, resolve_port
from oracles.base import AdapterSettings, MessageRejected, ParseResult, RejectionCode
from oracles.facts import VesselMovement, VesselMovementType
from oracles.feeds import load_feed, sniff_feed

FEED_NAME = "portledger.msa-vessel-movements"
FEED_VERSION = 1
_MOVEMENTS = {"ARRIVAL": VesselMovementType.ARRIVAL, "DEPARTURE": VesselMovementType.DEPARTURE}


def _reject(path: str, reason: str, code: RejectionCode, position: int | None = None) -> MessageRejected:
    return MessageRejected(path, position, reason, code)


def _text(record: dict[str, Any], key: str, path: str, position: int, *, required: bool) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise _reject(f"{path}.{key}", f"{key} is missing", RejectionCode.MISSING_ELEMENT, position)
        return None
    if not isinstance(value, str):
        raise _reject(f"{path}.{key}", f"{key} must be a string", RejectionCode.INVALID_VALUE, position)
    return value


class MsaVesselFeedAdapter:
    name = "msa-vessel-movements"

    def __init__(self, settings: AdapterSettings | None = None) -> None:
        self.settings = settings or AdapterSettings()

    def accepts(self, raw: bytes, filename: str | None = None) -> bool:
        return sniff_feed(raw, FEED_NAME)

    def parse(self, raw: bytes) -> ParseResult:
        document = load_feed(raw, FEED_NAME, FEED_VERSION)
        publisher = document.get("publisher")
        if not isinstance(publisher, str) or not publisher:
            raise _reject("publisher", "publisher is missing", RejectionCode.MISSING_ELEMENT)
        movements = document.get("movements")
        if not isinstance(movements, list) or not movements:
            raise _reject("movements", "movements must be a non-empty list", RejectionCode.MISSING_ELEMENT)
        facts = []
        seen: set[str] = set()
        for position, record in enumerate(movements, start=1):
            path = f"movements[{position - 1}]"
            if not isinstance(record, dict):
                raise _reject(path, "each movement must be an object", RejectionCode.INVALID_VALUE, position)
            event_id = _text(record, "eventId", path, position, required=True) or ""
            if event_id in seen:
                raise _reject(
                    f"{path}.eventId", f"eventId {event_id!r} repeats", RejectionCode.INVALID_VALUE, position
                )
            seen.add(event_id)
            kind = _text(record, "movement", path, position, required=True)
            movement = _MOVEMENTS.get(kind or "")
            if movement is None:
                raise _reject(
                    f"{path}.movement",
                    f"movement {kind!r} is unknown (ARRIVAL, DEPARTURE)",
                    RejectionCode.UNKNOWN_QUALIFIER,
                    position,
                )
            imo = _text(record, "imoNumber", path, position, required=True) or ""
            problem = check_imo_number(imo)
            if problem is not None:
                raise _reject(
                    f"{path}.imoNumber",
                    f"IMO number {imo!r}: {problem}",
                    RejectionCode.INVALID_VALUE,
                    position,
                )
            port_code = _text(record, "portCode", path, position, required=True) or ""
            try:
                port = resolve_port(port_code)
            except ValueError as exc:
                raise _reject(f"{path}.portCode", str(exc), RejectionCode.INVALID_VALUE, position) from None
            time_text = _text(record, "eventTime", path, position, required=True) or ""
            try:
                if not time_text.isascii():
                    raise ValueError(time_text)
                event_time = datetime.fromisoformat(time_text)
            except ValueError:
                raise _reject(
                    f"{path}.eventTime",
                    f"{time_text!r} is not an ISO 8601 date-time",
                    RejectionCode.INVALID_VALUE,
                    position,
                ) from None
            if event_time.tzinfo is None:
                raise _reject(
                    f"{path}.eventTime",
                    "eventTime must carry a UTC offset",
                    RejectionCode.INVALID_VALUE,
                    position,
                )
            facts.append(
                VesselMovement(
                    source_id=f"msa:{publisher}:{event_id}",
                    movement=movement,
                    imo_number=imo.removeprefix("IMO"),
                    vessel_name=_text(record, "vesselName", path, position, required=False),
                    call_sign=_text(record, "callSign", path, position, required=False),
                    voyage=_text(record, "voyage", path, position, required=False),
                    port=port,
                    berth=_text(record, "berth", path, position, required=False),
                    event_time=event_time,
                    reported_by=publisher,
                )
            )
        return ParseResult(tuple(facts))
