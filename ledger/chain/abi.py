"""ABI encoding and decoding over ``eth_abi``: function calls, return values, events, custom errors.

Structs come back as ``dict`` keyed by their component names, so callers read ``bill["possessor"]``
instead of positional tuples. Addresses come back checksummed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

AbiItem = dict[str, Any]


def type_string(param: AbiItem) -> str:
    """Canonical type of an ABI parameter, expanding tuples: ``(uint32,address)[]``."""
    typ: str = param["type"]
    if typ.startswith("tuple"):
        inner = ",".join(type_string(c) for c in param["components"])
        return f"({inner}){typ[5:]}"
    return typ


def signature(item: AbiItem) -> str:
    return f"{item['name']}({','.join(type_string(i) for i in item.get('inputs', []))})"


@lru_cache(maxsize=4096)
def _keccak_text(text: str) -> bytes:
    return bytes(keccak(text=text))


def selector(item: AbiItem) -> bytes:
    return _keccak_text(signature(item))[:4]


def topic0(item: AbiItem) -> bytes:
    return _keccak_text(signature(item))


@lru_cache(maxsize=65536)
def checksum_address(address: str) -> str:
    """EIP-55 form of an address (cached: a node sees the same few hundred addresses again and again)."""
    return str(to_checksum_address(address))


def _normalise(param: AbiItem, value: Any) -> Any:
    typ: str = param["type"]
    if typ.endswith("]"):
        inner = dict(param, type=typ[: typ.rindex("[")])
        return [_normalise(inner, v) for v in value]
    if typ == "tuple":
        return {
            c["name"] or str(i): _normalise(c, v)
            for i, (c, v) in enumerate(zip(param["components"], value, strict=True))
        }
    if typ == "address":
        return checksum_address(value)
    return value


def _prepare(param: AbiItem, value: Any) -> Any:
    """Accept dicts for structs on the way in (by component name) as well as tuples."""
    typ: str = param["type"]
    if typ.endswith("]"):
        inner = dict(param, type=typ[: typ.rindex("[")])
        return [_prepare(inner, v) for v in value]
    if typ == "tuple":
        comps = param["components"]
        if isinstance(value, dict):
            value = [value[c["name"]] for c in comps]
        return tuple(_prepare(c, v) for c, v in zip(comps, value, strict=True))
    if typ.startswith("bytes") and typ != "bytes" and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    if typ == "bytes" and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return value


def encode_args(params: list[AbiItem], args: tuple[Any, ...] | list[Any]) -> bytes:
    if len(params) != len(args):
        raise TypeError(f"expected {len(params)} arguments, got {len(args)}")
    types = [type_string(p) for p in params]
    return abi_encode(types, [_prepare(p, a) for p, a in zip(params, args, strict=True)])


def decode_values(params: list[AbiItem], data: bytes) -> list[Any]:
    types = [type_string(p) for p in params]
    raw = abi_decode(types, data)
    return [_normalise(p, v) for p, v in zip(params, raw, strict=True)]


def decode_named(params: list[AbiItem], data: bytes) -> dict[str, Any]:
    values = decode_values(params, data)
    return {p["name"] or str(i): v for i, (p, v) in enumerate(zip(params, values, strict=True))}


@dataclass(frozen=True)
class DecodedEvent:
    """One decoded log: the event name, its arguments by name, and where it came from."""

    name: str
    args: dict[str, Any]
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


def decode_log(item: AbiItem, log: dict[str, Any]) -> DecodedEvent:
    inputs: list[AbiItem] = item["inputs"]
    topics = [_to_bytes(t) for t in log["topics"]]
    indexed = [p for p in inputs if p.get("indexed")]
    plain = [p for p in inputs if not p.get("indexed")]
    args: dict[str, Any] = {}
    for param, topic in zip(indexed, topics[1:], strict=True):
        typ = type_string(param)
        if typ in ("string", "bytes") or typ.startswith("(") or typ.endswith("]"):
            args[param["name"]] = topic  # hashed: the value itself is not recoverable
        else:
            args[param["name"]] = _normalise(param, abi_decode([typ], topic)[0])
    values = decode_values(plain, _to_bytes(log["data"]))
    for param, value in zip(plain, values, strict=True):
        args[param["name"]] = value
    ordered = {p["name"]: args[p["name"]] for p in inputs}
    return DecodedEvent(
        name=item["name"],
        args=ordered,
        address=checksum_address(log["address"]),
        block_number=_to_int(log["blockNumber"]),
        block_hash=_hex(log["blockHash"]),
        tx_hash=_hex(log["transactionHash"]),
        log_index=_to_int(log["logIndex"]),
        raw=log,
    )


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))


def _to_int(value: Any) -> int:
    return value if isinstance(value, int) else int(str(value), 16)


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)
