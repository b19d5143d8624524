"""One bad message cannot stop a runner: it is dead-lettered with its reason and the next one is processed,
on the first pass and after a restart.

The poison is real bytes (a CUSRES whose segment count carries the Latin-1 byte 0xB2, "²", which
``str.isdigit`` accepts and ``int`` refuses). The unforeseen parser failure is a test double: an adapter
registry whose ``parse`` raises ``RuntimeError`` for one file, standing in for a parser bug that no test
has found yet; everything else (runner, signers, chain) is real.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from oracles.mapping import Agency
from tests.integration.oracles.conftest import OracleSetup
from tests.integration.oracles.messages import cusres

CONTAINER = "CSQU3054383"
BILL = "TOLU2026000888"


def _release(interchange: str) -> bytes:
    return cusres(
        interchange,
        declaration=f"2233202600000{interchange[-5:]}",
        containers=(CONTAINER,),
        bill_reference=BILL,
        decided_at=datetime(2026, 1, 15, 9, 30),
    )


def _poison() -> bytes:
    raw = _release("CR000901")
    count = raw.index(b"UNT+") + 4
    return raw[:count] + b"1\xb2" + raw[raw.index(b"+", count) :]


def test_a_poison_message_is_dead_lettered_and_the_runner_goes_on(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    oracle.issue_bill(BILL, (CONTAINER,))
    inbox = tmp_path / "customs"
    inbox.mkdir()
    (inbox / "a-poison.edi").write_bytes(_poison())
    (inbox / "b-release.edi").write_bytes(_release("CR000902"))

    report = oracle.runner(Agency.CUSTOMS, inbox).run_once()

    assert (report.dead_letter, report.done) == (["a-poison.edi"], ["b-release.edi"])
    reason = json.loads((inbox / "dead-letter" / "a-poison.edi.reason.json").read_text())
    assert (reason["code"], reason["segment"]) == ("INVALID_VALUE", "UNT")
    # A restarted runner does not meet the poison again, and a copy of it is dead-lettered at once.
    (inbox / "c-poison-again.edi").write_bytes(_poison())
    again = oracle.runner(Agency.CUSTOMS, inbox).run_once()
    assert (again.dead_letter, again.done) == (["c-poison-again.edi"], [])


def test_an_unforeseen_parser_failure_dead_letters_only_that_message(
    oracle: OracleSetup, tmp_path: Path
) -> None:
    oracle.issue_bill(BILL, (CONTAINER,))
    inbox = tmp_path / "customs"
    inbox.mkdir()
    (inbox / "a-trips-a-bug.edi").write_bytes(_release("CR000911"))
    (inbox / "b-release.edi").write_bytes(_release("CR000912"))
    runner = oracle.runner(Agency.CUSTOMS, inbox)
    real_parse = runner.registry.parse

    def parse(raw: bytes, filename: str | None = None) -> Any:
        if filename == "a-trips-a-bug.edi":
            raise RuntimeError("a parser bug")
        return real_parse(raw, filename)

    runner.registry.parse = parse  # type: ignore[method-assign]

    report = runner.run_once()

    assert (report.dead_letter, report.done) == (["a-trips-a-bug.edi"], ["b-release.edi"])
    reason = json.loads((inbox / "dead-letter" / "a-trips-a-bug.edi.reason.json").read_text())
    assert reason["code"] == "INTERNAL_ERROR" and "RuntimeError" in reason["reason"]
    assert "a parser bug" not in reason["reason"]  # internals stay in the runner log
    assert not (inbox / "a-trips-a-bug.edi").exists()
