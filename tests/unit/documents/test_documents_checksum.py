"""Document checksum: SHA-256 over RFC 8785 canonical JSON, checked against an independent implementation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.documents import NotCanonicalisable, canonical_json, document_checksum
from ledger.domain.values import Checksum

DCSA = Path(__file__).resolve().parents[2] / "fixtures" / "dcsa"
REFERENCE = json.loads((DCSA / "checksums.json").read_text("utf-8"))


def _fixture(name: str) -> Path:
    path = DCSA / name
    return path if path.exists() else DCSA / "valid" / name


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_checksum_equals_the_independent_jcs_reference(name: str) -> None:
    document = json.loads(_fixture(name).read_text("utf-8"))

    checksum = document_checksum(document)

    assert isinstance(checksum, Checksum)
    assert checksum.hex == REFERENCE[name]


def test_checksum_of_conformance_document_differs_from_naive_sorted_json() -> None:
    document = json.loads(
        _fixture("conformance__pint-3.0.0-transport-document__BOL-straight-issued.json").read_text()
    )
    naive = hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    assert (
        document_checksum(document).hex == "40dd07b76cdab39a9057425789eaac97b9ccd9f205b8a7f687d3bcdf08fa900a"
    )
    assert naive != document_checksum(document).hex


def test_checksum_of_tricky_document_differs_from_naive_sorted_json() -> None:
    document = json.loads((DCSA / "checksum-tricky.json").read_text("utf-8"))
    naive = hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    assert document_checksum(document).hex == REFERENCE["checksum-tricky.json"]
    assert naive != REFERENCE["checksum-tricky.json"]


def test_canonical_json_reads_large_integers_as_doubles_like_javascript() -> None:
    document = {"a": 2**60, "b": 1e16, "c": 10**16, "d": 2**53 + 1}

    # node: JSON.stringify(JSON.parse('{"a":1152921504606846976,"b":1e16,"c":10000000000000000,
    #                                    "d":9007199254740993}'))
    assert canonical_json(document) == (
        b'{"a":1152921504606847000,"b":10000000000000000,"c":10000000000000000,"d":9007199254740992}'
    )


def test_canonical_json_writes_numbers_and_strings_the_rfc_8785_way() -> None:
    document = {"b": 1.0, "a": 1e2, "c": 100.50, "é": "Zürich \u2013 \u6e2f", "\u20ac": "/", "d": 1e21}

    assert canonical_json(document) == (
        '{"a":100,"b":1,"c":100.5,"d":1e+21,"é":"Zürich – 港","€":"/"}'.encode()
    )


def test_checksum_is_independent_of_key_order_and_whitespace() -> None:
    first = json.loads('{"a": 1, "b": [1, 2, {"y": 1, "x": 2}]}')
    second = json.loads('{"b":[1,2,{"x":2,"y":1}],"a":1.0}')

    assert document_checksum(first) == document_checksum(second)


@pytest.mark.parametrize("value", [10**400, float("nan"), float("inf")])
def test_checksum_when_value_has_no_canonical_form_raises_not_canonicalisable(value: object) -> None:
    with pytest.raises(NotCanonicalisable):
        document_checksum({"value": value})


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(value=_json_values)
def test_canonical_json_is_a_fixed_point_of_parsing(value: object) -> None:
    canonical = canonical_json(value)

    assert canonical_json(json.loads(canonical)) == canonical
    assert document_checksum(json.loads(canonical)) == document_checksum(value)
