"""Reading an EDIFACT interchange: bytes → checked envelope → messages of positioned segments.

``pydifact`` is only the tokenizer here. This module owns what it does not do:
- decoding the bytes per the UNB syntax identifier (UNOA/UNOB/UNOC/UNOW/UNOY) and refusing bytes
  that do not fit it (pydifact would read everything as ISO-8859-1);
- the envelope: UNB/UNZ, optional UNG/UNE functional groups (checked, then dropped: pydifact's
  message splitting does not understand them), UNH/UNT, with their counts and references;
- a uniform view of elements (``get(seg, pos, comp)``), since pydifact returns a simple element
  as ``str``, a composite as ``list[str]`` and drops trailing empty elements.
It knows nothing about message types; the grammars and adapters do.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydifact.exceptions import EDISyntaxError, MissingImplementationWarning
from pydifact.parser import Parser

from ledger.domain.values import ascii_digits
from oracles.base import MessageRejected, RejectionCode, WarningLog

Element = str | list[str]

# ISO 9735 level A: upper-case letters, digits, space and . , - ( ) / = ' + : ? ! " % & * ; < >
_LEVEL_A = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>")

# Syntax identifier → Python codec. UNOW and UNOY are both read as UTF-8 (ISO 10646 octets).
SYNTAX_CODECS: dict[str, str] = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "iso-8859-1",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment with its 1-based position in the interchange (UNB = 1; UNA is not counted)."""

    tag: str
    elements: tuple[Element, ...]
    position: int

    def get(self, pos: int, comp: int = 0) -> str | None:
        return get(self, pos, comp)


def get(seg: Segment, pos: int, comp: int = 0) -> str | None:
    """Component ``comp`` of element ``pos`` (both 0-based), or ``None`` when absent or empty.

    A simple element counts as a composite with one component, so ``get(eqd, 2, 0)`` reads
    ``22G1`` from both ``EQD+CN+X+22G1:102:5`` and ``EQD+CN+X+22G1``.
    """
    if pos >= len(seg.elements):
        return None
    element = seg.elements[pos]
    if isinstance(element, str):
        value = element if comp == 0 else None
    else:
        value = element[comp] if comp < len(element) else None
    return value if value else None


@dataclass(frozen=True, slots=True)
class Message:
    """One UNH…UNT message, envelope included in ``segments``."""

    reference: str  # UNH 0062
    message_type: str  # S009 0065, e.g. CODECO
    version: str  # 0052, e.g. D
    release: str  # 0054, e.g. 95B
    agency: str  # 0051, e.g. UN
    association_code: str | None  # 0057, e.g. SMDG16, ITG14
    segments: tuple[Segment, ...]

    @property
    def body(self) -> tuple[Segment, ...]:
        """The segments between UNH and UNT."""
        return self.segments[1:-1]

    @property
    def header(self) -> Segment:
        return self.segments[0]


@dataclass(frozen=True, slots=True)
class Interchange:
    syntax_identifier: str
    syntax_version: str
    sender: str
    sender_qualifier: str | None
    recipient: str
    recipient_qualifier: str | None
    prepared_at: datetime | None
    control_reference: str
    messages: tuple[Message, ...]


def _reject(segment: str | None, position: int | None, reason: str, code: RejectionCode) -> MessageRejected:
    return MessageRejected(segment, position, reason, code)


@dataclass(frozen=True, slots=True)
class _Separators:
    component: str
    element: str
    release: str
    terminator: str
    una_length: int  # bytes taken by the UNA service string advice (0 without one)


def _separators(raw: bytes) -> _Separators:
    if raw.startswith(b"UNA"):
        if len(raw) < 9:
            raise _reject(
                "UNA", None, "UNA service string advice is shorter than 6 characters", RejectionCode.TRUNCATED
            )
        una = raw[3:9].decode("latin-1")
        used = [una[0], una[1], una[5]] + ([una[3]] if una[3] != " " else [])
        if len(set(used)) != len(used):
            raise _reject(
                "UNA",
                None,
                f"UNA declares the same character for two separators: {una!r}",
                RejectionCode.ENVELOPE_ERROR,
            )
        return _Separators(una[0], una[1], una[3], una[5], 9)
    return _Separators(":", "+", "?", "'", 0)


def sniff_message_types(raw: bytes) -> list[str]:
    """The message types named in the UNH segments of ``raw`` (cheap; no checks). Empty when
    ``raw`` does not look like an EDIFACT interchange."""
    head = raw.lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not (head.startswith(b"UNA") or head.startswith(b"UNB")):
        return []
    try:
        seps = _separators(head)
    except MessageRejected:
        return []
    text = head.decode("latin-1")
    el, comp = re.escape(seps.element), re.escape(seps.component)
    pattern = re.compile(rf"UNH{el}[^{el}]*{el}([A-Z0-9]{{6}}){comp}")
    return pattern.findall(text)


