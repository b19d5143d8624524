"""The oracle runner: reads an inbox folder, turns each message into chain writes exactly once.

Inbox layout (``DIR``)::

    DIR/<message files>        waiting, processed in file-name order (dot files and *.part are ignored)
    DIR/done/                  messages whose every action is done, skipped or found already done
    DIR/dead-letter/           messages no adapter can read, each with ``<name>.reason.json``
    DIR/rejected/              messages the signers or the contract refused, with ``<name>.reason.json``
    DIR/.state/oracle.sqlite   the checkpoint: finished messages by SHA-256, actions by key and attempt

Exactly once: a message is identified by the SHA-256 of its bytes and each of its actions by a key
derived from the fact's stable source id (``mapping``). The checkpoint records a finished message and
every finished action; the submitter (``submit``) asks the chain before it writes and gives each write
an idempotency key in the outbox, so a runner killed at any point and restarted neither sends a write
twice nor skips one. A message is moved out of the inbox only after its outcome is committed; a
restart that finds a finished message still in the inbox just moves it.

Retries: a transient failure (node unreachable, timeout) is retried with exponential backoff; a write the
contract refuses for a reason another party can lift (no customs release yet, the pick-up window not
open) leaves the message in the inbox for the next pass; an expired report is signed again with a new
deadline under a new attempt number.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import requests

from ledger.chain import RpcError
from ledger.domain.errors import ChainUnavailable
from oracles.base import MessageRejected
from oracles.mapping import Action, Agency, Directory, GateCall, ReportDraft, Skipped, map_facts
from oracles.metrics import OracleMetrics
from oracles.quorum import Clock, Coordinator, NoQuorum, NoSignerSet
from oracles.registry import AdapterRegistry
from oracles.submit import AttemptFailed, Outcome, SubmissionRefused, Submitter

_log = logging.getLogger(__name__)

TRANSIENT = (ChainUnavailable, RpcError, TimeoutError, requests.RequestException, ConnectionError)
NEW_ATTEMPT_ERRORS = frozenset({"AttestationReportExpired"})


class MessageStatus(StrEnum):
    DONE = "done"
    DEAD_LETTER = "dead-letter"
    REJECTED = "rejected"
    WAITING = "waiting"  # stays in the inbox


class ActionStatus(StrEnum):
    SUBMITTED = "submitted"
    ALREADY_DONE = "already_done"
    SKIPPED = "skipped"


FINAL_MESSAGE = {MessageStatus.DONE, MessageStatus.DEAD_LETTER, MessageStatus.REJECTED}


class CheckpointStore:
    """The runner's checkpoint in a small SQLite file (WAL, synchronous=FULL: a commit survives a kill)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS message (
                    sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL,
                    detail TEXT, finished_at TEXT NOT NULL);
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

    def message_status(self, sha256: str) -> MessageStatus | None:
        with self._connect() as db:
            row = db.execute("SELECT status FROM message WHERE sha256 = ?", (sha256,)).fetchone()
        return MessageStatus(row[0]) if row else None

    def finish_message(self, sha256: str, name: str, status: MessageStatus, detail: str | None) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO message VALUES (?, ?, ?, ?, ?)",
                (sha256, name, status.value, detail, _now()),
            )

    def action(self, key: str) -> tuple[ActionStatus | None, int]:
        with self._connect() as db:
            row = db.execute("SELECT status, attempt FROM action WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None, 0
        return (ActionStatus(row[0]) if row[0] else None), int(row[1])

    def set_action(
        self,
        key: str,
        message: str,
        status: ActionStatus | None,
        attempt: int,
        tx_hash: str | None = None,
        uid: str | None = None,
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO action VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, message, status.value if status else None, attempt, tx_hash, uid, _now()),
            )

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT status, count(*) FROM message GROUP BY status").fetchall()
        return {str(status): int(n) for status, n in rows}


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class PassReport:
    """What one pass over the inbox did."""

    done: list[str] = field(default_factory=list)
    dead_letter: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return len(self.done) + len(self.dead_letter) + len(self.rejected) + len(self.waiting)


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
    """The message cannot finish now; it stays in the inbox."""


class _Refused(Exception):
    """The message is refused for good (reason in the message)."""


