"""ledger.chain against a real anvil: deploy, call, transact, events, and decoded custom errors."""

from __future__ import annotations

import pytest

from ledger.chain import ChainClient, ContractRevert


def test_transact_stores_value_and_decodes_event(chain: ChainClient, accounts: list[str]) -> None:
    probe = chain.deploy("Probe", sender=accounts[0])
    receipt = probe.transact("store", 42, "hello", sender=accounts[1])
    assert receipt.status == 1
    assert probe.call("value") == 42
    event = receipt.event("Stored")
    assert event.args == {"by": accounts[1], "value": 42, "note": "hello"}


def test_custom_error_is_decoded_with_name_and_arguments(chain: ChainClient, accounts: list[str]) -> None:
    probe = chain.deploy("Probe", sender=accounts[0])
    with pytest.raises(ContractRevert) as caught:
        probe.call("fail", 7, "no reason", sender=accounts[2])
    assert caught.value.name == "ProbeFailed"
    assert caught.value.code == "PROBE_FAILED"
    assert caught.value.args == {"code": 7, "who": accounts[2], "why": "no reason"}


def test_reverting_transaction_is_refused_before_sending(chain: ChainClient, accounts: list[str]) -> None:
    probe = chain.deploy("Probe", sender=accounts[0])
    before = chain.rpc("eth_getTransactionCount", [accounts[3], "latest"])
    with pytest.raises(ContractRevert) as caught:
        probe.transact("fail", 1, "x", sender=accounts[3])
    assert caught.value.name == "ProbeFailed"
    assert chain.rpc("eth_getTransactionCount", [accounts[3], "latest"]) == before


def test_struct_outputs_decode_to_dicts(chain: ChainClient, accounts: list[str]) -> None:
    probe = chain.deploy("Probe", sender=accounts[0])
    assert probe.call("pair", sender=accounts[4]) == {"left": 7, "right": accounts[4]}


def test_signed_transaction_from_local_key(chain: ChainClient, accounts: list[str]) -> None:
    from eth_account import Account

    key = Account.create()
    chain.rpc("anvil_setBalance", [key.address, hex(10**20)])

    class KeySigner:
        address = key.address

        def sign_transaction(self, tx: dict[str, object]) -> bytes:
            return bytes(key.sign_transaction(tx).raw_transaction)

    probe = chain.deploy("Probe", sender=accounts[0])
    receipt = probe.transact("store", 5, "signed", sender=KeySigner())
    assert receipt.event("Stored").args["by"] == key.address
