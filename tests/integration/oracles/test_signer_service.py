"""Signer processes: ``portledger oracle signer`` runs one customs key behind a Unix socket, re-derives every
report from the message it is sent and signs only what it derived. Real processes, real keystores, the
session anvil; the coordinator reaches them through ``RemoteSigner``."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.oracle import RunnerConfig, build_runner
from ledger.domain import schemas
from oracles.mapping import Agency
from oracles.metrics import OracleMetrics
from oracles.quorum import Coordinator, NoQuorum, ReportDomain, SignatureRefused, recover_signer
from oracles.remote_signer import RemoteSigner, SignerUnreachable
from oracles.signer_wire import HEADER, recv_frame, report_to_wire, send_frame, sign_request, unix_address
from tests.deployed import DeployedStack
from tests.integration.oracles.conftest import OracleSetup
from tests.integration.oracles.test_quorum import accepted, drafts, drop, release_message
from wallets.files import write_private_json
from wallets.keystore import ScryptCost, encrypt_private_key
from wallets.passphrase import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, Passphrase

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "signer-test-passphrase-7f3a"
TEST_SCRYPT = ScryptCost(2**4)  # the test keystores protect anvil's public development keys
ZERO32 = b"\x00" * 32


@dataclass(frozen=True)
class SignerHome:
    """Keystores of the three customs oracle keys, a passphrase file and a signer configuration."""

    root: Path
    config: Path
    passphrase_file: Path
    addresses: dict[int, str]

    def keystore(self, index: int) -> Path:
        return self.root / "keys" / f"customs-oracle-{index}.json"


@dataclass
class SignerProcess:
    socket: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode


def _environment(passphrase: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (PASSPHRASE_ENV, PASSPHRASE_FILE_ENV)}
    if passphrase is not None:
        env[PASSPHRASE_ENV] = passphrase
    return env


def signer_command(home: SignerHome, index: int, socket_path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cli",
        "oracle",
        "signer",
        "--agency",
        "customs",
        "--keystore",
        str(home.keystore(index)),
        "--socket",
        str(socket_path),
        "--config",
        str(home.config),
        *extra,
    ]


def start_signer(
    home: SignerHome, index: int, socket_path: Path, *extra: str, env: dict[str, str] | None = None
) -> SignerProcess:
    """Start a signer process and wait until it answers on its socket."""
    logs = home.root / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / f"{socket_path.stem}-{time.monotonic_ns()}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            signer_command(home, index, socket_path, *extra),
            cwd=ROOT,
            env=env if env is not None else _environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    started = SignerProcess(socket_path, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the signer exited with {process.returncode}: {log.read_text()}")
        try:
            RemoteSigner(socket_path, timeout=2).ask_address()
            return started
        except SignerUnreachable:
            time.sleep(0.1)
    started.stop()
    raise AssertionError(f"the signer did not answer within 60 s: {log.read_text()}")


@pytest.fixture(scope="module")
def home(deployed_stack: DeployedStack, tmp_path_factory: pytest.TempPathFactory) -> SignerHome:
    root = tmp_path_factory.mktemp("signer-home")
    addresses: dict[int, str] = {}
    (root / "keys").mkdir(mode=0o700)
    for i in (1, 2, 3):
        key = deployed_stack.private_key(f"customs/oracle-{i}")
        keystore = encrypt_private_key(key, Passphrase(PASSPHRASE), TEST_SCRYPT)
        write_private_json(root / "keys" / f"customs-oracle-{i}.json", keystore)
        addresses[i] = deployed_stack.account(f"customs/oracle-{i}")
    passphrase_file = root / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    passphrase_file.chmod(0o600)
    # The signer's own view: chain, deployment record and directory (OracleSetup writes the runner's form).
    config = OracleSetup(deployed_stack, root, relayer="").config(Agency.CUSTOMS, signers=0, name="signer")
    return SignerHome(root, config, passphrase_file, addresses)


@pytest.fixture(scope="module")
def signers(home: SignerHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[SignerProcess]]:
    """customs/oracle-1 (passphrase from a file) and customs/oracle-2 (from the environment) as processes."""
    sockets = tmp_path_factory.mktemp("signers") / "run"  # not there yet: the signer creates it 0700
    running = [
        start_signer(home, 1, sockets / "customs-1.sock", "--passphrase-file", str(home.passphrase_file)),
        start_signer(home, 2, sockets / "customs-2.sock", env=_environment(PASSPHRASE)),
    ]
    try:
        yield running
    finally:
        for process in running:
            process.stop()


def remote(signers: list[SignerProcess]) -> list[RemoteSigner]:
    return [RemoteSigner(p.socket) for p in signers]


def domain_of(oracle: OracleSetup) -> ReportDomain:
    return ReportDomain(oracle.stack.chain.chain_id, oracle.stack.contracts.attestations.address)


def exchange(path: Path, payload: bytes) -> dict[str, object]:
    """Send raw bytes on a fresh connection and read one answer frame."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        with unix_address(path) as address:
            sock.connect(address)
        sock.sendall(payload)
        return recv_frame(sock, 65536)


