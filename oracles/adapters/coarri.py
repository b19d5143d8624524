"""COARRI (container discharge/loading report, D.95B, ITG and SMDG guides) → facts.

BGM 44 is a discharge report, 46 a loading report. Each message gives one ``VesselOperationsReport``
(the vessel call at the terminal: TDT+20 and its LOC/DTM) followed by one ``ContainerHandlingEvent``
per equipment group (EQD), with the move time from DTM+203 (ITG/SMDG usage) and the stowage cell
from LOC+147. CNT+16, when sent, must equal the number of equipment groups.
"""

from __future__ import annotations

from oracles.base import RejectionCode
from oracles.edifact import fields
from oracles.edifact.adapter import EdifactAdapter, edifact_source_id
from oracles.edifact.fields import ReadContext, reject
from oracles.edifact.grammar import COARRI_D95B, match
from oracles.edifact.interchange import Interchange, Message
from oracles.facts import ContainerHandlingEvent, Fact, HandlingMovement, TerminalRef, VesselOperationsReport

_MOVEMENTS = {"44": HandlingMovement.DISCHARGE, "46": HandlingMovement.LOAD}
_MOVE_TIME = "203"


class CoarriAdapter(EdifactAdapter):
    message_type = "COARRI"
    directories = frozenset({("D", "95B")})

    def read_message(self, interchange: Interchange, message: Message, ctx: ReadContext) -> list[Fact]:
        tree = match(COARRI_D95B, message.body, f"COARRI {message.version}.{message.release}")
        bgm = tree.trigger
        movement = fields.movement(bgm, _MOVEMENTS, "a vessel report (44 discharge, 46 loading)")
        function = fields.message_function(bgm)
        calls = tree.children("SG2")
        if not calls or calls[0].trigger.get(0) != "20":
            raise reject(
                bgm, "the message names no vessel (TDT+20 main carriage)", RejectionCode.MISSING_ELEMENT
            )
        call = calls[0]
        vessel = fields.vessel(call.trigger, ctx)
        call_locs = call.all("LOC")
        terminal_loc = next((loc for loc in call_locs if loc.get(2, 0)), None) or fields.location(
            call_locs, "11" if movement is HandlingMovement.DISCHARGE else "9"
        )
        terminal: TerminalRef | None = fields.terminal(terminal_loc)
        call_times = fields.dtm_by_qualifier(call.all("DTM"), ctx)
        equipment = fields.equipment_groups(tree, "SG4")

        events: list[ContainerHandlingEvent] = []
        for group in equipment:
            eqd = group.trigger
            box = fields.container(eqd, ctx, full_empty_required=False)
            times = fields.dtm_by_qualifier(group.all("DTM"), ctx)
            locs = group.all("LOC")
            stowage = fields.location(locs, "147")
            pol = fields.location(locs, "9")
            pod = fields.location(locs, "11")
            events.append(
                ContainerHandlingEvent(
                    source_id=edifact_source_id(interchange, message, box.container_number),
                    movement=movement,
                    message_function=function,
                    container=box,
                    equipment_status=eqd.get(4),
                    event_time=times.get(_MOVE_TIME),
                    vessel=vessel,
                    terminal=terminal,
                    stowage_location=stowage.get(1, 0) if stowage else None,
                    port_of_loading=fields.port(pol) if pol else None,
                    port_of_discharge=fields.port(pod) if pod else None,
                    references=fields.references(group.all("RFF")),
                    seals=fields.seals(group.all("SEL")),
                    measurements=fields.measurements(group.all("MEA")),
                )
            )
        moves = [e.event_time for e in events if e.event_time is not None]
        report = VesselOperationsReport(
            source_id=edifact_source_id(interchange, message),
            movement=movement,
            message_function=function,
            document_number=bgm.get(1),
            vessel=vessel,
            terminal=terminal,
            container_count=len(events),
            estimated_arrival=call_times.get("132"),
            estimated_departure=call_times.get("133"),
            first_move=min(moves, default=None),
            last_move=max(moves, default=None),
        )
        return [report, *events]
