"""CODECO (container gate-in/gate-out report, D.95B, SMDG and ITG guides) → ``GateEvent`` facts.

One fact per equipment group (EQD). BGM 34 is a gate-in, 36 a gate-out; anything else is refused.
The gate time is DTM+7 in the equipment group; the terminal is LOC+165; the truck is TDT+1 with the
plate as ``<plate>:146`` and the haulier NAD+CA, both inside the equipment group. A gate event is
EIR data for the terminal's call on the release right, not an attestation.
"""

from __future__ import annotations

from oracles.base import RejectionCode
from oracles.edifact import fields
from oracles.edifact.adapter import EdifactAdapter, edifact_source_id
from oracles.edifact.fields import ReadContext, reject
from oracles.edifact.grammar import CODECO_D95B, Node, match
from oracles.edifact.interchange import Interchange, Message, Segment
from oracles.facts import Fact, GateEvent, GateMovement, MessageFunction, VesselRef

_MOVEMENTS = {"34": GateMovement.GATE_IN, "36": GateMovement.GATE_OUT}
_GATE_TIME = "7"


class CodecoAdapter(EdifactAdapter):
    message_type = "CODECO"
    directories = frozenset({("D", "95B")})

    def read_message(self, interchange: Interchange, message: Message, ctx: ReadContext) -> list[Fact]:
        tree = match(CODECO_D95B, message.body, f"CODECO {message.version}.{message.release}")
        bgm = tree.trigger
        movement = fields.movement(bgm, _MOVEMENTS, "a gate report (34 gate-in, 36 gate-out)")
        function = fields.message_function(bgm)
        header_tdt = next((g.trigger for g in tree.children("SG2")), None)
        vessel = (
            fields.vessel(header_tdt, ctx) if header_tdt is not None and header_tdt.get(0) == "20" else None
        )
        equipment = fields.equipment_groups(tree, "SG6")
        facts: list[Fact] = []
        for group in equipment:
            facts.append(
                self._gate_event(interchange, message, ctx, group, movement, function, bgm.get(1), vessel)
            )
        return facts

    def _gate_event(
        self,
        interchange: Interchange,
        message: Message,
        ctx: ReadContext,
        group: Node,
        movement: GateMovement,
        function: MessageFunction,
        document_number: str | None,
        vessel: VesselRef | None,
    ) -> GateEvent:
        eqd = group.trigger
        box = fields.container(eqd, ctx, full_empty_required=True)
        times = fields.dtm_by_qualifier(group.all("DTM"), ctx)
        gate_time = times.get(_GATE_TIME)
        if gate_time is None:
            raise reject(eqd, "the equipment group has no gate time (DTM+7)", RejectionCode.MISSING_ELEMENT)
        locs = group.all("LOC")
        truck = next((g for g in group.children("SG8") if g.trigger.get(0) == "1"), None)
        if truck is not None:
            # DTM inside the transport group (Huelva sends DTM+ACT there) only needs to be readable.
            fields.dtm_by_qualifier(truck.all("DTM"), ctx)
        haulier = next((g.trigger.get(1, 0) for g in group.children("SG9") if g.trigger.get(0) == "CA"), None)
        damages = tuple(fields.damage(g.trigger, g.first("COD")) for g in group.children("SG7"))
        pol = fields.location(locs, "9")
        pod = fields.location(locs, "11")
        return GateEvent(
            source_id=edifact_source_id(interchange, message, box.container_number),
            movement=movement,
            message_function=function,
            document_number=document_number,
            container=box,
            equipment_status=eqd.get(4),
            equipment_supplier=eqd.get(3),
            event_time=gate_time,
            terminal=fields.terminal(fields.location(locs, "165")),
            references=fields.references(group.all("RFF")),
            seals=fields.seals(group.all("SEL")),
            damages=damages,
            truck_plate=_truck_plate(truck.trigger, ctx) if truck is not None else None,
            haulier=haulier,
            measurements=fields.measurements(group.all("MEA")),
            vessel=vessel,
            port_of_loading=fields.port(pol) if pol else None,
            port_of_discharge=fields.port(pod) if pod else None,
        )


def _truck_plate(tdt: Segment, ctx: ReadContext) -> str | None:
    """The plate in C222 (element 8 of TDT, code list 146). Some senders put the composite one
    element early (in C401); read it from there with a warning rather than lose the plate."""
    plate = tdt.get(7, 0)
    if plate is not None:
        return plate
    if tdt.get(6, 1) == "146" and tdt.get(6, 0) is not None:
        ctx.log.add(
            tdt.tag,
            tdt.position,
            "truck plate sent in TDT element 7 (C401) instead of element 8 (C222); read from there",
            RejectionCode.NONSTANDARD_USAGE,
        )
        return tdt.get(6, 0)
    return None