def frame(document: object) -> bytes:
    body = json.dumps(document).encode()
    return HEADER.pack(len(body)) + body


# ---------------------------------------------------------------------------------------- signing


def test_signer_process_signs_the_report_it_derives_and_the_registry_accepts_it(
    oracle: OracleSetup, home: SignerHome, signers: list[SignerProcess]
) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    report = draft.message(oracle.stack.chain.latest_timestamp() + 300)
    endpoints = remote(signers)
    assert [e.address for e in endpoints] == [home.addresses[1], home.addresses[2]]

    signature = endpoints[0].sign_report(raw, "cusres-001.edi", report)
    assert recover_signer(report, signature, domain_of(oracle)) == home.addresses[1]

    signed = Coordinator(endpoints, 2, domain_of(oracle)).collect(raw, "cusres-001.edi", report)
    assert set(signed.signers) == {home.addresses[1], home.addresses[2]}
    attestations = oracle.stack.contracts.attestations
    attestations.transact(
        "submitReport",
        report.as_struct(),
        report.data,
        list(signed.signatures),
        sender=oracle.stack.admin("carrier"),  # anyone may relay a signed report
    )
    uid = accepted(oracle, draft)
    assert uid != ZERO32
    assert attestations.call("isEffective", uid) is True


def test_coordinator_sending_a_report_that_differs_from_the_message_gets_no_signature(
    oracle: OracleSetup, signers: list[SignerProcess]
) -> None:
    raw = release_message()
    draft = drafts(oracle, raw)[0]
    honest = draft.message(oracle.stack.chain.latest_timestamp() + 300)
    forged_data = schemas.CUSTOMS_RELEASE.encode(
        {"declarationNumber": "223320260000012345", "customsOfficeCode": "CNSGH", "releasedAt": 1}
    )
    endpoints = remote(signers)
    for forged in (
        dataclasses.replace(honest, data=forged_data),
        dataclasses.replace(honest, subject=schemas.container_subject("TGHU9876542")),
        dataclasses.replace(honest, sequence=honest.sequence + 1),
        dataclasses.replace(honest, source_id=b"\x01" * 32),
    ):
        with pytest.raises(SignatureRefused, match="not one this signer derives"):
            endpoints[0].sign_report(raw, None, forged)
        with pytest.raises(NoQuorum) as refused:
            Coordinator(endpoints, 2, domain_of(oracle)).collect(raw, None, forged)
        assert refused.value.signed == 0 and not refused.value.waiting
        assert all("not one this signer derives" in r for r in refused.value.refusals)

    # The honest report of one message, sent with another message, is not signed either.
    other = release_message("CR000002", bill="TOLU2026000002")
    with pytest.raises(NoQuorum) as mismatched:
        Coordinator(endpoints, 2, domain_of(oracle)).collect(other, None, honest)
    assert mismatched.value.signed == 0
    # And a message the signer cannot parse gets a refusal, not a signature.
    with pytest.raises(SignatureRefused, match="does not parse"):
        endpoints[0].sign_report(b"UNA:+.? 'garbage", None, honest)
    assert accepted(oracle, draft) == ZERO32


def test_unreachable_signer_is_a_refusal_and_the_quorum_comes_from_the_others(
    oracle: OracleSetup, home: SignerHome, signers: list[SignerProcess], tmp_path: Path
) -> None:
    raw = release_message()
    report = drafts(oracle, raw)[0].message(oracle.stack.chain.latest_timestamp() + 300)
    down = RemoteSigner(tmp_path / "nobody-listens.sock", home.addresses[3], timeout=2)
    first, second = remote(signers)

    signed = Coordinator([down, first, second], 2, domain_of(oracle)).collect(raw, None, report)
    assert set(signed.signers) == {home.addresses[1], home.addresses[2]}

    with pytest.raises(NoQuorum) as short:
        Coordinator([down, first], 2, domain_of(oracle)).collect(raw, None, report)
    assert short.value.signed == 1
    assert "unreachable" in short.value.refusals[0]
    assert short.value.waiting  # a signer down is no refusal: the report waits for it
    with pytest.raises(SignerUnreachable):
        RemoteSigner(tmp_path / "nobody-listens.sock").ask_address()


