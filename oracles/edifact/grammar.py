"""Segment tables of the messages the oracles read, and matching a message body against one.

A table is a sequence of segment entries and segment groups (a group starts with its trigger
segment), each with a status (mandatory or conditional) and a maximum repeat, as in the UNTDID
message structure pages. Matching is the usual greedy EDIFACT reading: a segment or group repeats
while it comes next, up to its maximum. The result is a tree of groups the adapters read by name.
Only the tables for the messages we parse live here (CODECO and COARRI D.95B); CUSRES is read as a
flat body because no genuine sample was available to check a group table against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oracles.base import MessageRejected, RejectionCode
from oracles.edifact.interchange import Segment


@dataclass(frozen=True, slots=True)
class S:
    """A segment entry: tag, mandatory?, maximum repeat."""

    tag: str
    mandatory: bool = False
    max: int = 1


@dataclass(frozen=True, slots=True)
class G:
    """A segment group: name (SG6), mandatory?, maximum repeat, entries (the first is the trigger)."""

    name: str
    mandatory: bool
    max: int
    entries: tuple[S | G, ...]

    @property
    def trigger(self) -> str:
        first = self.entries[0]
        return first.tag if isinstance(first, S) else first.trigger


@dataclass
class Node:
    """One occurrence of a group (or the message body): its segments and nested groups in order."""

    name: str
    segments: list[Segment] = field(default_factory=list)
    groups: list[Node] = field(default_factory=list)

    @property
    def trigger(self) -> Segment:
        return self.segments[0]

    def all(self, tag: str) -> list[Segment]:
        """This node's own segments with ``tag`` (not those of nested groups)."""
        return [s for s in self.segments if s.tag == tag]

    def first(self, tag: str) -> Segment | None:
        return next((s for s in self.segments if s.tag == tag), None)

    def children(self, name: str) -> list[Node]:
        return [g for g in self.groups if g.name == name]


def _match_entries(
    entries: tuple[S | G, ...], body: tuple[Segment, ...], i: int, node: Node, where: str
) -> int:
    for entry in entries:
        count = 0
        if isinstance(entry, S):
            while i < len(body) and body[i].tag == entry.tag and count < entry.max:
                count += 1
                node.segments.append(body[i])
                i += 1
            if count == 0 and entry.mandatory:
                raise _missing(entry.tag, f"mandatory segment {entry.tag}", body, i, where)
        else:
            while i < len(body) and body[i].tag == entry.trigger and count < entry.max:
                count += 1
                child = Node(entry.name)
                i = _match_entries(entry.entries, body, i, child, f"segment group {entry.name}")
                node.groups.append(child)
            if count == 0 and entry.mandatory:
                raise _missing(
                    entry.trigger, f"mandatory segment group {entry.name} ({entry.trigger})", body, i, where
                )
    return i


def _missing(tag: str, what: str, body: tuple[Segment, ...], i: int, where: str) -> MessageRejected:
    """A mandatory entry did not come: name the segment standing in its place, if any."""
    if i < len(body):
        seg = body[i]
        return MessageRejected(
            seg.tag,
            seg.position,
            f"segment {seg.tag} is out of place: {what} expected in {where}",
            RejectionCode.STRUCTURE_ERROR,
        )
    return MessageRejected(tag, None, f"{what} missing in {where}", RejectionCode.STRUCTURE_ERROR)


def match(table: tuple[S | G, ...], body: tuple[Segment, ...], message_label: str) -> Node:
    """Match the body (UNH and UNT excluded) against ``table``; raise ``MessageRejected`` naming the
    first segment that is out of place or the mandatory segment that is missing."""
    root = Node("body")
    i = _match_entries(table, body, 0, root, message_label)
    if i < len(body):
        seg = body[i]
        raise MessageRejected(
            seg.tag,
            seg.position,
            f"segment {seg.tag} is out of place or repeats too often for the {message_label} segment table",
            RejectionCode.STRUCTURE_ERROR,
        )
    return root


# The head CODECO and COARRI D.95B share: document, free text, references, the vessel call, parties.
_CONTAINER_REPORT_HEAD: tuple[S | G, ...] = (
    S("BGM", True),
    S("FTX", max=9),
    G("SG1", False, 9, (S("RFF", True), S("DTM", max=9))),
    G("SG2", False, 1, (S("TDT", True), S("RFF", max=9), S("LOC", max=9), S("DTM", max=9))),
    G("SG3", False, 9, (S("NAD", True), S("CTA", max=9))),
)

# CODECO D.95B (UNTDID segment table; the SMDG/ITG guides restrict it further, never extend it).
CODECO_D95B: tuple[S | G, ...] = (
    *_CONTAINER_REPORT_HEAD,
    G(
        "SG4",
        False,
        999,
        (
            S("GID", True),
            S("HAN", max=9),
            S("FTX", max=9),
            G("SG5", False, 99, (S("SGP", True), S("MEA", max=9))),
        ),
    ),
    G(
        "SG6",
        False,
        9999,
        (
            S("EQD", True),
            S("RFF", max=9),
            S("TMD", max=9),
            S("DTM", max=9),
            S("LOC", max=9),
            S("MEA", max=9),
            S("DIM", max=9),
            S("SEL", max=9),
            S("FTX", max=9),
            S("EQA", max=9),
            G("SG7", False, 99, (S("DAM", True), S("COD"))),
            G("SG8", False, 1, (S("TDT", True), S("LOC", max=9), S("DTM", max=9))),
            G("SG9", False, 9, (S("NAD", True), S("DTM", max=9))),
        ),
    ),
    S("CNT", True),
)

# COARRI D.95B.
COARRI_D95B: tuple[S | G, ...] = (
    *_CONTAINER_REPORT_HEAD,
    G(
        "SG4",
        False,
        9999,
        (
            S("EQD", True),
            S("RFF", max=9),
            S("TMD", max=9),
            S("DTM", max=9),
            S("LOC", max=9),
            S("MEA", max=9),
            S("DIM", max=9),
            S("TMP", max=9),
            S("RNG", max=9),
            S("SEL", max=9),
            S("FTX", max=9),
            G("SG5", False, 99, (S("DGS", True), S("FTX", max=9))),
            S("EQA", max=9),
            G("SG6", False, 99, (S("DAM", True), S("COD"))),
            G("SG7", False, 1, (S("TDT", True), S("RFF", max=9), S("LOC", max=9), S("DTM", max=9))),
            G("SG8", False, 9, (S("NAD", True), S("DTM", max=9))),
        ),
    ),
    S("CNT"),
)

# CUSRES D.96B: the segments we read and the others the directory allows at message level; order
# is not checked (see the module docstring).
CUSRES_D96B_SEGMENTS = frozenset(
    {"BGM", "DTM", "FTX", "RFF", "LOC", "GIS", "TDT", "EQD", "NAD", "CTA", "COM", "MOA", "TAX", "ERP", "ERC",
     "DOC", "CST", "PAC", "PCI", "SEL", "MEA", "CNT", "QTY", "UNS", "CUX", "GEI", "SEQ", "PAT", "GIR", "AUT"}
)  # fmt: skip
