"""JSON-RPC chain client: deploy, call, transact, wait for receipts, decode reverts and events.

Talks to any EVM JSON-RPC endpoint (anvil, Besu, ...) and never assumes instant mining: a sent
transaction is followed by receipt polling until it is mined or a timeout passes. Every write is
first estimated (``eth_estimateGas``) against the latest state, so a call that would revert raises
the decoded :class:`~ledger.domain.errors.ContractRevert` and nothing is sent.

A sender is either an address the node has unlocked (``eth_sendTransaction``; anvil's development
accounts) or a signer object with ``address`` and ``sign_transaction(tx) -> bytes`` (see
``wallets``), whose transactions are signed here and sent raw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ledger.chain.abi import (
    AbiItem,
    DecodedEvent,
    checksum_address,
    decode_log,
    decode_named,
    decode_values,
    encode_args,
    selector,
)
from ledger.chain.artifacts import Artifact, Artifacts
from ledger.chain.transport import JsonRpcTransport, TransportError
from ledger.domain.errors import ChainUnavailable, ContractRevert, TransactionTimeout

_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


@runtime_checkable
class TransactionSigner(Protocol):
    """What the client needs of a local or remote signer."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, tx: dict[str, Any]) -> bytes: ...


Sender = str | TransactionSigner


class RpcError(Exception):
    """A JSON-RPC error answer that is not a revert."""

    def __init__(self, method: str, error: dict[str, Any]):
        self.method = method
        self.error = error
        super().__init__(f"{method}: {error.get('message')} (code {error.get('code')})")


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    status: int
    logs: list[dict[str, Any]] = field(repr=False)
    events: list[DecodedEvent] = field(repr=False)

    def event(self, name: str) -> DecodedEvent:
        """The single event called ``name`` in this receipt."""
        found = [e for e in self.events if e.name == name]
        if len(found) != 1:
            raise LookupError(
                f"expected one {name} event, found {len(found)}: {[e.name for e in self.events]}"
            )
        return found[0]


def _enum_args(inputs: list[dict[str, Any]]) -> dict[str, str]:
    """Error arguments that are Solidity enums, by name: their ABI ``internalType`` (``enum
    BillStatus``), or a ``uint8 role`` (the contracts pass ``Role`` as its number)."""
    out: dict[str, str] = {}
    for param in inputs:
        internal = str(param.get("internalType", ""))
        if internal.startswith("enum "):
            out[param["name"]] = internal.removeprefix("enum ")
        elif param.get("name") == "role" and param.get("type") == "uint8":
            out["role"] = "Role"
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


def _revert_data(error: dict[str, Any]) -> bytes | None:
    """Revert bytes from a JSON-RPC error object, or None if it is not a revert."""
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest {"data": {"data": "0x.."}} or {"result": ..}
        data = data.get("data") or data.get("result")
    message = str(error.get("message", "")).lower()
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if error.get("code") == 3 or "revert" in message:
        return b""
    return None


