"""The embedded content-addressed store: IPFS-equal CIDs, atomic writes, verified reads."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.documents import (
    DocumentStore,
    InvalidCid,
    LocalDocumentStore,
    ObjectCorrupted,
    ObjectNotFound,
    canonical_json,
    compute_cid,
    decrypt_document,
    document_checksum,
    encrypt_document,
)
from tests.fixtures.cid.content import fixture_content

DCSA = Path(__file__).resolve().parents[2] / "fixtures" / "dcsa"


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "objects")


def _file_of(store: LocalDocumentStore, cid: str) -> Path:
    return store.root / cid[-2:] / cid


def test_local_store_is_a_document_store(store: LocalDocumentStore) -> None:
    assert isinstance(store, DocumentStore)


@pytest.mark.parametrize("size", [0, 1, 256 * 1024, 256 * 1024 + 1, 1024 * 1024])
def test_put_returns_the_ipfs_cid_and_get_returns_the_bytes(store: LocalDocumentStore, size: int) -> None:
    data = fixture_content(size)

    cid = store.put(data)

    assert cid == compute_cid(data)
    assert store.has(cid)
    assert store.get(cid) == data


def test_put_twice_is_idempotent_and_leaves_no_temporary_files(store: LocalDocumentStore) -> None:
    first = store.put(b"encrypted document")
    second = store.put(b"encrypted document")

    assert first == second
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [first]


def test_get_when_absent_raises_object_not_found(store: LocalDocumentStore) -> None:
    cid = compute_cid(b"never stored")

    assert not store.has(cid)
    with pytest.raises(ObjectNotFound) as caught:
        store.get(cid)
    assert caught.value.cid == cid


def test_get_when_file_was_altered_raises_object_corrupted(store: LocalDocumentStore) -> None:
    cid = store.put(b"encrypted document")
    _file_of(store, cid).write_bytes(b"encrypted documenT")

    with pytest.raises(ObjectCorrupted) as caught:
        store.get(cid)

    assert caught.value.cid == cid
    assert caught.value.actual == compute_cid(b"encrypted documenT")


def test_put_repairs_a_corrupted_object(store: LocalDocumentStore) -> None:
    cid = store.put(b"encrypted document")
    _file_of(store, cid).write_bytes(b"garbage")

    assert store.put(b"encrypted document") == cid
    assert store.get(cid) == b"encrypted document"


def test_pin_when_present_succeeds_and_when_absent_raises_object_not_found(store: LocalDocumentStore) -> None:
    cid = store.put(b"encrypted document")

    store.pin(cid)
    with pytest.raises(ObjectNotFound):
        store.pin(compute_cid(b"other"))


@pytest.mark.parametrize(
    "cid",
    [
        "../../etc/passwd",
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
        "BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU",
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",
    ],
)
def test_get_when_identifier_is_not_a_cidv1_base32_raises_invalid_cid(
    store: LocalDocumentStore, cid: str
) -> None:
    with pytest.raises(InvalidCid):
        store.get(cid)


def test_encrypted_document_stored_locally_decrypts_to_the_checksummed_bytes(
    store: LocalDocumentStore,
) -> None:
    document = json.loads((DCSA / "valid" / "issued-negotiable-blank.json").read_text("utf-8"))
    holder = X25519PrivateKey.generate()
    encrypted = encrypt_document(canonical_json(document), [holder.public_key()], b"title/1")

    cid = store.put(encrypted.envelope)

    plaintext = decrypt_document(store.get(cid), encrypted.wraps, holder, b"title/1")
    assert hashlib.sha256(plaintext).hexdigest() == document_checksum(document).hex