def test_signer_answering_for_another_address_than_configured_is_refused(
    oracle: OracleSetup, home: SignerHome, signers: list[SignerProcess]
) -> None:
    raw = release_message()
    report = drafts(oracle, raw)[0].message(oracle.stack.chain.latest_timestamp() + 300)
    misconfigured = RemoteSigner(signers[0].socket, home.addresses[3])
    with pytest.raises(SignatureRefused, match="signs for"):
        misconfigured.sign_report(raw, None, report)


def test_runner_signs_through_signer_processes_and_an_in_process_keystore(
    oracle: OracleSetup,
    home: SignerHome,
    signers: list[SignerProcess],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)  # the runner unlocks its in-process keystore
    monkeypatch.delenv(PASSPHRASE_FILE_ENV, raising=False)
    path = oracle.config(Agency.CUSTOMS, signers=0, name="mixed")
    config = json.loads(path.read_text())
    config["signers"] = [
        {"socket": str(signers[0].socket)},
        {"socket": str(signers[1].socket), "address": home.addresses[2]},
        str(home.keystore(3)),
    ]
    path.write_text(json.dumps(config))
    inbox = tmp_path / "inbox"
    drop(inbox, "cusres-001.edi", release_message())

    runner = build_runner(Agency.CUSTOMS, inbox, RunnerConfig.load(path), OracleMetrics("customs"))
    report = runner.run_once()

    assert report.done == ["cusres-001.edi"]
    for draft in drafts(oracle, release_message()):
        uid = accepted(oracle, draft)
        assert oracle.stack.contracts.attestations.call("isEffective", uid) is True
    assert oracle.relayer_transactions() == len(drafts(oracle, release_message()))


# ---------------------------------------------------------------------------------------- the channel


def test_socket_is_mode_0600_in_a_folder_the_signer_created_0700(signers: list[SignerProcess]) -> None:
    for process in signers:
        found = os.lstat(process.socket)
        assert stat.S_ISSOCK(found.st_mode)
        assert stat.S_IMODE(found.st_mode) == 0o600
        assert found.st_uid == os.getuid()
    assert stat.S_IMODE(os.stat(signers[0].socket.parent).st_mode) == 0o700