class ChainClient:
    """One JSON-RPC endpoint plus the compiled artifacts used to talk to it."""

    def __init__(
        self,
        rpc_url: str,
        artifacts: Artifacts | None = None,
        receipt_timeout: float = 60.0,
        poll_interval: float = 0.005,
        request_timeout: float = 30.0,
    ):
        self.rpc_url = rpc_url
        self.artifacts = artifacts or Artifacts()
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self._transport = JsonRpcTransport(rpc_url, timeout=request_timeout)
        self._chain_id: int | None = None

    # -- transport ---------------------------------------------------------------------------
    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
        try:
            answer = self._transport.post(request)
        except TransportError as exc:
            raise ChainUnavailable(f"{self.rpc_url} did not answer {method}: {exc}") from exc
        if not isinstance(answer, dict):
            raise ChainUnavailable(f"{self.rpc_url} answered {method} with {type(answer).__name__}")
        if "error" in answer:
            raise RpcError(method, dict(answer["error"]))
        return answer["result"]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Send several requests in one JSON-RPC batch; answers in request order (result or error)."""
        if not calls:
            return []
        requests = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        try:
            answers = self._transport.post(requests)
        except TransportError as exc:
            raise ChainUnavailable(f"{self.rpc_url} did not answer a batch: {exc}") from exc
        if isinstance(answers, dict):  # a batch-level error
            raise RpcError("batch", dict(answers.get("error", answers)))
        by_id = {int(str(a["id"])): dict(a) for a in answers}
        return [by_id[i] for i in sorted(by_id)]

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = _int(self.rpc("eth_chainId"))
        return self._chain_id

    def block_number(self) -> int:
        return _int(self.rpc("eth_blockNumber"))

    def get_block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block: dict[str, Any] = self.rpc("eth_getBlockByNumber", [tag, False])
        return block

    def code_at(self, address: str) -> bytes:
        return bytes.fromhex(str(self.rpc("eth_getCode", [address, "latest"]))[2:])

    # -- test chain controls (anvil / hardhat compatible) ---------------------------------------
    def snapshot(self) -> str:
        return str(self.rpc("evm_snapshot"))

    def revert(self, snapshot_id: str) -> bool:
        return bool(self.rpc("evm_revert", [snapshot_id]))

    def increase_time(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", [seconds])
        self.rpc("evm_mine")

    def mine(self) -> None:
        self.rpc("evm_mine")

    def latest_timestamp(self) -> int:
        return _int(self.get_block()["timestamp"])

    # -- contracts ---------------------------------------------------------------------------
    def at(self, name: str, address: str) -> Contract:
        return Contract(self, self.artifacts.get(name), checksum_address(address))

    def deploy(self, name: str, *args: Any, sender: Sender, gas: int | None = None) -> Contract:
        artifact = self.artifacts.get(name)
        data = bytes.fromhex(artifact.bytecode[2:]) + encode_args(artifact.constructor["inputs"], args)
        receipt = self.send({"data": "0x" + data.hex()}, sender=sender, gas=gas)
        raw = self.rpc("eth_getTransactionReceipt", [receipt.tx_hash])
        address = raw.get("contractAddress")
        if not address:
            raise RuntimeError(f"deployment of {name} produced no contract address")
        return Contract(self, artifact, checksum_address(address))

    # -- calls and transactions -----------------------------------------------------------------
    def decode_revert(self, data: bytes, tx_hash: str | None = None) -> ContractRevert:
        if len(data) < 4:
            return ContractRevert("EmptyRevert", {}, data, tx_hash)
        sel, body = data[:4], data[4:]
        if sel == _ERROR_STRING:
            return ContractRevert(
                "Error", {"message": decode_values([{"type": "string"}], body)[0]}, data, tx_hash
            )
        if sel == _PANIC:
            return ContractRevert(
                "Panic", {"code": decode_values([{"type": "uint256"}], body)[0]}, data, tx_hash
            )
        item = self.artifacts.errors_by_selector.get(sel)
        if item is None:
            return ContractRevert("UnknownRevert", {"data": data}, data, tx_hash)
        args = decode_named(item["inputs"], body)
        return ContractRevert(item["name"], args, data, tx_hash, enums=_enum_args(item["inputs"]))

    def _raise_if_revert(self, exc: RpcError, tx_hash: str | None = None) -> None:
        data = _revert_data(exc.error)
        if data is not None:
            raise self.decode_revert(data, tx_hash) from None

    def eth_call(self, tx: dict[str, Any], block: int | str = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        try:
            result = self.rpc("eth_call", [tx, tag])
        except RpcError as exc:
            self._raise_if_revert(exc)
            raise
        return bytes.fromhex(str(result)[2:])

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        try:
            return _int(self.rpc("eth_estimateGas", [tx]))
        except RpcError as exc:
            self._raise_if_revert(exc)
            raise

    def send(self, tx: dict[str, Any], sender: Sender, gas: int | None = None, wait: bool = True) -> Receipt:
        """Pre-check, send and (by default) wait for the receipt of one transaction."""
        tx_hash = self.send_only(tx, sender=sender, gas=gas)
        if not wait:
            return Receipt(tx_hash, -1, "", 0, -1, [], [])
        return self.wait(tx_hash, tx=tx, sender=sender)

    def send_only(self, tx: dict[str, Any], sender: Sender, gas: int | None = None) -> str:
        address = sender if isinstance(sender, str) else sender.address
        tx = {**tx, "from": checksum_address(address)}
        if gas is None:
            estimate = self.estimate_gas(tx)
            gas = estimate + estimate // 5 + 10_000
        tx["gas"] = hex(gas)
        if isinstance(sender, str):
            return str(self.rpc("eth_sendTransaction", [tx]))
        full = {
            "to": tx.get("to"),
            "data": tx["data"],
            "value": _int(tx.get("value", 0)),
            "gas": gas,
            "gasPrice": _int(self.rpc("eth_gasPrice")),
            "nonce": _int(self.rpc("eth_getTransactionCount", [tx["from"], "pending"])),
            "chainId": self.chain_id,
        }
        if full["to"] is None:
            del full["to"]
        raw = sender.sign_transaction(full)
        return str(self.rpc("eth_sendRawTransaction", ["0x" + raw.hex()]))

    def wait(
        self,
        tx_hash: str,
        tx: dict[str, Any] | None = None,
        sender: Sender | None = None,
        timeout: float | None = None,
    ) -> Receipt:
        """Poll for the receipt; a reverted receipt raises the decoded error (replayed with eth_call)."""
        deadline = time.monotonic() + (timeout or self.receipt_timeout)
        interval = self.poll_interval
        while True:
            raw = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if raw is not None and raw.get("blockNumber") is not None:
                break
            if time.monotonic() > deadline:
                raise TransactionTimeout(f"no receipt for {tx_hash} after {timeout or self.receipt_timeout}s")
            time.sleep(interval)
            interval = min(interval * 2, 0.25)
        receipt = self.to_receipt(raw)
        if receipt.status != 1:
            if tx is not None and sender is not None:
                replay = {**tx, "from": sender if isinstance(sender, str) else sender.address}
                try:
                    self.eth_call(replay, block=max(receipt.block_number - 1, 0))
                except ContractRevert as revert:
                    revert.tx_hash = tx_hash
                    raise
                except RpcError:  # that block's state is no longer held: the revert stays unnamed
                    pass
            raise ContractRevert("TransactionReverted", {"txHash": tx_hash}, b"", tx_hash)
        return receipt

    def to_receipt(self, raw: dict[str, Any]) -> Receipt:
        logs = list(raw.get("logs", []))
        return Receipt(
            tx_hash=str(raw["transactionHash"]),
            block_number=_int(raw["blockNumber"]),
            block_hash=str(raw["blockHash"]),
            gas_used=_int(raw["gasUsed"]),
            status=_int(raw.get("status", "0x1")),
            logs=logs,
            events=self.decode_logs(logs),
        )

    def decode_logs(self, logs: list[dict[str, Any]]) -> list[DecodedEvent]:
        out = []
        for log in logs:
            topics = log.get("topics") or []
            if not topics:
                continue
            item = self.artifacts.events_by_topic.get(bytes.fromhex(str(topics[0])[2:]))
            if item is not None:
                out.append(decode_log(item, log))
        return out

    def get_logs(
        self, address: str | list[str], from_block: int, to_block: int, topics: list[Any] | None = None
    ) -> list[DecodedEvent]:
        params: dict[str, Any] = {"address": address, "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        if topics:
            params["topics"] = topics
        logs: list[dict[str, Any]] = self.rpc("eth_getLogs", [params])
        return self.decode_logs(logs)


class Contract:
    """A deployed contract bound to its artifact."""

    def __init__(self, chain: ChainClient, artifact: Artifact, address: str):
        self.chain = chain
        self.artifact = artifact
        self.address = address

    def __repr__(self) -> str:
        return f"<{self.artifact.name} at {self.address}>"

    def _function(self, name: str, args: tuple[Any, ...]) -> AbiItem:
        candidates = self.artifact.functions.get(name)
        if not candidates:
            raise AttributeError(f"{self.artifact.name} has no function {name}")
        matching = [c for c in candidates if len(c["inputs"]) == len(args)]
        if len(matching) != 1:
            raise TypeError(f"{self.artifact.name}.{name}: no unique overload for {len(args)} arguments")
        return matching[0]

    def encode(self, name: str, *args: Any) -> bytes:
        item = self._function(name, args)
        return selector(item) + encode_args(item["inputs"], args)

    def call(self, name: str, *args: Any, sender: str | None = None, block: int | str = "latest") -> Any:
        item = self._function(name, args)
        tx: dict[str, Any] = {
            "to": self.address,
            "data": "0x" + (selector(item) + encode_args(item["inputs"], args)).hex(),
        }
        if sender:
            tx["from"] = sender
        out = decode_values(item["outputs"], self.chain.eth_call(tx, block))
        return out[0] if len(out) == 1 else tuple(out)

    def calls(self, requests: list[tuple[str, tuple[Any, ...]]], block: int | str = "latest") -> list[Any]:
        """Several view calls in one JSON-RPC batch at one block; a reverted call's place holds its
        :class:`ContractRevert` (returned, not raised)."""
        items = [self._function(name, args) for name, args in requests]
        tag = hex(block) if isinstance(block, int) else block
        batch = [
            (
                "eth_call",
                [{"to": self.address, "data": "0x" + (selector(i) + encode_args(i["inputs"], a)).hex()}, tag],
            )
            for i, (_, a) in zip(items, requests, strict=True)
        ]
        out: list[Any] = []
        for item, answer in zip(items, self.chain.batch(batch), strict=True):
            if "error" in answer:
                error = RpcError("eth_call", dict(answer["error"]))
                data = _revert_data(error.error)
                if data is None:
                    raise error
                out.append(self.chain.decode_revert(data))
                continue
            values = decode_values(item["outputs"], bytes.fromhex(str(answer["result"])[2:]))
            out.append(values[0] if len(values) == 1 else tuple(values))
        return out

    def precheck(self, name: str, *args: Any, sender: Sender) -> None:
        """Raise the decoded revert if ``name(args)`` from ``sender`` would revert now; send nothing."""
        address = sender if isinstance(sender, str) else sender.address
        self.chain.eth_call(
            {"from": address, "to": self.address, "data": "0x" + self.encode(name, *args).hex()}
        )

    def transact(
        self, name: str, *args: Any, sender: Sender, gas: int | None = None, value: int = 0
    ) -> Receipt:
        tx = {"to": self.address, "data": "0x" + self.encode(name, *args).hex()}
        if value:
            tx["value"] = hex(value)
        return self.chain.send(tx, sender=sender, gas=gas)

    def events(self, receipt: Receipt) -> list[DecodedEvent]:
        return [e for e in receipt.events if e.address == self.address]
