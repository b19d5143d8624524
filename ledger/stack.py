"""The embedded stack behind ``make run``: one supervisor bringing a whole PortLedger node up on one machine.

Owns the start order, the data directory layout and the shutdown of the embedded default (docs/design.md §3):
anvil with its state persisted under the data dir, the contracts deployed once (a restart binds the
recorded deployment after the start-up code check), the demo port consortium's wallets and API keys,
the API (uvicorn, a child process) and the customs oracle runner, which processes the customs
organisation's messages from the node database (posted to the API, or dropped in its inbox folder).
Two of the three customs signer keys run as ``portledger oracle signer`` processes of their own (Unix
sockets under ``<data dir>/run/signers``), the third signs inside the runner.

Children are started with their PIDs recorded in ``<data dir>/run/pids.json`` and are stopped by those
PIDs only: SIGTERM first (anvil then writes its state file), SIGKILL if one does not exit. Each child
also gets SIGTERM from the kernel should the supervisor itself die, so no orphan keeps a port.

Rules do not live here: the deploy plan, the wallets, the outbox (which re-sends acknowledged
transactions that an unclean stop of anvil lost) and the API do their own jobs. Everything the operator
can get wrong (a port in use, a missing tool, a damaged data dir) is a :class:`StackError` carrying one
sentence saying what to do; the CLI prints it without a traceback.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ledger.chain.anvil import Anvil, AnvilError, anvil_binary, port_in_use
from wallets.errors import WalletError
from wallets.passphrase import passphrase_from_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config" / "consortium.demo.yaml"
CHAIN_ID = 31337
DEPLOYER_INDEX = 0
"""The deployer is anvil's first development account (unlocked by the node): a governor of the demo."""

ROLE_NAMES: tuple[str, ...] = (
    "port_authority",
    "customs",
    "maritime",
    "carrier",
    "shipper",
    "consignee",
    "forwarder",
    "haulier",
    "bank",
    "terminal",
)
"""Keys of ``demo-keys.json``; each is the demo config's organisation name with ``_`` for ``-``."""

ORACLE_AGENCIES: tuple[str, ...] = ("customs",)
RELAYER_LABEL = "oracle-relayer"
SIGNER_PROCESSES = 2
"""Of an agency's oracle signer keys this many run as ``portledger oracle signer`` processes of their own;
the others (at least one) sign inside the runner."""
DEMO_KEYS_WARNING = (
    "{path} holds API keys of every demo organisation: it is for the demo only. "
    "Never use these keys, this passphrase file or this data directory in production."
)

Say = Callable[[str], None]


class StackError(RuntimeError):
    """Something the operator must fix; ``str()`` is one sentence saying what and how."""


# ------------------------------------------------------------------------------------------ options


@dataclass(frozen=True)
class StackOptions:
    """What ``portledger run`` takes (flags or ``PORTLEDGER_*``)."""

    data_dir: Path = Path("data")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    chain_port: int = 8545
    state_interval: int = 1
    """Seconds between anvil's state dumps: what an unclean stop can lose (the outbox re-sends it)."""
    config: Path = DEFAULT_CONFIG
    oracles: bool = True
    start_timeout: float = 120.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> StackOptions:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "data_dir": Path(env.get("PORTLEDGER_DATA_DIR") or "data"),
            "api_port": int(env.get("PORTLEDGER_API_PORT") or 8000),
            "chain_port": int(env.get("PORTLEDGER_CHAIN_PORT") or 8545),
            "state_interval": int(env.get("PORTLEDGER_STATE_INTERVAL") or 1),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.chain_port}"


