"""What the embedded stack is made of and where it lives: options, the data directory, its checks.

Owns the names ``portledger run`` takes (flags or ``PORTLEDGER_*``), the layout of the data dir, the
demo organisations' role names, the :class:`StackError` every part raises for the operator, and the
small file helpers the parts share (private files, damaged-file checks). Starts nothing.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.consortium_config import ConsortiumConfig

ROOT = Path(__file__).resolve().parents[2]
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

ORACLE_AGENCIES: tuple[str, ...] = ("customs", "terminal", "maritime")
"""The agencies whose oracle runner the stack starts (each with its signer processes, where the
deployment gave it report signers): every agency organisation of the demo consortium."""
MEMBER_SENDERS: tuple[str, ...] = ("terminal",)
"""The agencies whose runner writes as a member of its organisation (the terminal's gate moves), not
only relays signed reports: the stack makes their relayer key a member account on chain."""
RELAYER_LABEL = "oracle-relayer"
"""The label of the key an oracle runner relays its reports from, in its agency's wallet."""
DEFAULT_TIME_ZONE = "Asia/Shanghai"
"""The zone of the times in the demo port's messages that carry no offset (EDIFACT DTM format 203)."""

DEMO_KEYS_WARNING = (
    "{path} holds API keys of every demo organisation: it is for the demo only. "
    "Never use these keys, this passphrase file or this data directory in production."
)

Say = Callable[[str], None]


class StackError(RuntimeError):
    """Something the operator must fix; ``str()`` is one sentence saying what and how."""


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
    api_workers: int | None = None
    """API worker processes; None: one per core (:func:`cli.stack.database.choose_database` decides)."""
    start_timeout: float = 120.0
    time_zone: str = DEFAULT_TIME_ZONE
    """Each oracle runner's zone for message times without an offset (``PORTLEDGER_TIME_ZONE``)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> StackOptions:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "data_dir": Path(env.get("PORTLEDGER_DATA_DIR") or "data"),
            "api_port": int(env.get("PORTLEDGER_API_PORT") or 8000),
            "chain_port": int(env.get("PORTLEDGER_CHAIN_PORT") or 8545),
            "state_interval": int(env.get("PORTLEDGER_STATE_INTERVAL") or 1),
            "api_workers": _count(env, "PORTLEDGER_API_WORKERS"),
            "time_zone": _zone(env, "PORTLEDGER_TIME_ZONE") or DEFAULT_TIME_ZONE,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.chain_port}"

    def consortium_config(self) -> ConsortiumConfig:
        """The consortium the stack seeds and serves (``config/consortium.demo.yaml`` by default)."""
        from ledger.consortium_config import ConsortiumConfig

        return ConsortiumConfig.load(self.config)


def _zone(env: Mapping[str, str], name: str) -> str | None:
    """An IANA time zone name from the environment, None when unset."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    raw = env.get(name)
    if not raw:
        return None
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise StackError(
            f"{name}={raw!r} is not a time zone: set it to an IANA name such as Asia/Shanghai, or unset it"
        ) from None
    return raw


def _count(env: Mapping[str, str], name: str) -> int | None:
    """A positive whole number from the environment, None when unset."""
    raw = env.get(name)
    if not raw:
        return None
    if not raw.strip().isdigit() or int(raw) < 1:
        raise StackError(f"{name}={raw!r} is not a positive whole number: set it to 1 or more, or unset it")
    return int(raw)


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

    def log(self, name: str) -> Path:
        """The log file of one child process (``anvil``, ``api``, ``oracle-customs``, …)."""
        return self.logs / f"{name}.log"

    @property
    def pids(self) -> Path:
        return self.root / "run" / "pids.json"

    @property
    def pg(self) -> Path:
        """The embedded PostgreSQL server's cluster (its own ``log`` file and Unix socket inside)."""
        return self.root / "pg"

    @property
    def sqlite_file(self) -> Path:
        """The single-process node's SQLite database (``ledger.settings``' default)."""
        return self.root / "portledger.db"

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


def read_json(path: Path, what: str) -> Any:
    """A JSON file of the data dir; a damaged one is a :class:`StackError` saying how to recover."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise StackError(
            f"{path} ({what}) is damaged and cannot be read: restore the data directory from a backup, "
            f"or move it aside and run `make run` again to start a fresh demo"
        ) from None


def check_data_dir(layout: DataLayout) -> None:
    """Refuse a data dir that is not a folder or holds damaged files, before anything starts."""
    root = layout.root
    if root.exists() and not root.is_dir():
        raise StackError(
            f"the data directory {root} is a file, not a folder: move it aside or set PORTLEDGER_DATA_DIR"
        )
    if layout.state_file.exists():
        state = read_json(layout.state_file, "the chain state")
        if not isinstance(state, dict) or ("block" not in state and "accounts" not in state):
            raise StackError(
                f"{layout.state_file} (the chain state) is not an anvil state file: restore the data "
                "directory from a backup, or move it aside and run `make run` again to start a fresh demo"
            )
    if layout.deployment.exists():
        read_json(layout.deployment, "the deployment record")
        if not layout.state_file.exists():
            raise StackError(
                f"{layout.deployment} records a deployment but the chain state {layout.state_file} is "
                "missing: restore the data directory from a backup, or move it aside and run `make run` "
                "again to start a fresh demo"
            )
    if layout.demo_keys.exists():
        read_json(layout.demo_keys, "the demo API keys")


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