def test_passphrase_on_the_command_line_is_refused_before_anything_starts(
    home: SignerHome, tmp_path: Path
) -> None:
    socket_path = tmp_path / "argv.sock"
    result = subprocess.run(
        signer_command(home, 1, socket_path, "--passphrase", PASSPHRASE),
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "command line" in result.stderr and "--passphrase-file" in result.stderr
    assert PASSPHRASE not in result.stdout + result.stderr
    assert not socket_path.exists()


def test_wrong_passphrase_stops_the_signer_before_it_listens(home: SignerHome, tmp_path: Path) -> None:
    socket_path = tmp_path / "wrong.sock"
    result = subprocess.run(
        signer_command(home, 1, socket_path),
        cwd=ROOT,
        env=_environment("not the passphrase"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot unlock" in result.stderr
    assert "not the passphrase" not in result.stdout + result.stderr
    assert not socket_path.exists()


def test_malformed_and_oversized_requests_get_an_error_and_the_server_keeps_serving(
    oracle: OracleSetup, home: SignerHome, signers: list[SignerProcess]
) -> None:
    path = signers[0].socket
    assert exchange(path, HEADER.pack(2**31))["error"] == "too-large"
    assert exchange(path, HEADER.pack(4) + b"\xff\xfe{[")["error"] == "bad-request"
    assert exchange(path, frame([1, 2, 3]))["error"] == "bad-request"
    assert exchange(path, frame({"op": "export-key"}))["error"] == "bad-request"
    honest = drafts(oracle, release_message())[0].message(oracle.stack.chain.latest_timestamp() + 300)
    good = {"op": "sign", "message": "", "filename": None, "report": {}}
    for broken in (
        {**good, "message": "not base64!"},
        {**good, "report": {"agency": 1}},
        {**good, "filename": 7},
        {k: v for k, v in good.items() if k != "report"},
    ):
        answer = exchange(path, frame(broken))
        assert answer["ok"] is False and answer["error"] == "bad-request", broken
    request = sign_request(release_message(), None, honest)
    for field, value in (("sequence", True), ("subject", "0x1234"), ("deadline", -1), ("action", 7)):
        bad = {**request, "report": {**report_to_wire(honest), field: value}}
        assert exchange(path, frame(bad))["error"] == "bad-request", field

    # A bad frame does not cost the connection: the next request on it is answered.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        with unix_address(path) as address:
            sock.connect(address)
        sock.sendall(frame("just a string"))
        assert recv_frame(sock, 65536)["error"] == "bad-request"
        send_frame(sock, {"op": "address"})
        assert recv_frame(sock, 65536)["address"] == home.addresses[1]

    # Clients that stop half way, or connect and say nothing, do not block anyone else.
    for partial in (HEADER.pack(100)[:2], HEADER.pack(100) + b'{"op"'):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            with unix_address(path) as address:
                sock.connect(address)
            sock.sendall(partial)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
        with unix_address(path) as address:
            idle.connect(address)
        assert RemoteSigner(path, timeout=5).ask_address() == home.addresses[1]

    assert signers[0].process.poll() is None
    signature = RemoteSigner(path).sign_report(release_message(), None, honest)
    assert recover_signer(honest, signature, domain_of(oracle)) == home.addresses[1]


# ---------------------------------------------------------------------------------------- lifecycle


def test_sigterm_stops_the_signer_and_removes_its_socket(home: SignerHome, tmp_path: Path) -> None:
    socket_path = tmp_path / "run" / "customs-3.sock"
    process = start_signer(home, 3, socket_path, env=_environment(PASSPHRASE))

    assert process.stop() == 0
    assert not socket_path.exists()
    log = process.log.read_text()
    assert PASSPHRASE not in log
    assert "listening on" in log and "stopped" in log


def test_stale_socket_is_replaced_but_a_live_one_or_another_file_is_refused(
    home: SignerHome, tmp_path: Path
) -> None:
    socket_path = tmp_path / "run" / "customs-3.sock"
    first = start_signer(home, 3, socket_path, env=_environment(PASSPHRASE))
    try:
        taken = subprocess.run(
            signer_command(home, 3, socket_path),
            cwd=ROOT,
            env=_environment(PASSPHRASE),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert taken.returncode == 1 and "already listens" in taken.stderr
        assert RemoteSigner(socket_path).ask_address() == home.addresses[3]
    finally:
        os.kill(first.process.pid, signal.SIGKILL)  # no clean stop: the socket file stays behind
        first.process.wait(timeout=10)
    assert stat.S_ISSOCK(os.lstat(socket_path).st_mode)

    second = start_signer(home, 3, socket_path, env=_environment(PASSPHRASE))
    try:
        assert RemoteSigner(socket_path).ask_address() == home.addresses[3]
    finally:
        assert second.stop() == 0

    not_a_socket = tmp_path / "run" / "notes.txt"
    not_a_socket.write_text("keep me")
    refused = subprocess.run(
        signer_command(home, 3, not_a_socket),
        cwd=ROOT,
        env=_environment(PASSPHRASE),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "is not a socket" in refused.stderr
    assert not_a_socket.read_text() == "keep me"


def test_a_socket_path_longer_than_sun_path_still_works(home: SignerHome, tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*(["a-rather-long-folder-name"] * 5))
    socket_path = deep / "customs-3.sock"
    assert len(str(socket_path)) > 108
    process = start_signer(home, 3, socket_path, env=_environment(PASSPHRASE))
    try:
        assert stat.S_IMODE(os.lstat(socket_path).st_mode) == 0o600
        assert RemoteSigner(socket_path).ask_address() == home.addresses[3]
    finally:
        assert process.stop() == 0
    assert not socket_path.exists()


def test_a_message_waits_while_the_signers_it_needs_are_down_and_is_signed_once_they_are_back(
    oracle: OracleSetup,
    home: SignerHome,
    signers: list[SignerProcess],
    tmp_path: Path,
) -> None:
    """Signers down are no refusal: the message stays queued (not rejected) until they answer."""
    later = tmp_path / "run" / "customs-3.sock"
    path = oracle.config(Agency.CUSTOMS, signers=0, name="waiting")
    config = json.loads(path.read_text())
    config["signers"] = [
        {"socket": str(later), "address": home.addresses[3]},
        {"socket": str(signers[0].socket), "address": home.addresses[1]},
    ]
    path.write_text(json.dumps(config))
    inbox = tmp_path / "inbox"
    raw = release_message("CR000031", bill="TOLU2026000031")
    drop(inbox, "cusres-031.edi", raw)

    runner = build_runner(Agency.CUSTOMS, inbox, RunnerConfig.load(path), OracleMetrics("customs"))
    runner.retry = dataclasses.replace(runner.retry, attempts=1)
    first = runner.run_once()
    assert first.waiting == ["cusres-031.edi"] and not first.rejected and not first.done
    assert all(accepted(oracle, d) == ZERO32 for d in drafts(oracle, raw))

    back = start_signer(home, 3, later, "--passphrase-file", str(home.passphrase_file))
    try:
        second = runner.run_once()
    finally:
        back.stop()
    assert second.done == ["cusres-031.edi"]
    assert all(accepted(oracle, d) != ZERO32 for d in drafts(oracle, raw))
