"""KuboDocumentStore against a real node speaking the Kubo RPC API (js-ipfs from scripts/ipfs).

Needs ``npm ci --prefix scripts/ipfs`` once; skipped otherwise. The node runs offline on a free
loopback port with a temporary repository and is stopped by its PID.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.documents import (
    KuboDocumentStore,
    LocalDocumentStore,
    ObjectNotFound,
    canonical_json,
    compute_cid,
    decrypt_document,
    document_checksum,
    encrypt_document,
    require_valid_transport_document,
)
from tests.fixtures.cid.content import fixture_content

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "scripts" / "ipfs" / "node.mjs"
INSTALLED = ROOT / "scripts" / "ipfs" / "node_modules" / "ipfs-core" / "package.json"
REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "cid" / "reference_cids.json").read_text("utf-8"))[
    "files"
]

pytestmark = [
    pytest.mark.ipfs,
    # ipfshttpclient 0.7 passes an argument urllib3 2.x deprecates; nothing to fix on our side.
    pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning"),
    pytest.mark.skipif(
        not INSTALLED.exists() or shutil.which("node") is None,
        reason="js-ipfs test node not installed: run `npm ci --prefix scripts/ipfs` (needs node 20)",
    ),
]


@pytest.fixture(scope="module")
def ipfs_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    repo = tmp_path_factory.mktemp("ipfs-repo")
    log = (repo.parent / "ipfs-node.log").open("wb")
    node = subprocess.Popen(
        ["node", str(LAUNCHER), str(repo / "repo"), "0"], stdout=subprocess.PIPE, stderr=log, cwd=ROOT
    )
    try:
        assert node.stdout is not None
        deadline = time.monotonic() + 60
        line = b""
        while time.monotonic() < deadline and not line.startswith(b"API "):
            line = node.stdout.readline()
            if not line and node.poll() is not None:
                pytest.fail(f"js-ipfs node exited with {node.returncode}; see {log.name}")
        port = line.decode().strip().rsplit("/", 1)[-1]
        yield f"/ip4/127.0.0.1/tcp/{port}/http"
    finally:
        node.terminate()
        try:
            node.wait(timeout=15)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()
        log.close()


@pytest.fixture(scope="module")
def kubo(ipfs_api: str) -> Iterator[KuboDocumentStore]:
    store = KuboDocumentStore(ipfs_api)
    yield store
    store.close()


@pytest.mark.parametrize("name", [n for n in REFERENCE if REFERENCE[n]["size"] <= 1024 * 1024])
def test_kubo_put_gives_the_reference_cid_and_the_local_store_cid(
    kubo: KuboDocumentStore, tmp_path: Path, name: str
) -> None:
    data = fixture_content(REFERENCE[name]["size"])

    cid = kubo.put(data)

    assert cid == REFERENCE[name]["cidV1RawLeaves"]
    assert cid == LocalDocumentStore(tmp_path).put(data)
    assert kubo.has(cid)
    assert kubo.get(cid) == data


@pytest.mark.slow
def test_kubo_put_of_fifty_mebibytes_gives_the_reference_cid(kubo: KuboDocumentStore) -> None:
    data = fixture_content(50 * 1024 * 1024)

    cid = kubo.put(data)

    assert cid == REFERENCE["fifty-mebibytes"]["cidV1RawLeaves"] == compute_cid(data)
    assert kubo.get(cid) == data


def test_kubo_pin_keeps_an_object_and_refuses_an_absent_one(kubo: KuboDocumentStore) -> None:
    cid = kubo.put(b"pinned envelope")

    kubo.pin(cid)
    absent = compute_cid(b"never added to the node")
    assert not kubo.has(absent)
    with pytest.raises(ObjectNotFound):
        kubo.pin(absent)
    with pytest.raises(ObjectNotFound):
        kubo.get(absent)


def test_encrypted_transport_document_round_trips_through_ipfs_under_the_local_cid(
    kubo: KuboDocumentStore, tmp_path: Path
) -> None:
    document = json.loads(
        (ROOT / "tests" / "fixtures" / "dcsa" / "valid" / "issued-straight.json").read_text()
    )
    require_valid_transport_document(document)
    carrier, consignee = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    encrypted = encrypt_document(canonical_json(document), [carrier.public_key(), consignee.public_key()])

    cid = kubo.put(encrypted.envelope)

    assert cid == LocalDocumentStore(tmp_path).put(encrypted.envelope)
    plaintext = decrypt_document(kubo.get(cid), encrypted.wraps, consignee)
    assert document_checksum(json.loads(plaintext)) == document_checksum(document)
