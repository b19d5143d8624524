"""The oracle runner: one organisation's queued messages, each turned into chain writes exactly once.

A runner is configured for one organisation and one agency. It takes only that organisation's queued
messages for that agency from the node's database (``ledger.services.oracle_messages``: posted through
``POST /v1/oracles/{agency}/messages`` by that organisation, which must hold the agency's role), so a
message another member sent can never make this runner sign or send anything. The folder inbox is that
organisation's own way in: every file dropped there is received as a message of the runner's
organisation, then processed like any other.

Folder inbox layout (``DIR``)::

    DIR/<message files>        waiting, received in file-name order (dot files and *.part are ignored)
    DIR/done/                  files whose message is done: every action done, skipped or found done
    DIR/dead-letter/           files no adapter can read, each with ``<name>.reason.json``
    DIR/rejected/              files the signers or the contract refused, with ``<name>.reason.json``
    DIR/.state/oracle.sqlite   the checkpoint: actions by key and attempt

A message's outcome is its row's ``status`` (``done``, ``rejected``, ``dead-lettered``) and ``reason``;
a file stays in the inbox while its message is queued and moves to the folder of its outcome once that
is committed. Messages are processed in the order they arrived.

Exactly once: a message is identified within its organisation by the SHA-256 of its bytes (receiving
the same bytes again stores nothing) and each of its actions by a key derived from the fact's stable
source id (``mapping``). The checkpoint records every finished action; the submitter (``submit``) asks
the chain before it writes and gives each write an idempotency key in the outbox, so a runner killed at
any point and restarted neither sends a write twice nor skips one: the restart finds the message still
queued, skips its finished actions and waits for a queued or sent operation instead of sending again.
A file whose message is already finished (the runner stopped before it could move it, or the same
bytes were dropped again) is just moved.

Retries: a transient failure (node unreachable, timeout) is retried with exponential backoff; a write the
contract refuses for a reason another party can lift (no customs release yet, the pick-up window not
open) leaves the message queued for the next pass, its reason saying why; an expired report is signed
again with a new deadline under a new attempt number.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.exc import OperationalError

from ledger.services.errors import TRANSIENT_ERRORS
from ledger.services.oracle_messages import FINAL_STATUSES, MessageStatus, OracleMessage, OracleMessages
from oracles.base import MessageRejected
from oracles.mapping import Action, Agency, Directory, GateCall, ReportDraft, Skipped, map_facts
from oracles.metrics import OracleMetrics
from oracles.quorum import Clock, Coordinator, NoQuorum, NoSignerSet
from oracles.registry import AdapterRegistry
from oracles.submit import AttemptFailed, Outcome, SubmissionRefused, Submitter

_log = logging.getLogger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    *TRANSIENT_ERRORS,
    requests.RequestException,
    OperationalError,  # the message database is unreachable or locked for longer than its timeout
)
NEW_ATTEMPT_ERRORS = frozenset({"AttestationReportExpired"})
FOLDERS = {
    MessageStatus.DONE: "done",
    MessageStatus.DEAD_LETTERED: "dead-letter",
    MessageStatus.REJECTED: "rejected",
}
"""The folder of the inbox a file moves to when its message ends with that status."""
PAGE = 100


class ActionStatus(StrEnum):
    SUBMITTED = "submitted"
    ALREADY_DONE = "already_done"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One action of a message as the checkpoint knows it."""

    key: str
    status: ActionStatus | None
    attempt: int
    tx_hash: str | None = None
    uid: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "idempotencyKey": f"oracle:{self.key}:{self.attempt}",
            "status": self.status.value if self.status else "pending",
            "txHash": self.tx_hash,
            "uid": self.uid,
        }


