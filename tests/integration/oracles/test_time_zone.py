"""A runner's ``timeZone``: message times that carry no offset (EDIFACT DTM format 203) are read in the
configured zone, through the adapter registry ``portledger oracle run`` builds from its configuration,
and go on chain as that instant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cli.oracle import RunnerConfig, adapter_registry
from oracles.mapping import Agency, Directory, GateCall, ReportDraft, map_facts
from tests.integration.oracles.messages import codeco_gate_out, cusres

CARRIER, HAULIER = 4, 8
LOCAL = datetime(2026, 12, 2, 14, 50)
"""14:50 in Shanghai, written without an offset (``DTM+…:202612021450:203``)."""
INSTANT = int(datetime(2026, 12, 2, 6, 50, tzinfo=UTC).timestamp())
DIRECTORY = Directory(schema_ids={}, carriers={"TOLU": CARRIER}, parties={"DEMOHAUL": HAULIER}, agency_org=6)


def config_with(tmp_path: Path, **fields: str) -> RunnerConfig:
    path = tmp_path / "runner.json"
    path.write_text(json.dumps({"deployment": "31337.json", "organisation": "terminal", **fields}))
    return RunnerConfig.load(path)


def gate_out() -> bytes:
    raw = codeco_gate_out(
        "EIRTZ001", container="MSKU1234565", bill_reference="TOLU2026TZ0001", haulier="DEMOHAUL", at=LOCAL
    )
    assert b"DTM+7:202612021450:203'" in raw
    return raw


def test_codeco_time_without_offset_goes_on_chain_in_the_configured_zone(tmp_path: Path) -> None:
    registry = adapter_registry(config_with(tmp_path, timeZone="Asia/Shanghai"))
    (call,) = map_facts(registry.parse(gate_out()).facts, DIRECTORY, Agency.TERMINAL)
    assert isinstance(call, GateCall)
    assert call.eir.event_time == INSTANT
    assert call.haulier == HAULIER


def test_cusres_time_without_offset_goes_on_chain_in_the_configured_zone(tmp_path: Path) -> None:
    registry = adapter_registry(config_with(tmp_path, timeZone="Asia/Shanghai"))
    raw = cusres(
        "CRTZ0001",
        declaration="223320260000TZ001",
        containers=("MSKU1234565",),
        bill_reference="TOLU2026TZ0001",
        decided_at=LOCAL,
    )
    assert b"DTM+9:202612021450:203'" in raw
    drafts = map_facts(registry.parse(raw).facts, DIRECTORY, Agency.CUSTOMS)
    assert len(drafts) == 2  # the bill and its container
    # Every report carries the release instant in the configured zone (releasedAt), not 14:50 UTC.
    at_utc = int(LOCAL.replace(tzinfo=UTC).timestamp())
    for draft in drafts:
        assert isinstance(draft, ReportDraft)
        assert INSTANT.to_bytes(32, "big") in draft.data
        assert at_utc.to_bytes(32, "big") not in draft.data


def test_a_configuration_without_a_zone_reads_such_times_as_utc(tmp_path: Path) -> None:
    (call,) = map_facts(
        adapter_registry(config_with(tmp_path)).parse(gate_out()).facts, DIRECTORY, Agency.TERMINAL
    )
    assert isinstance(call, GateCall)
    assert call.eir.event_time == int(LOCAL.replace(tzinfo=UTC).timestamp())
