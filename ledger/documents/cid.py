"""Content identifiers: the CID IPFS gives a file, computed locally.

Owns the UnixFS importer layout that ``ipfs add`` uses (fixed 256 KiB chunks, balanced DAG with at
most 174 links per node) and the encodings under it: unsigned varints, the dag-pb ``PBNode`` /
``PBLink`` protobufs, the UnixFS ``Data`` protobuf, multihash sha2-256, CIDv1 in multibase base32
and CIDv0 in base58btc. Two layouts are supported:

* ``RAW_LEAVES`` (``ipfs add --cid-version=1``, the project default): leaves are raw blocks; a file
  of at most one chunk (also the empty file) is a single raw block, ``bafkrei…``; larger files have a
  dag-pb root, ``bafybei…``.
* ``DAG_PB_LEAVES`` (``ipfs add`` with CIDv0, Kubo's legacy default): every node, leaves included,
  is a dag-pb node wrapping UnixFS; the CID is the base58btc multihash, ``Qm…``. It exists to compare
  the tree builder with independent CIDv0 tools.

Nothing here does I/O: callers hand in bytes and get the identifier and, if they ask, the blocks.
"""

from __future__ import annotations

import enum
import hashlib
from base64 import b32encode
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174

_SHA2_256 = 0x12
_CODEC_RAW = 0x55
_CODEC_DAG_PB = 0x70
_UNIXFS_FILE = 2
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class Layout(enum.Enum):
    """How leaves are encoded (see the module docstring)."""

    RAW_LEAVES = "raw-leaves"
    DAG_PB_LEAVES = "dag-pb-leaves"


def varint(value: int) -> bytes:
    """Unsigned LEB128, as protobuf and multiformats use it."""
    if value < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def _field_bytes(number: int, value: bytes) -> bytes:
    return varint((number << 3) | 2) + varint(len(value)) + value


def unixfs_file_data(data: bytes | None, filesize: int, blocksizes: list[int]) -> bytes:
    """The UnixFS ``Data`` message of a file node: Type=File, Data, filesize, blocksizes (unpacked)."""
    out = _field_varint(1, _UNIXFS_FILE)
    if data:
        out += _field_bytes(2, data)
    out += _field_varint(3, filesize)
    for size in blocksizes:
        out += _field_varint(4, size)
    return out


@dataclass(frozen=True, slots=True)
class _Link:
    cid: bytes
    tsize: int
    """Cumulative size of the linked subtree's blocks (dag-pb ``Tsize``)."""
    filesize: int
    """Bytes of file content under the link (goes into the parent's ``blocksizes``)."""


def dag_pb_node(links: list[_Link], data: bytes) -> bytes:
    """Encode a dag-pb ``PBNode``: links first (field 2), then data (field 1), as the spec orders them.

    Each link carries Hash, an empty Name and Tsize, as both Kubo and js-ipfs write them.
    """
    out = b""
    for link in links:
        body = _field_bytes(1, link.cid) + _field_bytes(2, b"") + _field_varint(3, link.tsize)
        out += _field_bytes(2, body)
    return out + _field_bytes(1, data)


def _multihash(block: bytes) -> bytes:
    return bytes([_SHA2_256, 32]) + hashlib.sha256(block).digest()


def _cid_v1(codec: int, block: bytes) -> bytes:
    return b"\x01" + varint(codec) + _multihash(block)


def cid_to_string(cid: bytes) -> str:
    """Text form: CIDv0 (a bare multihash) in base58btc, CIDv1 in multibase base32 lowercase."""
    if cid[:2] == bytes([_SHA2_256, 32]) and len(cid) == 34:
        return _base58btc(cid)
    return "b" + b32encode(cid).decode("ascii").lower().rstrip("=")


def _base58btc(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    digits = []
    while number:
        number, rem = divmod(number, 58)
        digits.append(_B58_ALPHABET[rem])
    leading = len(raw) - len(raw.lstrip(b"\x00"))
    return "1" * leading + "".join(reversed(digits))


@dataclass(frozen=True, slots=True)
class Block:
    """One block of the DAG: its binary CID and its bytes."""

    cid: bytes
    data: bytes


def _chunks(content: bytes) -> Iterator[bytes]:
    for offset in range(0, len(content), CHUNK_SIZE):
        yield content[offset : offset + CHUNK_SIZE]


def _leaf(chunk: bytes, layout: Layout) -> tuple[_Link, Block]:
    if layout is Layout.RAW_LEAVES:
        cid = _cid_v1(_CODEC_RAW, chunk)
        return _Link(cid, len(chunk), len(chunk)), Block(cid, chunk)
    node = dag_pb_node([], unixfs_file_data(chunk, len(chunk), []))
    cid = _multihash(node)
    return _Link(cid, len(node), len(chunk)), Block(cid, node)


def _parent(children: list[_Link], layout: Layout) -> tuple[_Link, Block]:
    filesize = sum(child.filesize for child in children)
    node = dag_pb_node(children, unixfs_file_data(None, filesize, [c.filesize for c in children]))
    cid = _multihash(node) if layout is Layout.DAG_PB_LEAVES else _cid_v1(_CODEC_DAG_PB, node)
    tsize = len(node) + sum(child.tsize for child in children)
    return _Link(cid, tsize, filesize), Block(cid, node)


def build_dag(content: bytes, layout: Layout = Layout.RAW_LEAVES) -> tuple[bytes, list[Block]]:
    """Chunk ``content`` and build the balanced UnixFS DAG; return the root CID and every block.

    The balanced layout fills each node with up to ``MAX_LINKS`` children before starting the next,
    level by level, which is the tree ``ipfs add`` (Kubo and js-ipfs) builds. A single chunk is its
    own root.
    """
    blocks: list[Block] = []
    level: list[_Link] = []
    for chunk in _chunks(content) if content else iter([b""]):
        link, block = _leaf(chunk, layout)
        level.append(link)
        blocks.append(block)
    while len(level) > 1:
        next_level: list[_Link] = []
        for start in range(0, len(level), MAX_LINKS):
            link, block = _parent(level[start : start + MAX_LINKS], layout)
            next_level.append(link)
            blocks.append(block)
        level = next_level
    return level[0].cid, blocks


def compute_cid(content: bytes, layout: Layout = Layout.RAW_LEAVES) -> str:
    """The CID ``ipfs add`` answers for ``content`` (CIDv1 base32 for raw leaves, CIDv0 otherwise)."""
    root, _ = build_dag(content, layout)
    return cid_to_string(root)