@dataclass(frozen=True)
class DataLayout:
    """Where everything lives under the data dir."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "chain" / "anvil-state.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "run" / "pids.json"

    @property
    def wallets(self) -> Path:
        return self.root / "wallets"

    @property
    def passphrase_file(self) -> Path:
        return self.root / "wallet-passphrase"

    @property
    def demo_keys(self) -> Path:
        return self.root / "demo-keys.json"

    @property
    def deployment(self) -> Path:
        return self.root / "deployments" / f"{CHAIN_ID}.json"

    def inbox(self, agency: str) -> Path:
        return self.root / "inbox" / agency

    def oracle_config(self, agency: str) -> Path:
        return self.root / "oracles" / f"{agency}.json"

    @property
    def signer_sockets(self) -> Path:
        return self.root / "run" / "signers"

    def signer_socket(self, agency: str, index: int) -> Path:
        return self.signer_sockets / f"{agency}-{index}.sock"


# ----------------------------------------------------------------------------------- small helpers


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise StackError(
            f"{path} ({what}) is damaged and cannot be read: restore the data directory from a backup, "
            f"or move it aside and run `make run` again to start a fresh demo"
        ) from None


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the supervisor dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)


def check_tools() -> None:
    """The anvil binary (from Node.js and npm); Python 3.11+ is checked by the Makefile before the venv."""
    try:
        anvil_binary()
    except AnvilError:
        raise StackError(
            "anvil is not installed: install Node.js 20+ and run `make run` again (it runs `npm ci`, "
            "which installs @foundry-rs/anvil into node_modules)"
        ) from None


def check_ports(options: StackOptions) -> None:
    for port, what, flag in (
        (options.api_port, "the API", "--api-port / PORTLEDGER_API_PORT"),
        (options.chain_port, "the chain (anvil)", "--chain-port / PORTLEDGER_CHAIN_PORT"),
    ):
        if port_in_use(port, "127.0.0.1"):
            raise StackError(
                f"port {port} for {what} is already in use: stop what listens there (is another "
                f"`make run` still up?) or choose another port with {flag}"
            )


def check_data_dir(layout: DataLayout) -> None:
    """Refuse a data dir that is not a folder or holds damaged files, before anything starts."""
    root = layout.root
    if root.exists() and not root.is_dir():
        raise StackError(
            f"the data directory {root} is a file, not a folder: move it aside or set PORTLEDGER_DATA_DIR"
        )
    if layout.state_file.exists():
        state = _read_json(layout.state_file, "the chain state")
        if not isinstance(state, dict) or ("block" not in state and "accounts" not in state):
            raise StackError(
                f"{layout.state_file} (the chain state) is not an anvil state file: restore the data "
                "directory from a backup, or move it aside and run `make run` again to start a fresh demo"
            )
    if layout.deployment.exists():
        _read_json(layout.deployment, "the deployment record")
        if not layout.state_file.exists():
            raise StackError(
                f"{layout.deployment} records a deployment but the chain state {layout.state_file} is "
                "missing: restore the data directory from a backup, or move it aside and run `make run` "
                "again to start a fresh demo"
            )
    if layout.demo_keys.exists():
        _read_json(layout.demo_keys, "the demo API keys")


# ------------------------------------------------------------------------------------------ children


@dataclass
class Child:
    """A child process started by the supervisor, stopped by its PID."""

    name: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass(frozen=True)
class SignerProcess:
    """An oracle signer key the stack runs as its own process, reached by the runner over ``socket``."""

    name: str
    address: str
    keystore: Path
    socket: Path


def spawn(name: str, command: list[str], log: Path, env: Mapping[str, str], cwd: Path = ROOT) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Child(name, process)


# ---------------------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """The embedded node: ``up()`` starts it (seeding the demo on first use), ``down()`` stops it."""

    options: StackOptions
    say: Say = print
    anvil: Anvil | None = None
    children: list[Child] = field(default_factory=list)
    demo_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_start: bool = False

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.options.data_dir.resolve())

    # -- up ----------------------------------------------------------------------------------------
    def up(self) -> None:
        check_tools()
        check_data_dir(self.layout)
        check_ports(self.options)
        layout = self.layout
        layout.root.mkdir(parents=True, exist_ok=True)
        self.first_start = not layout.deployment.exists()
        try:
            self._start_chain()
            env = self._child_env()
            self._ensure_wallets(env)
            self._fund_wallets(env)
            self._ensure_deployment(env)
            self._ensure_demo_keys(env)
            self._start_api(env)
            if self.options.oracles:
                self._start_oracles(env)
        except WalletError as exc:
            self.down()
            raise StackError(
                f"the wallets in {layout.wallets} cannot be used ({exc}): set PORTLEDGER_WALLET_PASSPHRASE "
                f"(or keep {layout.passphrase_file}) to the passphrase they were created with"
            ) from None
        except BaseException:
            self.down()
            raise
        self._record_pids()

    def _start_chain(self) -> None:
        layout = self.layout
        layout.state_file.parent.mkdir(parents=True, exist_ok=True)
        layout.logs.mkdir(parents=True, exist_ok=True)
        self.say(
            f"chain: anvil on {self.options.rpc_url}, state in {layout.state_file} (written every "
            f"{self.options.state_interval} s and at a clean stop)"
        )
        self.anvil = Anvil(
            port=self.options.chain_port,
            chain_id=CHAIN_ID,
            state_file=layout.state_file,
            state_interval=self.options.state_interval,
            log_file=self._log("anvil"),
        )
        try:
            self.anvil.start(timeout=60)
        except AnvilError as exc:
            raise StackError(
                f"anvil did not start ({exc}); see {self._log('anvil')}. If the chain state "
                f"{layout.state_file} is damaged, restore the data directory from a backup or move it aside"
            ) from None
        self._record_pids()
        # Before the API starts (whose outbox re-sends what an unclean stop lost): the block it resumes at.
        with contextlib.suppress(requests.RequestException, ValueError, KeyError):
            self.say(f"chain: at block {self.anvil.block_number()}")

    def _child_env(self) -> dict[str, str]:
        """The environment of every child and of the in-process steps: settings, never a key."""
        layout = self.layout
        env = dict(os.environ)
        env["PORTLEDGER_DATA_DIR"] = str(layout.root)
        env["PORTLEDGER_RPC_URL"] = self.options.rpc_url
        env.pop("PORTLEDGER_WALLET_DIR", None)
        if not env.get("PORTLEDGER_WALLET_PASSPHRASE") and not env.get("PORTLEDGER_WALLET_PASSPHRASE_FILE"):
            if not layout.passphrase_file.exists():
                write_private(layout.passphrase_file, secrets.token_urlsafe(32) + "\n")
                self.say(
                    f"wallets: generated a demo passphrase in {layout.passphrase_file} (0600); set "
                    "PORTLEDGER_WALLET_PASSPHRASE to choose your own"
                )
            # Handed over as the value (not the file name): the API's settings also derive the statement
            # key's passphrase from it. The environment of a child is readable only by its own user.
            env["PORTLEDGER_WALLET_PASSPHRASE"] = passphrase_from_file(layout.passphrase_file).reveal()
        return env

    # -- wallets and deployment ----------------------------------------------------------------------
    def _config(self) -> Any:
        from ledger.consortium_config import ConsortiumConfig

        return ConsortiumConfig.load(self.options.config)

    def _ensure_wallets(self, env: Mapping[str, str]) -> None:
        """One wallet per organisation of the config, plus the extra keys it names (``wallet:org/label``)."""
        from wallets import WalletDirectory, passphrase_from_env

        config = self._config()
        directory = WalletDirectory.from_env(self.layout.wallets, env)
        passphrase = passphrase_from_env(env)
        existing = set(directory.organisations())
        for placeholder in config.placeholders():
            if not placeholder.startswith("wallet:"):
                continue
            slug, _, label = placeholder[len("wallet:") :].partition("/")
            if slug not in existing:
                self.say(f"wallets: creating {slug}")
                directory.create_organisation(slug, passphrase, label="admin")
                existing.add(slug)
            if label:
                wallet = directory.organisation(slug)
                if not any(a.label == label for a in wallet.accounts()):
                    wallet.new_account(passphrase, label=label)
        # The oracle runner relays its reports from a key of its own (anyone may relay a signed report),
        # so that its nonces never race the API's transaction manager, which signs with the admin key.
        for agency in ORACLE_AGENCIES:
            if agency in existing:
                wallet = directory.organisation(agency)
                if not any(a.label == RELAYER_LABEL for a in wallet.accounts()):
                    wallet.new_account(passphrase, label=RELAYER_LABEL)

    def _fund_wallets(self, env: Mapping[str, str]) -> None:
        """Give every wallet account ether on the embedded chain (anvil_setBalance; dev chains only).

        anvil still quotes a gas price above zero, so the accounts need a balance to send; a QBFT network
        with a zero gas price needs none of this.
        """
        from wallets import WalletDirectory

        assert self.anvil is not None
        directory = WalletDirectory.from_env(self.layout.wallets, env)
        for slug in directory.organisations():
            for account in directory.organisation(slug).accounts():
                requests.post(
                    self.anvil.url,
                    json={
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "anvil_setBalance",
                        "params": [account.address, hex(10**24)],
                    },
                    timeout=10,
                ).raise_for_status()

    def _resolver(self, env: Mapping[str, str]) -> Callable[[str], str]:
        from wallets import WalletDirectory

        directory = WalletDirectory.from_env(self.layout.wallets, env)

        def resolve(placeholder: str) -> str:
            slug, _, label = placeholder[len("wallet:") :].partition("/")
            wallet = directory.organisation(slug)
            if not label:
                return str(wallet.primary_address)
            for account in wallet.accounts():
                if account.label == label:
                    return str(account.address)
            raise StackError(
                f"the wallet of {slug} has no key labelled {label}: move the data directory aside"
            )

        return resolve

    def _ensure_deployment(self, env: Mapping[str, str]) -> None:
        from ledger.chain import ChainClient
        from ledger.chain.deployment import DeploymentMismatch, load_deployment, verify_code

        assert self.anvil is not None
        chain = ChainClient(self.anvil.url)
        if self.layout.deployment.exists():
            record = load_deployment(self.layout.root, chain.chain_id)
            if record.complete:
                try:
                    verify_code(chain, record, self.layout.root)
                except DeploymentMismatch as exc:
                    raise StackError(
                        f"the chain state does not hold the recorded contracts ({exc}). Restore the data "
                        "directory from a backup, or move it aside and run `make run` again"
                    ) from None
                self.say(f"contracts: reusing the deployment recorded in {self.layout.deployment}")
                return
        self._deploy(chain, env)

    def _deploy(self, chain: Any, env: Mapping[str, str]) -> None:
        from eth_account import Account

        from ledger.chain.anvil import DEV_MNEMONIC
        from ledger.chain.deploy_plan import deploy
        from wallets import WalletDirectory, passphrase_from_env

        self.say("contracts: deploying the demo port consortium (first start)")
        Account.enable_unaudited_hdwallet_features()
        deployer = Account.from_mnemonic(
            DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{DEPLOYER_INDEX}"
        ).address
        config = self._config().resolve(self._resolver(env), deployer=deployer)
        directory = WalletDirectory.from_env(self.layout.wallets, env)
        passphrase = passphrase_from_env(env)
        signers: dict[str, Any] = {}
        for slug in directory.organisations():
            wallet = directory.organisation(slug)
            signers[str(wallet.primary_address)] = wallet.signer(passphrase)
        deploy(chain, config, deployer, self.layout.root, signers=signers)
        self._publish_encryption_keys(chain, directory, signers)

    def _publish_encryption_keys(self, chain: Any, directory: Any, signers: Mapping[str, Any]) -> None:
        """Each organisation publishes its wallet's X25519 document key (the config says "generate later")."""
        from ledger.chain.deployment import bind, load_deployment

        record = load_deployment(self.layout.root, chain.chain_id)
        consortium = bind(chain, record).consortium
        for slug in directory.organisations():
            wallet = directory.organisation(slug)
            org = int(consortium.call("orgOf", wallet.primary_address))
            if org == 0:
                continue
            public = bytes.fromhex(wallet.document_public_key_hex().removeprefix("0x"))
            current = consortium.call("organisation", org)
            on_chain = current["encryptionKey"] if isinstance(current, Mapping) else current[6]
            if bytes(on_chain) != public:
                consortium.transact(
                    "setEncryptionKey", org, public, sender=signers[str(wallet.primary_address)]
                )

    # -- API keys ----------------------------------------------------------------------------------
    def _ensure_demo_keys(self, env: Mapping[str, str]) -> None:
        layout = self.layout
        if layout.demo_keys.exists():
            self.demo_keys = _read_json(layout.demo_keys, "the demo API keys")
            return
        from ledger.bootstrap import ensure_service_tables
        from ledger.chain.deployment import load_deployment
        from ledger.db import Database
        from ledger.services.keys import ApiKeys
        from ledger.settings import Settings

        settings = Settings(data_dir=layout.root, rpc_url=self.options.rpc_url)
        record = load_deployment(layout.root, CHAIN_ID)
        db = Database(settings.resolved_database_url)
        try:
            db.migrate()
            ensure_service_tables(db)
            keys = ApiKeys(db)
            out: dict[str, dict[str, Any]] = {}
            for role in ROLE_NAMES:
                org = record.org_id(role.replace("_", "-"))
                out[role] = {"org": str(org), "apiKey": keys.create(str(org), label=f"demo {role}").token}
        finally:
            db.dispose()
        write_private(layout.demo_keys, json.dumps(out, indent=2) + "\n")
        self.demo_keys = out

    # -- API and oracles ---------------------------------------------------------------------------
    def _start_api(self, env: dict[str, str]) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "ledger_api.main:create_app",
            "--factory",
            "--host",
            self.options.api_host,
            "--port",
            str(self.options.api_port),
            "--no-access-log",
        ]
        self.say(f"api: starting on {self.options.api_url} (log {self._log('api')})")
        child = spawn("api", command, self._log("api"), env)
        self.children.append(child)
        self._record_pids()
        deadline = time.monotonic() + self.options.start_timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError(
                    f"the API exited at start-up with {child.process.returncode}: see {self._log('api')}"
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.options.api_url}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise StackError(
            f"the API did not become ready within {self.options.start_timeout:.0f}s: see {self._log('api')}"
        )

    def _start_oracles(self, env: dict[str, str]) -> None:
        if importlib.util.find_spec("oracles.cli") is None:
            self.say("oracles: the oracle runner is not installed; skipping")
            return
        for agency in ORACLE_AGENCIES:
            separate = self._separate_signers(agency, env)
            config = self._write_oracle_config(agency, env, separate)
            self._start_signers(agency, separate, config, env)
            inbox = self.layout.inbox(agency)
            inbox.mkdir(parents=True, exist_ok=True)
            command = [
                sys.executable,
                "-m",
                "oracles.cli",
                "run",
                "--agency",
                agency,
                "--inbox",
                str(inbox),
                "--config",
                str(config),
            ]
            self.say(
                f"oracles: {agency} runner for its organisation's messages (posted to "
                f"/v1/oracles/{agency}/messages, or dropped in {inbox}; log {self._log('oracle-' + agency)})"
            )
            self.children.append(spawn(f"oracle-{agency}", command, self._log(f"oracle-{agency}"), env))

    def _node_database_url(self) -> str:
        from ledger.settings import Settings

        return Settings(data_dir=self.layout.root, rpc_url=self.options.rpc_url).resolved_database_url

    def _oracle_keystores(self, agency: str, env: Mapping[str, str]) -> list[tuple[str, Path]]:
        """(address, keystore) of each key in the agency's wallet that the deployment made a signer."""
        from ledger.chain.deployment import load_deployment
        from wallets import WalletDirectory

        record = load_deployment(self.layout.root, CHAIN_ID)
        wallet = WalletDirectory.from_env(self.layout.wallets, env).organisation(agency)
        signer_sets = [s for s in record.oracle_signers if s.agency == agency]
        signer_addresses = {a.lower() for s in signer_sets for a in s.signers}
        return [
            (str(a.address), wallet.keystore_path(a.address))
            for a in wallet.accounts()
            if a.address.lower() in signer_addresses
        ]

    def _separate_signers(self, agency: str, env: Mapping[str, str]) -> list[SignerProcess]:
        """The agency's signer keys that run as their own processes: up to ``SIGNER_PROCESSES``, always
        leaving one to sign inside the runner."""
        keystores = self._oracle_keystores(agency, env)
        split = max(len(keystores) - SIGNER_PROCESSES, min(len(keystores), 1))
        return [
            SignerProcess(
                f"signer-{agency}-{index}", address, keystore, self.layout.signer_socket(agency, index)
            )
            for index, (address, keystore) in enumerate(keystores[split:], start=split + 1)
        ]

    def _start_signers(
        self, agency: str, separate: list[SignerProcess], config: Path, env: Mapping[str, str]
    ) -> None:
        """Start each signer process (passphrase in ``env``, never on argv) and wait until it listens.

        In the demo a signer reads the runner's configuration file for its chain and directory (it ignores
        the runner's keys); in production each signer host keeps its own copy.
        """
        if not separate:
            return
        self.layout.signer_sockets.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.layout.signer_sockets, 0o700)
        started: list[tuple[Child, SignerProcess]] = []
        for signer in separate:
            command = [sys.executable, "-m", "oracles.cli", "signer", "--agency", agency]
            command += ["--keystore", str(signer.keystore), "--socket", str(signer.socket)]
            command += ["--config", str(config)]
            self.say(
                f"oracles: {agency} signer {signer.address} in its own process on {signer.socket} "
                f"(log {self._log(signer.name)})"
            )
            child = spawn(signer.name, command, self._log(signer.name), env)
            self.children.append(child)
            self._record_pids()
            started.append((child, signer))
        for child, signer in started:
            self._wait_for_signer(child, signer.socket)

    def _wait_for_signer(self, child: Child, socket_path: Path) -> None:
        from oracles.signer_wire import unix_address

        deadline = time.monotonic() + self.options.start_timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError(
                    f"the oracle signer {child.name} exited at start-up with {child.process.returncode}: "
                    f"see {self._log(child.name)}"
                )
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(1.0)
                with unix_address(socket_path) as address:
                    probe.connect(address)
                return
            time.sleep(0.2)
        raise StackError(
            f"the oracle signer {child.name} did not listen on {socket_path} within "
            f"{self.options.start_timeout:.0f}s: see {self._log(child.name)}"
        )

    def _write_oracle_config(
        self, agency: str, env: Mapping[str, str], separate: Sequence[SignerProcess] = ()
    ) -> Path:
        from ledger.chain.deployment import load_deployment
        from wallets import WalletDirectory

        record = load_deployment(self.layout.root, CHAIN_ID)
        wallet = WalletDirectory.from_env(self.layout.wallets, env).organisation(agency)
        accounts = wallet.accounts()
        # Keys served by a signer process are reached through its socket, and asked first (k of n is
        # enough); the others sign inside the runner.
        served = {s.keystore for s in separate}
        signers: list[str | dict[str, str]] = [
            {"socket": str(s.socket), "address": s.address} for s in separate
        ]
        signers += [str(path) for _, path in self._oracle_keystores(agency, env) if path not in served]
        carrier_code = self._config().organisation("carrier").legal_id
        relayer = next((a.address for a in accounts if a.label == RELAYER_LABEL), wallet.primary_address)
        config = {
            "rpcUrl": self.options.rpc_url,
            "deployment": str(self.layout.deployment),
            "organisation": agency,
            "agencyOrg": record.org_id(agency),
            "signers": signers,
            "sender": str(wallet.keystore_path(relayer)),
            "carriers": {carrier_code: record.org_id("carrier")},
            "parties": {},
            "databaseUrl": f"sqlite:///{self.layout.root / 'oracles' / (agency + '.db')}",
            # The node database, where the API stores the messages the organisation posts.
            "messagesDatabaseUrl": self._node_database_url(),
        }
        path = self.layout.oracle_config(agency)
        write_private(path, json.dumps(config, indent=2) + "\n")
        return path

    # -- running -----------------------------------------------------------------------------------
    def _log(self, name: str) -> Path:
        return self.layout.logs / f"{name}.log"

    def _record_pids(self) -> None:
        pids: dict[str, Any] = {"supervisor": os.getpid()}
        if self.anvil is not None and self.anvil.pid is not None:
            pids["anvil"] = self.anvil.pid
        for child in self.children:
            pids[child.name] = child.pid
        pids["apiUrl"] = self.options.api_url
        pids["rpcUrl"] = self.options.rpc_url
        self.layout.pids.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.layout.pids.with_suffix(".tmp")
        tmp.write_text(json.dumps(pids, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.layout.pids)

    def failed_child(self) -> Child | None:
        """A child that exited although nobody asked it to, if any."""
        if (
            self.anvil is not None
            and self.anvil.process is not None
            and self.anvil.process.poll() is not None
        ):
            return Child("anvil", self.anvil.process)
        return next((c for c in self.children if not c.alive()), None)

    def down(self) -> None:
        """Stop the oracles, then the API, then anvil (SIGTERM: it writes its state); each by its PID."""
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        if self.anvil is not None:
            self.anvil.stop(timeout=30)
            self.anvil = None
        with contextlib.suppress(FileNotFoundError):
            self.layout.pids.unlink()

    def serve_forever(self, stop_signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> int:
        """Stay in the foreground until a stop signal, or until a child dies; then shut down."""
        stopping = {"signal": 0}

        def handler(signum: int, _frame: Any) -> None:
            stopping["signal"] = signum

        previous = {s: signal.signal(s, handler) for s in stop_signals}
        try:
            while not stopping["signal"]:
                failed = self.failed_child()
                if failed is not None:
                    self.say(
                        f"{failed.name} exited unexpectedly with {failed.process.returncode}: see "
                        f"{self._log(failed.name)}; shutting down"
                    )
                    return 1
                time.sleep(0.5)
            return 0
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
            self.say("stopping: oracles, API, then the chain (writing its state)")
            self.down()


@contextlib.contextmanager
def running(options: StackOptions, say: Say = print) -> Iterator[Stack]:
    """The stack up for the duration of a ``with`` block (tests, scripts)."""
    stack = Stack(options, say)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
