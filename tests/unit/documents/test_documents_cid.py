"""CIDs computed locally equal those of independent IPFS implementations (fixtures with their sources)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest

from ledger.documents.cid import CHUNK_SIZE, Layout, build_dag, cid_to_string, compute_cid, varint
from tests.fixtures.cid.content import fixture_content

REFERENCE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "cid" / "reference_cids.json").read_text("utf-8")
)["files"]


@cache
def _content(size: int) -> bytes:
    return fixture_content(size)


@pytest.mark.parametrize("name", list(REFERENCE))
def test_compute_cid_raw_leaves_equals_js_ipfs_add_cid_version_1(name: str) -> None:
    entry = REFERENCE[name]

    assert compute_cid(_content(entry["size"])) == entry["cidV1RawLeaves"]


@pytest.mark.parametrize("name", list(REFERENCE))
def test_compute_cid_dag_pb_leaves_equals_ipfs_cid_v0(name: str) -> None:
    entry = REFERENCE[name]

    assert compute_cid(_content(entry["size"]), Layout.DAG_PB_LEAVES) == entry["cidV0DagPbLeaves"]


def test_single_chunk_is_a_raw_cid_of_its_sha256() -> None:
    data = _content(CHUNK_SIZE)

    cid = compute_cid(data)

    assert cid.startswith("bafkrei")
    root, blocks = build_dag(data)
    assert root == b"\x01\x55\x12\x20" + hashlib.sha256(data).digest()
    assert len(blocks) == 1


def test_empty_file_is_the_raw_cid_of_nothing() -> None:
    assert compute_cid(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_multi_chunk_file_has_a_dag_pb_root_over_raw_leaves() -> None:
    data = _content(CHUNK_SIZE + 1)

    root, blocks = build_dag(data)

    assert cid_to_string(root).startswith("bafybei")
    assert [b.cid[1] for b in blocks] == [0x55, 0x55, 0x70]
    assert blocks[-1].cid == root


def test_balanced_layout_starts_a_second_level_after_174_leaves() -> None:
    data = _content(50 * 1024 * 1024)  # 200 chunks: 174 + 26 leaves under two inner nodes

    _, blocks = build_dag(data)

    assert len(blocks) == 200 + 2 + 1


@pytest.mark.parametrize(
    ("value", "encoded"), [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")]
)
def test_varint_is_unsigned_leb128(value: int, encoded: bytes) -> None:
    assert varint(value) == encoded
