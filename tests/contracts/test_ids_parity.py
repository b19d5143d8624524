"""Every identifier of docs/design.md §1.5 computed by ``ledger.domain.ids`` equals the contracts' own.

The Python side builds subjects for the oracles, proofs for grants and hashes for release codes and pledge
terms; a byte of difference would make a valid report name another subject or a valid grant fail. The
on-chain side is the real code: ``IdsProbe`` (a test-only window on ``contracts/types/Ids.sol`` and the
Merkle check the release gate uses), ``ContainerRelease.rightIdOf`` / ``releaseCodeHash`` and
``BillOfLadingRegistry.pledgeTermsHash``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.chain import ChainClient, Contract
from ledger.domain import ids
from ledger.domain.pledges import PledgeTerms
from tests.contracts.conftest import reverted
from tests.contracts.roles_attestation import World
from tests.contracts.roles_bill import CONTAINERS

REFERENCES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
NUMBERS = st.sampled_from([*CONTAINERS, "TGHU0000000", "ABCU1234560", "", "中国集装箱"])
ORGS = st.integers(0, 2**32 - 1)
BILLS = st.integers(0, 2**256 - 1)
FAST = settings(max_examples=40, deadline=None)


@pytest.fixture(scope="module")
def probe(chain: ChainClient, accounts: list[str]) -> Iterator[Contract]:
    with reverted(chain):
        yield chain.deploy("IdsProbe", sender=accounts[0])


@FAST
@given(carrier=ORGS, reference=REFERENCES)
def test_title_id(probe: Contract, carrier: int, reference: str) -> None:
    assert probe.call("titleId", carrier, reference) == ids.title_id(carrier, reference)


@FAST
@given(bill=BILLS, number=NUMBERS, nonce=st.integers(0, 2**32 - 1), org=ORGS)
def test_subjects(probe: Contract, bill: int, number: str, nonce: int, org: int) -> None:
    assert bytes(probe.call("containerSubject", number)) == ids.container_subject(number)
    assert bytes(probe.call("billContainerSubject", bill, number)) == ids.bill_container_subject(bill, number)
    assert bytes(probe.call("pledgeSubject", bill, nonce)) == ids.pledge_subject(bill, nonce)
    assert bytes(probe.call("orgSubject", org)) == ids.org_subject(org)
    assert ids.bill_subject(bill) == bill.to_bytes(32, "big")


def test_org_address(probe: Contract) -> None:
    for org in (1, 2, 77, 2**32 - 1):
        want = keccak(abi_encode(["string", "uint256"], ["PortLedger.organisation", org]))[12:]
        assert bytes.fromhex(probe.call("orgAddress", org)[2:]) == want


@settings(max_examples=25, deadline=None)
@given(
    numbers=st.lists(st.sampled_from((*CONTAINERS, "TGHU0000000", "ABCU1234560", "XYZU7777777")), min_size=1)
)
def test_container_proofs_lead_to_the_python_root(probe: Contract, numbers: list[str]) -> None:
    root = ids.container_root(numbers)
    for number in set(numbers):
        proof = ids.container_proof(numbers, number)
        assert bytes(probe.call("rootFrom", number, proof)) == root
        assert ids.verify_container(root[:24], number, proof)
    stranger = "MSCU0000001"
    assert not ids.verify_container(root[:24], stranger, ids.container_proof(numbers, numbers[0]))
    with pytest.raises(ValueError):
        ids.container_proof(numbers, stranger)


def test_right_id_and_release_code_hash(world: World) -> None:
    assert world.release is not None
    for bill, number in ((1, CONTAINERS[0]), (2**255 + 7, CONTAINERS[3])):
        right = ids.right_id(bill, number)
        assert bytes(world.release.call("rightIdOf", bill, number)) == right
        code = os.urandom(16)
        digest = ids.release_code_digest(code)
        assert bytes(world.release.call("releaseCodeHash", right, digest)) == ids.release_code_hash(
            right, code
        )


def test_pledge_terms_hash(world: World) -> None:
    assert world.bills is not None
    terms = PledgeTerms(
        bank=world.org["BANK"],
        amount=2**100 + 3,
        currency="CNY",
        registration_ref=os.urandom(32),
        accept_by=1_800_000_000,
        maturity=1_900_000_000,
        notice_period=7 * 86_400,
    )
    for bill, nonce, pledgor in ((5, 1, world.org["TRADER"]), (2**200, 9, 77)):
        on_chain = bytes(world.bills.call("pledgeTermsHash", bill, nonce, pledgor, terms.as_struct()))
        assert on_chain == terms.terms_hash(bill, nonce, pledgor)
