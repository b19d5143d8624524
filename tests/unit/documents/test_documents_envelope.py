"""Document encryption: envelope, key wraps per organisation, tampering, adding a reader."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.documents import (
    EnvelopeMalformed,
    EnvelopeTampered,
    KeyWrap,
    KeyWrapTampered,
    NotEntitled,
    add_recipient,
    compute_cid,
    decrypt_document,
    encrypt_document,
    generate_content_key,
    open_envelope,
    seal,
    unwrap_content_key,
)
from ledger.documents.envelope import ENVELOPE_HEADER_SIZE, WRAP_SIZE

PLAINTEXT = b'{"transportDocumentReference":"HMM2023121900001","note":"\xc3\xa9"}' * 50
BINDING = b"title:0x01/version:1"


@pytest.fixture
def carrier() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture
def shipper() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture
def bank() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def _raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_encrypt_every_recipient_decrypts_the_same_plaintext(
    carrier: X25519PrivateKey, shipper: X25519PrivateKey
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key(), shipper.public_key()], BINDING)

    assert len(encrypted.wraps) == 2
    assert decrypt_document(encrypted.envelope, encrypted.wraps, carrier, BINDING) == PLAINTEXT
    assert decrypt_document(encrypted.envelope, encrypted.wraps, shipper, BINDING) == PLAINTEXT


def test_envelope_has_header_and_hides_the_plaintext(carrier: X25519PrivateKey) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()])

    assert encrypted.envelope[:6] == b"PLDE\x01\x01"
    assert len(encrypted.envelope) == ENVELOPE_HEADER_SIZE + len(PLAINTEXT) + 16
    assert b"transportDocumentReference" not in encrypted.envelope


def test_encrypt_twice_gives_different_envelopes(carrier: X25519PrivateKey) -> None:
    first = encrypt_document(PLAINTEXT, [carrier.public_key()])
    second = encrypt_document(PLAINTEXT, [carrier.public_key()])

    assert first.envelope != second.envelope


def test_decrypt_when_organisation_has_no_wrap_raises_not_entitled(
    carrier: X25519PrivateKey, bank: X25519PrivateKey
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()])

    with pytest.raises(NotEntitled):
        decrypt_document(encrypted.envelope, encrypted.wraps, bank)


def test_unwrap_when_wrap_is_for_another_key_raises_not_entitled(
    carrier: X25519PrivateKey, bank: X25519PrivateKey
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()])

    with pytest.raises(NotEntitled):
        unwrap_content_key(encrypted.wraps[0], bank)


def test_unwrap_when_wrap_is_readdressed_to_another_key_raises_key_wrap_tampered(
    carrier: X25519PrivateKey, bank: X25519PrivateKey
) -> None:
    wrap = encrypt_document(PLAINTEXT, [carrier.public_key()]).wraps[0]
    forged = KeyWrap(_raw_public(bank), wrap.ephemeral_public_key, wrap.wrapped_key)

    with pytest.raises(KeyWrapTampered):
        unwrap_content_key(forged, bank)


@pytest.mark.parametrize("index", [ENVELOPE_HEADER_SIZE, ENVELOPE_HEADER_SIZE + 100, -1, 6, 17])
def test_decrypt_when_ciphertext_tag_or_nonce_changed_raises_envelope_tampered(
    carrier: X25519PrivateKey, index: int
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()], BINDING)
    tampered = _flip(encrypted.envelope, index % len(encrypted.envelope))

    with pytest.raises(EnvelopeTampered):
        decrypt_document(tampered, encrypted.wraps, carrier, BINDING)


def test_decrypt_when_associated_data_differs_raises_envelope_tampered(carrier: X25519PrivateKey) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()], BINDING)

    with pytest.raises(EnvelopeTampered):
        decrypt_document(encrypted.envelope, encrypted.wraps, carrier, b"title:0x02/version:1")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: b"XXXX" + e[4:],
        lambda e: e[:4] + b"\x02" + e[5:],
        lambda e: e[:5] + b"\x09" + e[6:],
        lambda e: e[: ENVELOPE_HEADER_SIZE + 5],
    ],
    ids=["magic", "version", "algorithm", "truncated"],
)
def test_decrypt_when_header_is_not_a_known_envelope_raises_envelope_malformed(
    carrier: X25519PrivateKey, mangle: object
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()])
    assert callable(mangle)

    with pytest.raises(EnvelopeMalformed):
        decrypt_document(mangle(encrypted.envelope), encrypted.wraps, carrier)


@pytest.mark.parametrize("index", [40, 70, WRAP_SIZE - 1])
def test_unwrap_when_wrap_bytes_changed_raises_key_wrap_tampered(
    carrier: X25519PrivateKey, index: int
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key()])
    tampered = KeyWrap.from_bytes(_flip(encrypted.wraps[0].to_bytes(), index))

    with pytest.raises(KeyWrapTampered):
        decrypt_document(encrypted.envelope, [tampered], carrier)


def test_key_wrap_serialises_and_rejects_unknown_versions(carrier: X25519PrivateKey) -> None:
    wrap = encrypt_document(PLAINTEXT, [carrier.public_key()]).wraps[0]
    raw = wrap.to_bytes()

    assert len(raw) == WRAP_SIZE
    assert raw[:6] == b"PLKW\x01\x01"
    assert KeyWrap.from_bytes(raw) == wrap
    with pytest.raises(EnvelopeMalformed):
        KeyWrap.from_bytes(raw[:4] + b"\x02" + raw[5:])
    with pytest.raises(EnvelopeMalformed):
        KeyWrap.from_bytes(raw[:-1])


def test_add_recipient_from_holder_wrap_lets_new_holder_read_without_changing_the_cid(
    carrier: X25519PrivateKey, shipper: X25519PrivateKey, bank: X25519PrivateKey
) -> None:
    encrypted = encrypt_document(PLAINTEXT, [carrier.public_key(), shipper.public_key()], BINDING)
    cid_before = compute_cid(encrypted.envelope)
    shipper_wrap = encrypted.wraps[1]

    bank_wrap = add_recipient(bank.public_key(), existing_wrap=shipper_wrap, holder_private_key=shipper)

    assert decrypt_document(encrypted.envelope, [*encrypted.wraps, bank_wrap], bank, BINDING) == PLAINTEXT
    assert compute_cid(encrypted.envelope) == cid_before


def test_add_recipient_from_content_key_and_raw_key_bytes(bank: X25519PrivateKey) -> None:
    content_key = generate_content_key()
    envelope = seal(PLAINTEXT, content_key, BINDING)
    bank_raw = bank.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    wrap = add_recipient(_raw_public(bank), content_key=content_key)

    assert unwrap_content_key(wrap, bank_raw) == content_key
    assert open_envelope(envelope, unwrap_content_key(wrap, bank_raw), BINDING) == PLAINTEXT


def test_add_recipient_when_holder_key_is_not_the_wraps_raises_not_entitled(
    carrier: X25519PrivateKey, bank: X25519PrivateKey
) -> None:
    wrap = encrypt_document(PLAINTEXT, [carrier.public_key()]).wraps[0]

    with pytest.raises(NotEntitled):
        add_recipient(bank.public_key(), existing_wrap=wrap, holder_private_key=bank)


def test_add_recipient_without_key_or_wrap_is_refused(bank: X25519PrivateKey) -> None:
    with pytest.raises(ValueError, match="content_key"):
        add_recipient(bank.public_key())


def test_encrypt_without_recipients_is_refused() -> None:
    with pytest.raises(ValueError, match="recipient"):
        encrypt_document(PLAINTEXT, [])


@settings(max_examples=40, deadline=None)
@given(plaintext=st.binary(max_size=4096), binding=st.binary(max_size=64))
def test_envelope_round_trips_any_bytes_and_binding(plaintext: bytes, binding: bytes) -> None:
    key = generate_content_key()

    envelope = seal(plaintext, key, binding)

    assert open_envelope(envelope, key, binding) == plaintext
    assert len(envelope) == ENVELOPE_HEADER_SIZE + len(plaintext) + 16