def _segment_at_offset(text: str, offset: int, seps: _Separators) -> tuple[str | None, int]:
    """The tag and position of the segment holding character ``offset`` (UNB = 1)."""
    start = seps.una_length
    before = text[start:offset]
    position = 1 + _count_terminators(before, seps)
    last = _split_on_terminator(before, seps)[-1].strip()
    return (last[:3] or None), position


def _count_terminators(text: str, seps: _Separators) -> int:
    count, i = 0, 0
    while i < len(text):
        ch = text[i]
        if ch == seps.release:
            i += 2
            continue
        if ch == seps.terminator:
            count += 1
        i += 1
    return count


def _split_on_terminator(text: str, seps: _Separators) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == seps.release and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == seps.terminator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _syntax_identifier(raw: bytes, seps: _Separators) -> tuple[str, str]:
    rest = raw[seps.una_length :].lstrip(b" \t\r\n")
    if not rest.startswith(b"UNB"):
        tag = rest[:3].decode("latin-1", "replace") or None
        raise _reject(
            tag,
            1,
            "the interchange must start with UNB (after an optional UNA)",
            RejectionCode.ENVELOPE_ERROR,
        )
    header = rest[4:40].decode("latin-1")
    first = header.split(seps.element, 1)[0]
    parts = first.split(seps.component)
    ident = parts[0]
    version = parts[1] if len(parts) > 1 else ""
    if not ident:
        raise _reject("UNB", 1, "UNB has no syntax identifier (S001 0001)", RejectionCode.MISSING_ELEMENT)
    return ident, version


def decode(raw: bytes, log: WarningLog) -> tuple[str, str, str]:
    """Decode ``raw`` per its UNB syntax identifier; return (text, identifier, version).

    Raises ``MessageRejected`` for an identifier not read here, or bytes that do not fit it: non-ASCII
    bytes under UNOA/UNOB, invalid UTF-8 under UNOW/UNOY, and UTF-8-encoded text or C1 control bytes
    under UNOC (ISO 8859-1), which is what a sender that mislabels UTF-8 produces.
    """
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    raw_wo_bom = raw[3:] if has_bom else raw
    seps = _separators(raw_wo_bom.lstrip())
    ident, version = _syntax_identifier(raw_wo_bom.lstrip(), seps)
    codec = SYNTAX_CODECS.get(ident)
    if codec is None:
        raise _reject(
            "UNB",
            1,
            f"syntax identifier {ident!r} is not supported (expected one of {', '.join(SYNTAX_CODECS)})",
            RejectionCode.UNSUPPORTED_CHARSET,
        )
    if has_bom and codec != "utf-8":
        raise _reject(
            "UNB",
            1,
            f"a UTF-8 byte order mark precedes a {ident} interchange",
            RejectionCode.CHARSET_MISMATCH,
        )
    body = raw_wo_bom.lstrip()
    latin = body.decode("latin-1")

    def mismatch(offset: int, reason: str) -> MessageRejected:
        tag, position = _segment_at_offset(latin, offset, seps)
        return _reject(tag, position, reason, RejectionCode.CHARSET_MISMATCH)

    if codec == "ascii":
        for offset, byte in enumerate(body):
            if byte > 0x7F:
                raise mismatch(
                    offset, f"byte 0x{byte:02X} is not allowed under {ident} (7-bit character set)"
                )
        text = latin
        if ident == "UNOA":
            separators = {seps.component, seps.element, seps.release, seps.terminator, "\r", "\n"}
            for offset, ch in enumerate(text):
                if ch not in _LEVEL_A and ch not in separators:
                    tag, position = _segment_at_offset(latin, offset, seps)
                    log.add(
                        tag,
                        position,
                        f"character {ch!r} is outside the UNOA (level A) repertoire; read as ASCII",
                        RejectionCode.NONSTANDARD_USAGE,
                    )
                    break
    elif codec == "iso-8859-1":
        if any(byte > 0x7F for byte in body):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                offset = next(i for i, byte in enumerate(body) if byte > 0x7F)
                raise mismatch(offset, "the bytes are UTF-8 encoded but UNB declares UNOC (ISO 8859-1)")
        for offset, byte in enumerate(body):
            if 0x80 <= byte <= 0x9F:
                raise mismatch(offset, f"byte 0x{byte:02X} is a C1 control code, not ISO 8859-1 text (UNOC)")
        text = latin
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise mismatch(exc.start, f"invalid UTF-8 byte 0x{body[exc.start]:02X} under {ident}") from None
    return text, ident, version