class OracleRunner:
    """One agency's runner over one inbox."""

    def __init__(
        self,
        *,
        agency: Agency,
        agency_org: int,
        inbox: Path,
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
        self.registry = registry
        self.directory = directory
        self.coordinator_for = coordinator_for
        self.submitter = submitter
        self.clock = clock
        self.metrics = metrics or OracleMetrics(agency.value)
        self.deadline_window = deadline_window
        self.retry = retry or RetryPolicy()
        self.settle_seconds = settle_seconds
        for folder in ("done", "dead-letter", "rejected"):
            (inbox / folder).mkdir(parents=True, exist_ok=True)
        self.state = CheckpointStore(state_path or inbox / ".state" / "oracle.sqlite")

    # -- the loop ----------------------------------------------------------------------------------
    def pending_files(self) -> list[Path]:
        """Waiting messages; with ``settle_seconds``, files modified more recently than that are left for
        the next pass (a producer that writes in place instead of renaming may not be finished)."""
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
        """Process every message now in the inbox, in name order."""
        report = PassReport()
        files = self.pending_files()
        self._update_lag(files)
        for path in files:
            status = self.process(path)
            {
                MessageStatus.DONE: report.done,
                MessageStatus.DEAD_LETTER: report.dead_letter,
                MessageStatus.REJECTED: report.rejected,
                MessageStatus.WAITING: report.waiting,
            }[status].append(path.name)
        self._update_lag(self.pending_files())
        return report

    def run(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        """Pass over the inbox until ``stop`` is set, waiting ``poll_interval`` between idle passes."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except TRANSIENT as exc:
                _log.warning("pass interrupted, retrying: %s", exc)
                stop.wait(poll_interval)
                continue
            if report.seen == 0 or len(report.waiting) == report.seen:
                stop.wait(poll_interval)

    def _update_lag(self, files: list[Path]) -> None:
        if not files:
            self.metrics.lag(0.0)
            return
        oldest = min(p.stat().st_mtime for p in files if p.exists()) if files else time.time()
        self.metrics.lag(time.time() - oldest)

    # -- one message -------------------------------------------------------------------------------
    def process(self, path: Path) -> MessageStatus:
        """One message to its final folder (or left waiting). A failure the runner did not foresee (a parser
        bug, a message no test imagined) dead-letters this message with its reason instead of stopping the
        runner, which would only meet the same message again after a restart; a transient outage of the
        chain or the node still interrupts the pass, to be retried."""
        try:
            return self._process(path)
        except TRANSIENT:
            raise
        except Exception as exc:
            _log.exception("%s: unexpected failure, dead-lettered", path.name)
            raw = path.read_bytes()
            detail = {
                "code": "INTERNAL_ERROR",
                "segment": None,
                "position": None,
                "reason": f"the runner failed on this message ({type(exc).__name__}); see the runner log",
            }
            return self._finish(path, hashlib.sha256(raw).hexdigest(), MessageStatus.DEAD_LETTER, detail)

    def _process(self, path: Path) -> MessageStatus:
        raw = path.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        known = self.state.message_status(sha)
        if known in FINAL_MESSAGE:
            assert known is not None
            self._move(path, known.value, sha)
            return known
        try:
            facts = self.registry.parse(raw, path.name).facts
        except MessageRejected as exc:
            detail = {
                "code": exc.code.value,
                "segment": exc.segment,
                "position": exc.position,
                "reason": exc.reason,
            }
            return self._finish(path, sha, MessageStatus.DEAD_LETTER, detail)
        try:
            actions = map_facts(facts, self.directory, self.agency)
        except ValueError as exc:  # e.g. a time without a zone and no zone configured
            detail = {"code": "UNMAPPABLE", "segment": None, "position": None, "reason": str(exc)}
            return self._finish(path, sha, MessageStatus.DEAD_LETTER, detail)
        try:
            for action in actions:
                self._perform(action, raw, path.name, sha)
        except _Waiting as exc:
            self.metrics.retry()
            _log.info("%s waits: %s", path.name, exc)
            return MessageStatus.WAITING
        except _Refused as exc:
            return self._finish(path, sha, MessageStatus.REJECTED, {"reason": str(exc)})
        return self._finish(path, sha, MessageStatus.DONE, None)

    def _finish(
        self, path: Path, sha: str, status: MessageStatus, detail: dict[str, Any] | None
    ) -> MessageStatus:
        text = json.dumps(detail, ensure_ascii=False) if detail else None
        if detail is not None:
            reason = {"message": path.name, "sha256": sha, "status": status.value, **detail}
            target = self.inbox / status.value / f"{path.name}.reason.json"
            target.write_text(json.dumps(reason, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.state.finish_message(sha, path.name, status, text)
        if status is MessageStatus.DONE:
            self.metrics.processed()
        else:
            self.metrics.rejected(status.value.replace("-", "_"))
        self._move(path, status.value, sha)
        _log.info("%s: %s", path.name, status.value)
        return status

    def _move(self, path: Path, folder: str, sha: str) -> None:
        target = self.inbox / folder / path.name
        if target.exists():
            target = self.inbox / folder / f"{path.name}.{sha[:12]}"
        # FileNotFoundError: moved by an earlier run that stopped before it could return.
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target)

    # -- one action --------------------------------------------------------------------------------
    def _perform(self, action: Action, raw: bytes, name: str, sha: str) -> None:
        status, attempt = self.state.action(action.key)
        if status is not None:
            return
        if isinstance(action, Skipped):
            _log.info("%s: %s skipped: %s", name, action.fact_source_id, action.reason)
            self.state.set_action(action.key, sha, ActionStatus.SKIPPED, attempt)
            return
        delays = self.retry.delays()
        while True:
            try:
                if isinstance(action, ReportDraft):
                    outcome, tx_hash, uid = self._report(action, raw, name, attempt)
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
            except (NoQuorum, NoSignerSet) as exc:
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
            self.state.set_action(action.key, sha, ActionStatus.ALREADY_DONE, attempt, tx_hash, uid)
        else:
            self.metrics.submitted(kind)
            self.state.set_action(action.key, sha, ActionStatus.SUBMITTED, attempt, tx_hash, uid)

    def _report(
        self, draft: ReportDraft, raw: bytes, name: str, attempt: int
    ) -> tuple[Outcome, str | None, str | None]:
        if self.coordinator_for is None:
            raise _Refused(f"the {self.agency.value} oracle has no signers for {draft.schema_name}")
        done = self.submitter.report_done(self.agency_org, draft.schema, draft.source_id)
        if done is not None:
            return Outcome.ALREADY_DONE, None, "0x" + done.hex()
        report = draft.message(self.clock() + self.deadline_window)
        signed = self.coordinator_for(draft.schema_name).collect(raw, name, report)
        result = self.submitter.submit_report(self.agency_org, signed, draft.key, attempt)
        return result.outcome, result.tx_hash, result.uid

    def _gate(self, call: GateCall, attempt: int) -> tuple[Outcome, str | None, str | None]:
        result = self.submitter.gate(call, call.key, attempt)
        return result.outcome, result.tx_hash, None