class CheckpointStore:
    """The runner's action checkpoint in a small SQLite file (WAL, synchronous=FULL: a commit survives a
    kill)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS action (
                    key TEXT PRIMARY KEY, message TEXT NOT NULL, status TEXT, attempt INTEGER NOT NULL,
                    tx_hash TEXT, uid TEXT, updated_at TEXT NOT NULL);
                """
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30.0)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            with db:
                yield db

    def action(self, key: str) -> ActionRecord:
        with self._connect() as db:
            row = db.execute(
                "SELECT status, attempt, tx_hash, uid FROM action WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return ActionRecord(key, None, 0)
        status = ActionStatus(row[0]) if row[0] else None
        return ActionRecord(key, status, int(row[1]), row[2], row[3])

    def set_action(
        self,
        key: str,
        message: str,
        status: ActionStatus | None,
        attempt: int,
        tx_hash: str | None = None,
        uid: str | None = None,
    ) -> ActionRecord:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO action VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, message, status.value if status else None, attempt, tx_hash, uid, _now()),
            )
        return ActionRecord(key, status, attempt, tx_hash, uid)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class PassReport:
    """What one pass did, by message name (the file name it came under, else its id)."""

    done: list[str] = field(default_factory=list)
    dead_letter: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return len(self.done) + len(self.dead_letter) + len(self.rejected) + len(self.waiting)

    def add(self, status: MessageStatus, names: Sequence[str]) -> None:
        {
            MessageStatus.DONE: self.done,
            MessageStatus.DEAD_LETTERED: self.dead_letter,
            MessageStatus.REJECTED: self.rejected,
            MessageStatus.QUEUED: self.waiting,
        }[status].extend(names)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 5.0

    def delays(self) -> Iterator[float]:
        delay = self.initial_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)


class _Waiting(Exception):
    """The message cannot finish now; it stays queued."""


class _Refused(Exception):
    """The message is refused for good (reason in the message)."""


