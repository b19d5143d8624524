"""Synthetic EDIFACT messages for the oracle runner tests, built like the committed fixtures
(``tests/fixtures/edifact/cusres_d96b_SYNTHETIC_release.edi`` and ``codeco_d95b_SYNTHETIC_shanghai_eir.edi``)
but naming the bills and containers a test just put on chain. Segment counts and control references are
computed, so every message passes the adapters' envelope checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def _interchange(
    sender: str, recipient: str, reference: str, messages: Sequence[list[str]], at: datetime
) -> bytes:
    out = ["UNA:+.? '", f"UNB+UNOC:3+{sender}:ZZZ+{recipient}:ZZZ+{at:%y%m%d:%H%M}+{reference}'"]
    for segments in messages:
        out.extend(segments)
    out.append(f"UNZ+{len(messages)}+{reference}'")
    return "\n".join(out).encode() + b"\n"


def _message(reference: str, message_type: str, body: list[str]) -> list[str]:
    segments = [f"UNH+{reference}+{message_type}'", *body]
    segments.append(f"UNT+{len(segments) + 1}+{reference}'")
    return segments


def cusres(
    interchange: str,
    *,
    declaration: str,
    containers: Sequence[str] = (),
    bill_reference: str | None = None,
    decided_at: datetime,
    release: bool = True,
) -> bytes:
    """A CUSRES release (GIS 1) or hold (GIS 2) from the customs gateway."""
    body = [
        f"BGM+962+DOC{declaration}+11'",
        f"DTM+9:{decided_at:%Y%m%d%H%M}:203'",
        "LOC+22+CNSGH:139:6'",
        f"GIS+{'1' if release else '2'}:120:ZZZ'",
        *(f"EQD+CN+{c}'" for c in containers),
        "NAD+DT+91310000000000000X::ZZZ'",
        f"RFF+ABT:{declaration}'",
        f"DTM+182:{decided_at:%Y%m%d%H%M}:203'",
    ]
    if bill_reference:
        body.append(f"RFF+BM:{bill_reference}'")
    return _interchange(
        "CUSTOMSGW", "BROKER01", interchange, [_message("1", "CUSRES:D:96B:UN", body)], decided_at
    )


def codeco_gate_out(
    interchange: str,
    *,
    container: str,
    bill_reference: str,
    haulier: str,
    at: datetime,
    truck_plate: str = "HUB67890",
    seals: Sequence[str] = ("CN1234567",),
) -> bytes:
    """A terminal's CODECO gate-out (BGM 36) of a laden import container picked up by ``haulier``."""
    body = [
        f"BGM+36+EIR{interchange}+9'",
        "NAD+MS+SIPGDEMO:160:ZZZ'",
        f"EQD+CN+{container}+45G1:102:5+2+3+5'",
        f"RFF+BM:{bill_reference}'",
        f"DTM+7:{at:%Y%m%d%H%M}:203'",
        "LOC+165+CNSHA:139:6+DEMOTERM:TER:ZZZ'",
        "MEA+AAE+G+KGM:24300'",
        *(f"SEL+{s}+CA'" for s in seals),
        f"TDT+1++3+31+++{truck_plate}:146'",
        f"NAD+CA+{haulier}:172:ZZZ'",
        "CNT+16:1'",
    ]
    return _interchange(
        "SIPGDEMO", "TOLDEMO", interchange, [_message("EIR1", "CODECO:D:95B:UN:ITG14", body)], at
    )