def _tokenize(text: str, seps: _Separators) -> list[Segment]:
    stripped = text.rstrip(" \t\r\n")
    parts = _split_on_terminator(stripped, seps)
    if parts[-1].strip():
        tag, position = _segment_at_offset(text, len(stripped), seps)
        raise _reject(
            tag,
            position,
            "the interchange is truncated: the last segment has no segment terminator",
            RejectionCode.TRUNCATED,
        )
    segments: list[Segment] = []
    with warnings.catch_warnings():
        # pydifact warns for every service segment that it has no directory file to validate against,
        # and for empty segments; both are noise here (structure is checked below, not by pydifact).
        warnings.simplefilter("ignore", MissingImplementationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            for raw_segment in Parser().parse(text):
                if raw_segment.tag == "UNA":
                    continue
                elements = tuple(e if isinstance(e, str) else list(e) for e in raw_segment.elements)
                segments.append(Segment(raw_segment.tag, elements, len(segments) + 1))
        except EDISyntaxError as exc:
            raise _reject(None, len(segments) + 1, str(exc), RejectionCode.SYNTAX_ERROR) from None
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            # pydifact raises built-in errors on some malformed input (a bad tag, an empty UNB element).
            reason = f"the tokenizer refused the segment: {exc}"
            raise _reject(None, len(segments) + 1, reason, RejectionCode.SYNTAX_ERROR) from None
    return segments


def _count(seg: Segment, pos: int, what: str) -> int:
    value = seg.get(pos)
    if value is None:
        raise _reject(seg.tag, seg.position, f"{what} is missing", RejectionCode.MISSING_ELEMENT)
    if not ascii_digits(value):
        raise _reject(seg.tag, seg.position, f"{what} {value!r} is not a number", RejectionCode.INVALID_VALUE)
    return int(value)


def _check_trailer(
    trailer: Segment,
    count_what: str,
    actual: int,
    count_mismatch: Callable[[int, int], str],
    opener: str,
    reference: str | None,
) -> None:
    """A trailer (UNT, UNE, UNZ) must count what it closes (``count_mismatch`` words the refusal from the
    declared and the actual count) and repeat the ``reference`` of its opening segment (``opener``)."""
    declared = _count(trailer, 0, count_what)
    if declared != actual:
        raise _reject(
            trailer.tag,
            trailer.position,
            count_mismatch(declared, actual),
            RejectionCode.CONTROL_COUNT_MISMATCH,
        )
    if trailer.get(1) != reference:
        raise _reject(
            trailer.tag,
            trailer.position,
            f"{trailer.tag} reference {trailer.get(1)!r} does not match {opener} reference {reference!r}",
            RejectionCode.CONTROL_REFERENCE_MISMATCH,
        )


def _prepared_at(unb: Segment) -> datetime | None:
    day, time = unb.get(3, 0), unb.get(3, 1)
    if day is None or time is None:
        return None
    try:
        if not ascii_digits(day + time):
            raise ValueError(day)
        if len(day) == 6 and len(time) == 4:
            return datetime.strptime(day + time, "%y%m%d%H%M")
        if len(day) == 8 and len(time) == 4:
            return datetime.strptime(day + time, "%Y%m%d%H%M")
        raise ValueError(day)
    except ValueError:
        raise _reject(
            "UNB",
            unb.position,
            f"date/time of preparation {day}:{time} is not a valid date",
            RejectionCode.INVALID_VALUE,
        ) from None


def read_interchange(raw: bytes, log: WarningLog) -> Interchange:
    """Decode, tokenize and check the envelope of one interchange. Raises ``MessageRejected``."""
    text, ident, version = decode(raw, log)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.lstrip(" \t\r\n")
    seps = _separators(text.encode("latin-1", "replace")[:9])
    segments = _tokenize(text, seps)
    if not segments or segments[0].tag != "UNB":
        raise _reject(None, 1, "the interchange must start with UNB", RejectionCode.ENVELOPE_ERROR)
    unb = segments[0]
    control_ref = unb.get(4)
    sender = unb.get(1)
    recipient = unb.get(2)
    if control_ref is None:
        raise _reject(
            "UNB", 1, "interchange control reference (0020) is missing", RejectionCode.MISSING_ELEMENT
        )
    if sender is None or recipient is None:
        raise _reject(
            "UNB", 1, "interchange sender or recipient (S002/S003) is missing", RejectionCode.MISSING_ELEMENT
        )
    if segments[-1].tag != "UNZ":
        last = segments[-1]
        raise _reject(
            "UNZ",
            last.position + 1,
            f"the interchange ends with {last.tag}, not UNZ: truncated or incomplete",
            RejectionCode.TRUNCATED,
        )

    messages: list[Message] = []
    group_count = 0
    loose_messages = 0
    open_group: Segment | None = None
    group_messages = 0
    open_message: list[Segment] | None = None

    for seg in segments[1:-1]:
        if seg.tag == "UNB" or seg.tag == "UNZ":
            raise _reject(
                seg.tag, seg.position, f"{seg.tag} inside the interchange", RejectionCode.ENVELOPE_ERROR
            )
        if seg.tag == "UNG":
            if open_message is not None or open_group is not None:
                raise _reject(
                    "UNG", seg.position, "UNG inside an open message or group", RejectionCode.ENVELOPE_ERROR
                )
            open_group, group_messages = seg, 0
            group_count += 1
        elif seg.tag == "UNE":
            if open_group is None or open_message is not None:
                raise _reject(
                    "UNE",
                    seg.position,
                    "UNE without an open UNG, or inside a message",
                    RejectionCode.ENVELOPE_ERROR,
                )
            _check_trailer(
                seg,
                "UNE number of messages",
                group_messages,
                lambda declared, held: f"UNE declares {declared} messages but the group holds {held}",
                "UNG",
                open_group.get(4),
            )
            open_group = None
        elif seg.tag == "UNH":
            if open_message is not None:
                raise _reject(
                    "UNH", seg.position, "UNH before the previous message's UNT", RejectionCode.ENVELOPE_ERROR
                )
            open_message = [seg]
        elif seg.tag == "UNT":
            if open_message is None:
                raise _reject("UNT", seg.position, "UNT without a UNH", RejectionCode.ENVELOPE_ERROR)
            open_message.append(seg)
            messages.append(_close_message(open_message))
            open_message = None
            if open_group is not None:
                group_messages += 1
            else:
                loose_messages += 1
        elif open_message is None:
            raise _reject(
                seg.tag,
                seg.position,
                f"{seg.tag} outside a message (no UNH before it)",
                RejectionCode.ENVELOPE_ERROR,
            )
        else:
            open_message.append(seg)

    unz = segments[-1]
    if open_message is not None:
        raise _reject(
            "UNT",
            unz.position,
            f"message {open_message[0].get(0)!r} is not closed by UNT before UNZ",
            RejectionCode.ENVELOPE_ERROR,
        )
    if open_group is not None:
        raise _reject(
            "UNE", unz.position, "functional group not closed by UNE before UNZ", RejectionCode.ENVELOPE_ERROR
        )
    if group_count and loose_messages:
        raise _reject(
            "UNG", None, "messages both inside and outside functional groups", RejectionCode.ENVELOPE_ERROR
        )
    if not messages:
        raise _reject("UNH", None, "the interchange holds no message", RejectionCode.ENVELOPE_ERROR)
    actual = group_count if group_count else len(messages)
    what = "functional groups" if group_count else "messages"
    _check_trailer(
        unz,
        "UNZ interchange control count",
        actual,
        lambda declared, held: f"UNZ declares {declared} {what} but the interchange holds {held}",
        "UNB control",
        control_ref,
    )
    return Interchange(
        syntax_identifier=ident,
        syntax_version=version,
        sender=sender,
        sender_qualifier=unb.get(1, 1),
        recipient=recipient,
        recipient_qualifier=unb.get(2, 1),
        prepared_at=_prepared_at(unb),
        control_reference=control_ref,
        messages=tuple(messages),
    )


def _close_message(segments: list[Segment]) -> Message:
    unh, unt = segments[0], segments[-1]
    reference = unh.get(0)
    if reference is None:
        raise _reject(
            "UNH", unh.position, "message reference number (0062) is missing", RejectionCode.MISSING_ELEMENT
        )
    message_type = unh.get(1, 0)
    if message_type is None:
        raise _reject(
            "UNH", unh.position, "message type (S009 0065) is missing", RejectionCode.MISSING_ELEMENT
        )
    _check_trailer(
        unt,
        "UNT number of segments",
        len(segments),
        lambda declared, held: (
            f"UNT declares {declared} segments but message {reference!r} has {held} (UNH to UNT)"
        ),
        "UNH",
        reference,
    )
    return Message(
        reference=reference,
        message_type=message_type,
        version=unh.get(1, 1) or "",
        release=unh.get(1, 2) or "",
        agency=unh.get(1, 3) or "",
        association_code=unh.get(1, 4),
        segments=tuple(segments),
    )