class OracleRunner:
    """One organisation's runner for one agency: its queued messages and its folder inbox."""

    def __init__(
        self,
        *,
        agency: Agency,
        agency_org: int,
        inbox: Path,
        messages: OracleMessages,
        registry: AdapterRegistry,
        directory: Directory,
        coordinator_for: Callable[[str], Coordinator] | None,
        submitter: Submitter,
        clock: Clock,
        metrics: OracleMetrics | None = None,
        deadline_window: int = 600,
        retry: RetryPolicy | None = None,
        state_path: Path | None = None,
        settle_seconds: float = 0.0,
    ) -> None:
        self.agency = agency
        self.agency_org = agency_org
        self.inbox = inbox
        self.messages = messages
        self.registry = registry
        self.directory = directory
        self.coordinator_for = coordinator_for
        self.submitter = submitter
        self.clock = clock
        self.metrics = metrics or OracleMetrics(agency.value)
        self.deadline_window = deadline_window
        self.retry = retry or RetryPolicy()
        self.settle_seconds = settle_seconds
        for folder in FOLDERS.values():
            (inbox / folder).mkdir(parents=True, exist_ok=True)
        self.state = CheckpointStore(state_path or inbox / ".state" / "oracle.sqlite")

    # -- the loop ----------------------------------------------------------------------------------
    def pending_files(self) -> list[Path]:
        """Files waiting in the folder inbox; with ``settle_seconds``, files modified more recently than
        that are left for the next pass (a producer that writes in place instead of renaming may not be
        finished)."""
        now = time.time()
        out = []
        for p in self.inbox.iterdir():
            if not p.is_file() or p.name.startswith(".") or p.name.endswith((".part", ".tmp")):
                continue
            try:
                if self.settle_seconds and now - p.stat().st_mtime < self.settle_seconds:
                    continue
            except FileNotFoundError:
                continue
            out.append(p)
        return sorted(out)

    def run_once(self) -> PassReport:
        """Receive the files of the folder inbox, then process every queued message of this
        organisation, in the order they arrived."""
        report = PassReport()
        files = self._receive_files(report)
        self._update_lag()
        after = ""
        while page := self.messages.queued(self.agency_org, self.agency.value, after=after, limit=PAGE):
            for message in page:
                paths = files.get(message.id, [])
                status = self.process(message, paths)
                report.add(status, [p.name for p in paths] or [message.name])
            after = page[-1].id
        self._update_lag()
        return report

    def run(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        """Pass over the queue until ``stop`` is set, waiting ``poll_interval`` between idle passes."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except TRANSIENT as exc:
                _log.warning("pass interrupted, retrying: %s", exc)
                stop.wait(poll_interval)
                continue
            if report.seen == 0 or len(report.waiting) == report.seen:
                stop.wait(poll_interval)

    def _update_lag(self) -> None:
        oldest = self.messages.oldest_queued(self.agency_org, self.agency.value)
        if oldest is None:
            self.metrics.lag(0.0)
            return
        if oldest.tzinfo is None:  # SQLite hands timestamps back without their zone (written in UTC)
            oldest = oldest.replace(tzinfo=UTC)
        self.metrics.lag(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))

    def _receive_files(self, report: PassReport) -> dict[str, list[Path]]:
        """Each file of the folder inbox as a message of this runner's organisation. A file whose message
        is already finished is moved to its folder at once; the others wait for their message."""
        waiting: dict[str, list[Path]] = {}
        for path in self.pending_files():
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            received = self.messages.receive(self.agency_org, self.agency.value, raw, path.name)
            message = received.message
            status = MessageStatus(message.status)
            if message.agency != self.agency.value:
                detail = {
                    "code": "OTHER_AGENCY",
                    "reason": f"these bytes were received for the {message.agency} oracle as {message.id}",
                }
                self._file_outcome(path, MessageStatus.REJECTED, message, detail)
                report.add(MessageStatus.REJECTED, [path.name])
            elif status in FINAL_STATUSES:
                self._file_outcome(path, status, message, None)
                report.add(status, [path.name])
            else:
                waiting.setdefault(message.id, []).append(path)
        return waiting

    # -- one message -------------------------------------------------------------------------------
    def process(self, message: OracleMessage, files: Sequence[Path] = ()) -> MessageStatus:
        """One message to its final status (or left queued). A failure the runner did not foresee (a parser
        bug, a message no test imagined) dead-letters this message with its reason instead of stopping the
        runner, which would only meet the same message again after a restart; a transient outage of the
        chain or the node still interrupts the pass, to be retried."""
        records: list[ActionRecord] = []
        try:
            return self._process(message, files, records)
        except TRANSIENT:
            raise
        except Exception as exc:
            _log.exception("%s: unexpected failure, dead-lettered", message.name)
            detail = {
                "code": "INTERNAL_ERROR",
                "segment": None,
                "position": None,
                "reason": f"the runner failed on this message ({type(exc).__name__}); see the runner log",
            }
            return self._finish(message, files, MessageStatus.DEAD_LETTERED, detail, records)

    def _process(
        self, message: OracleMessage, files: Sequence[Path], records: list[ActionRecord]
    ) -> MessageStatus:
        raw = message.content
        try:
            facts = self.registry.parse(raw, message.filename).facts
        except MessageRejected as exc:
            detail = {
                "code": exc.code.value,
                "segment": exc.segment,
                "position": exc.position,
                "reason": exc.reason,
            }
            return self._finish(message, files, MessageStatus.DEAD_LETTERED, detail, records)
        try:
            actions = map_facts(facts, self.directory, self.agency)
        except ValueError as exc:  # e.g. a time without a zone and no zone configured
            detail = {"code": "UNMAPPABLE", "segment": None, "position": None, "reason": str(exc)}
            return self._finish(message, files, MessageStatus.DEAD_LETTERED, detail, records)
        try:
            for action in actions:
                records.append(self._perform(action, message))
        except _Waiting as exc:
            self.metrics.retry()
            _log.info("%s waits: %s", message.name, exc)
            self.messages.note(
                message.id, {"code": "WAITING", "reason": str(exc)}, [r.public() for r in records]
            )
            return MessageStatus.QUEUED
        except _Refused as exc:
            return self._finish(message, files, MessageStatus.REJECTED, {"reason": str(exc)}, records)
        return self._finish(message, files, MessageStatus.DONE, None, records)

    def _finish(
        self,
        message: OracleMessage,
        files: Sequence[Path],
        status: MessageStatus,
        detail: dict[str, Any] | None,
        records: Sequence[ActionRecord],
    ) -> MessageStatus:
        self.messages.finish(message.id, status, detail, [r.public() for r in records])
        if status is MessageStatus.DONE:
            self.metrics.processed()
        else:
            self.metrics.rejected(FOLDERS[status].replace("-", "_"))
        for path in files:
            self._file_outcome(path, status, message, detail)
        _log.info("%s (%s): %s", message.name, message.id, status.value)
        return status

    def _file_outcome(
        self, path: Path, status: MessageStatus, message: OracleMessage, detail: dict[str, Any] | None
    ) -> None:
        """Move a file of the folder inbox to the folder of its message's outcome, with the reason."""
        folder = self.inbox / FOLDERS[status]
        if detail is not None:
            reason = {
                "message": path.name,
                "id": message.id,
                "sha256": message.sha256,
                "status": FOLDERS[status],
                **detail,
            }
            target = folder / f"{path.name}.reason.json"
            target.write_text(json.dumps(reason, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        target = folder / path.name
        if target.exists():
            target = folder / f"{path.name}.{message.sha256[:12]}"
        # FileNotFoundError: moved by an earlier run that stopped before it could return.
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)

    # -- one action --------------------------------------------------------------------------------
    def _perform(self, action: Action, message: OracleMessage) -> ActionRecord:
        name, sha = message.name, message.sha256
        known = self.state.action(action.key)
        if known.status is not None:
            return known
        attempt = known.attempt
        if isinstance(action, Skipped):
            _log.info("%s: %s skipped: %s", name, action.fact_source_id, action.reason)
            return self.state.set_action(action.key, sha, ActionStatus.SKIPPED, attempt)
        delays = self.retry.delays()
        while True:
            try:
                if isinstance(action, ReportDraft):
                    outcome, tx_hash, uid = self._report(action, message.content, message.filename, attempt)
                    kind = action.schema_name
                else:
                    outcome, tx_hash, uid = self._gate(action, attempt)
                    kind = action.movement.name
                break
            except AttemptFailed as exc:
                _log.warning("%s: attempt %d of %s failed: %s", name, attempt, action.key, exc)
                attempt += 1
                self.state.set_action(action.key, sha, None, attempt)
            except SubmissionRefused as exc:
                if exc.revert.name in NEW_ATTEMPT_ERRORS:
                    attempt += 1
                    self.state.set_action(action.key, sha, None, attempt)
                elif exc.waiting:
                    raise _Waiting(f"{action.key}: {exc.revert}") from None
                else:
                    raise _Refused(f"{action.key}: the contract refused: {exc.revert}") from None
            except NoQuorum as exc:
                if exc.waiting:  # signers down, not refusing: the message waits for them
                    raise _Waiting(f"{action.key}: signers unreachable: {exc}") from None
                raise _Refused(f"{action.key}: no quorum: {exc}") from None
            except NoSignerSet as exc:
                raise _Refused(f"{action.key}: no quorum: {exc}") from None
            except TRANSIENT as exc:
                _log.warning("%s: transient failure of %s: %s", name, action.key, exc)
            delay = next(delays, None)
            if delay is None:
                raise _Waiting(f"{action.key}: gave up for now after {self.retry.attempts} tries")
            self.metrics.retry()
            time.sleep(delay)
        if outcome is Outcome.ALREADY_DONE:
            self.metrics.duplicate()
            return self.state.set_action(action.key, sha, ActionStatus.ALREADY_DONE, attempt, tx_hash, uid)
        self.metrics.submitted(kind)
        return self.state.set_action(action.key, sha, ActionStatus.SUBMITTED, attempt, tx_hash, uid)

    def _report(
        self, draft: ReportDraft, raw: bytes, filename: str | None, attempt: int
    ) -> tuple[Outcome, str | None, str | None]:
        if self.coordinator_for is None:
            raise _Refused(f"the {self.agency.value} oracle has no signers for {draft.schema_name}")
        done = self.submitter.report_done(self.agency_org, draft.schema, draft.source_id)
        if done is not None:
            return Outcome.ALREADY_DONE, None, "0x" + done.hex()
        report = draft.message(self.clock() + self.deadline_window)
        signed = self.coordinator_for(draft.schema_name).collect(raw, filename, report)
        result = self.submitter.submit_report(self.agency_org, signed, draft.key, attempt)
        return result.outcome, result.tx_hash, result.uid

    def _gate(self, call: GateCall, attempt: int) -> tuple[Outcome, str | None, str | None]:
        result = self.submitter.gate(call, call.key, attempt)
        return result.outcome, result.tx_hash, None
