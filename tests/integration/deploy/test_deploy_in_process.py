"""The in-process deploy (ledger.chain.deploy_plan.deploy) on real anvil with the compiled artifacts: a
working stack, an idempotent re-run, resuming an interrupted run, and the start-up code check."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from ledger.chain import ChainClient, ContractRevert
from ledger.chain.anvil import Anvil
from ledger.chain.deploy_plan import ClientExecutor, DeployPlan, Event, deploy
from ledger.chain.deployment import (
    CONTRACT_NAMES,
    Deployment,
    DeploymentMismatch,
    deployment_path,
    load_deployment,
    verify_code,
)
from ledger.consortium_config import ConsortiumConfig, DevAccountResolver
from ledger.domain import ids, schemas
from tests.deployed import TEST_CONSORTIUM, DeployedStack, deploy_stack

NEGOTIABLE = 0
ROOT = ids.container_root(["MSKU1234565"])


@pytest.fixture
def fresh_chain(tmp_path: Path, artifacts_built: Path) -> Iterator[ChainClient]:
    """A chain of its own (new anvil), for tests that need an empty or a reset chain."""
    node = Anvil(accounts=30, log_file=tmp_path / "anvil.log").start()
    try:
        yield ChainClient(node.url)
    finally:
        node.stop()


def _nonces(chain: ChainClient, addresses: Sequence[str]) -> list[int]:
    return [int(chain.rpc("eth_getTransactionCount", [a, "latest"]), 16) for a in addresses]


# ------------------------------------------------------------------------------------ the stack


def test_deploy_records_every_contract_schema_and_organisation(deployed_stack: DeployedStack) -> None:
    record = deployed_stack.deployment
    assert set(record.addresses) == set(CONTRACT_NAMES)
    assert record.complete
    assert set(record.schemas) == set(schemas.WELL_KNOWN_SCHEMAS)
    for name, definition in schemas.WELL_KNOWN_SCHEMAS.items():
        assert record.schema_id(name) == definition.schema_id
    assert set(record.organisations) == {o["name"] for o in TEST_CONSORTIUM["organisations"]}
    assert 0 < record.block_number <= deployed_stack.chain.block_number()
    consortium = deployed_stack.contracts.consortium
    assert consortium.call("threshold") == record.threshold == 2
    assert sorted(consortium.call("governors")) == sorted(record.governors)
    assert deployed_stack.deployer in record.governors
    # The file on disk is the same record.
    assert load_deployment(deployed_stack.data_dir, record.chain_id) == record


def test_deploy_block_number_is_the_block_of_the_consortium_deployment(deployed_stack: DeployedStack) -> None:
    """The record's block holds the consortium's creation (read from the block's receipts: the
    embedded anvil keeps only recent states, so the code at a past block may be gone)."""
    chain, record = deployed_stack.chain, deployed_stack.deployment
    block = chain.rpc("eth_getBlockByNumber", [hex(record.block_number), True])
    created = [
        chain.rpc("eth_getTransactionReceipt", [tx["hash"]])["contractAddress"]
        for tx in block["transactions"]
        if tx.get("to") is None
    ]
    assert record.consortium.lower() in [str(a).lower() for a in created if a]
    assert chain.rpc("eth_getCode", [record.consortium, "latest"]) != "0x"


def test_deploy_admits_organisations_with_their_roles_and_accounts(deployed_stack: DeployedStack) -> None:
    consortium = deployed_stack.contracts.consortium
    carrier = deployed_stack.org("carrier")
    record = consortium.call("organisation", carrier)
    assert record["legalId"] == "TOLU"
    assert record["roles"] == 1 << 0  # CARRIER
    assert record["admin"] == deployed_stack.admin("carrier")
    assert consortium.call("orgOf", deployed_stack.account("carrier/clerk")) == carrier
    customs = consortium.call("organisation", deployed_stack.org("customs"))
    assert customs["roles"] == 1 << 5  # CUSTOMS


def test_deployed_registries_are_member_caches_of_the_consortium(deployed_stack: DeployedStack) -> None:
    caches = deployed_stack.contracts.consortium.call("caches")
    c = deployed_stack.contracts
    assert sorted(caches) == sorted([c.bills.address, c.attestations.address, c.release.address])


def test_carrier_of_the_deployed_stack_issues_a_bill(
    deployed_stack: DeployedStack, isolated: ChainClient
) -> None:
    bills = deployed_stack.contracts.bills
    shipper = deployed_stack.org("shipper")
    receipt = bills.transact(
        "issue",
        ("TOLU-DEPLOY-0001", NEGOTIABLE, shipper, 0, keccak(b"document"), ROOT, "bafkreideploy"),
        b"\x00" * 32,
        sender=deployed_stack.account("carrier/clerk"),
    )
    issued = receipt.event("BillIssued")
    assert issued.args["carrier"] == deployed_stack.org("carrier")
    bill = bills.call("bill", issued.args["billId"])
    assert bill["carrier"] == deployed_stack.org("carrier")
    assert bill["possessor"] == shipper


def test_non_carrier_of_the_deployed_stack_cannot_issue(
    deployed_stack: DeployedStack, isolated: ChainClient
) -> None:
    with pytest.raises(ContractRevert) as refused:
        deployed_stack.contracts.bills.transact(
            "issue",
            (
                "TOLU-DEPLOY-0002",
                NEGOTIABLE,
                deployed_stack.org("shipper"),
                0,
                keccak(b"document"),
                ROOT,
                "bafkreideploy",
            ),
            b"\x00" * 32,
            sender=deployed_stack.admin("shipper"),
        )
    assert refused.value.name == "BillCallerLacksRole"


def test_customs_schemas_are_registered_and_active(deployed_stack: DeployedStack) -> None:
    attestations = deployed_stack.contracts.attestations
    for name in ("CUSTOMS_RELEASE", "CUSTOMS_HOLD"):
        record, active = attestations.call("schema", deployed_stack.deployment.schema_id(name))
        assert active
        assert record["name"] == name
    release = deployed_stack.contracts.release
    assert release.call("customsReleaseSchema") == deployed_stack.deployment.schema_id("CUSTOMS_RELEASE")
    assert release.call("customsHoldSchema") == deployed_stack.deployment.schema_id("CUSTOMS_HOLD")


def test_customs_oracle_threshold_is_two_of_three(deployed_stack: DeployedStack) -> None:
    customs = deployed_stack.org("customs")
    expected = sorted(deployed_stack.account(f"customs/oracle-{i}") for i in (1, 2, 3))
    for name in ("CUSTOMS_RELEASE", "CUSTOMS_HOLD"):
        signers, threshold = deployed_stack.contracts.attestations.call(
            "reportSigners", customs, deployed_stack.deployment.schema_id(name)
        )
        assert threshold == 2
        assert sorted(signers) == expected
        recorded = deployed_stack.deployment.signer_set("customs", name)
        assert recorded.threshold == 2 and sorted(recorded.signers) == expected


def _customs_release_report(stack: DeployedStack, signer_keys: Sequence[str]) -> tuple[Any, ...]:
    chain, record = stack.chain, stack.deployment
    data = schemas.CUSTOMS_RELEASE.encode(
        {"declarationNumber": "310120261000000001", "customsOfficeCode": "3101", "releasedAt": 1_790_000_000}
    )
    report = schemas.ReportMessage(
        agency=stack.org("customs"),
        schema=record.schema_id("CUSTOMS_RELEASE"),
        subject=schemas.container_subject("MSCU1234565"),
        source_id=os.urandom(32),
        sequence=1,
        data=data,
        deadline=chain.latest_timestamp() + 3600,
    )
    typed = schemas.report_typed_data(report, chain.chain_id, record.attestation_registry)
    signed = []
    for key in signer_keys:
        account = Account.from_key(stack.private_key(key))
        signature = Account.sign_typed_data(account.key, full_message=typed).signature
        signed.append((account.address, bytes(signature)))
    return (report.as_struct(), data, schemas.order_signatures(signed))


def test_customs_report_with_two_of_three_signatures_is_accepted(
    deployed_stack: DeployedStack, isolated: ChainClient
) -> None:
    args = _customs_release_report(deployed_stack, ["customs/oracle-1", "customs/oracle-3"])
    receipt = deployed_stack.contracts.attestations.transact(
        "submitReport", *args, sender=deployed_stack.admin("haulier")
    )
    accepted = receipt.event("ReportAccepted")
    assert deployed_stack.contracts.attestations.call("isEffective", accepted.args["uid"])


def test_customs_report_with_one_signature_is_refused(
    deployed_stack: DeployedStack, isolated: ChainClient
) -> None:
    args = _customs_release_report(deployed_stack, ["customs/oracle-2"])
    with pytest.raises(ContractRevert) as raised:
        deployed_stack.contracts.attestations.transact(
            "submitReport", *args, sender=deployed_stack.admin("haulier")
        )
    assert raised.value.name.startswith("Attestation")


def test_verify_code_accepts_the_deployed_stack(deployed_stack: DeployedStack) -> None:
    verify_code(deployed_stack.chain, deployed_stack.deployment, compare_bytecode=True)


# ----------------------------------------------------------------------------------- idempotency


def test_second_deploy_sends_no_transaction(deployed_stack: DeployedStack) -> None:
    chain = deployed_stack.chain
    everyone = sorted(set(deployed_stack.accounts.values()))
    block, nonces = chain.block_number(), _nonces(chain, everyone)
    path = deployment_path(deployed_stack.data_dir, chain.chain_id)
    written = path.stat().st_mtime_ns
    again = deploy(chain, deployed_stack.config, deployed_stack.deployer, deployed_stack.data_dir)
    assert again == deployed_stack.deployment
    assert chain.block_number() == block
    assert _nonces(chain, everyone) == nonces
    assert path.stat().st_mtime_ns == written  # an unchanged record is not rewritten


class _Interrupted(RuntimeError):
    pass


class _FailingExecutor(ClientExecutor):
    """Stops (as a crash would) before its n-th transaction."""

    def __init__(self, chain: ChainClient, fail_at: int):
        super().__init__(chain)
        self.fail_at = fail_at

    def _count(self) -> None:
        if self.sent + 1 >= self.fail_at:
            raise _Interrupted(f"stopped before transaction {self.fail_at}")

    def deploy(self, contract: str, args: Sequence[Any], sender: str) -> tuple[str, int]:
        self._count()
        return super().deploy(contract, args, sender)

    def transact(
        self, contract: str, address: str, function: str, args: Sequence[Any], sender: str
    ) -> list[Event]:
        self._count()
        return super().transact(contract, address, function, args, sender)


def test_interrupted_deploy_resumes_without_redeploying(fresh_chain: ChainClient, tmp_path: Path) -> None:
    accounts = fresh_chain.rpc("eth_accounts")
    resolver = DevAccountResolver(accounts, reserved=[accounts[0]])
    config = ConsortiumConfig.from_mapping(TEST_CONSORTIUM).resolve(resolver, deployer=accounts[0])
    with pytest.raises(_Interrupted):
        DeployPlan(_FailingExecutor(fresh_chain, fail_at=14), config, accounts[0], tmp_path).run()
    partial = load_deployment(tmp_path, fresh_chain.chain_id)
    assert not partial.complete
    with pytest.raises(DeploymentMismatch, match="incomplete"):
        verify_code(fresh_chain, partial)

    finished = deploy(fresh_chain, config, accounts[0], tmp_path)
    assert finished.complete
    assert finished.consortium == partial.consortium
    assert finished.block_number == partial.block_number
    assert set(finished.organisations) == {o["name"] for o in TEST_CONSORTIUM["organisations"]}
    verify_code(fresh_chain, finished)
    # Exactly one of each contract was deployed: four contract creations in the whole chain.
    creations = 0
    for number in range(1, fresh_chain.block_number() + 1):
        block = fresh_chain.rpc("eth_getBlockByNumber", [hex(number), True])
        creations += sum(1 for tx in block["transactions"] if tx.get("to") is None)
    assert creations == len(CONTRACT_NAMES)


# ---------------------------------------------------------------------------- start-up checks


def test_verify_code_on_a_fresh_chain_raises_deployment_mismatch_with_what_to_do(
    deployed_stack: DeployedStack, fresh_chain: ChainClient
) -> None:
    with pytest.raises(DeploymentMismatch) as raised:
        verify_code(fresh_chain, deployed_stack.deployment, data_dir=Path("data"))
    message = str(raised.value)
    consortium = deployed_stack.deployment.consortium
    assert f"no contract code at {consortium} for Consortium on chain 31337" in message
    assert "the chain was reset" in message
    assert f"delete {Path('data', 'deployments', '31337.json')}" in message
    assert "make deploy" in message and "make run" in message


def test_deploy_over_a_kept_record_on_a_reset_chain_refuses(
    deployed_stack: DeployedStack, fresh_chain: ChainClient
) -> None:
    nonces = _nonces(fresh_chain, [deployed_stack.deployer])
    with pytest.raises(DeploymentMismatch, match="the chain was reset"):
        deploy(fresh_chain, deployed_stack.config, deployed_stack.deployer, deployed_stack.data_dir)
    assert _nonces(fresh_chain, [deployed_stack.deployer]) == nonces


def test_load_deployment_for_another_chain_id_raises(deployed_stack: DeployedStack, tmp_path: Path) -> None:
    record = deployed_stack.deployment
    path = deployment_path(deployed_stack.data_dir, record.chain_id)
    with pytest.raises(DeploymentMismatch, match="records chain 31337"):
        load_deployment(path, 1)


def test_record_json_round_trips(deployed_stack: DeployedStack) -> None:
    record = deployed_stack.deployment
    assert Deployment.from_json(record.to_json()) == record
    assert record.to_json()["chainId"] == 31337
    assert "oracleSigners" in record.to_json()


def test_deploy_takes_seconds_not_minutes(fresh_chain: ChainClient, tmp_path: Path) -> None:
    started = time.monotonic()
    stack = deploy_stack(fresh_chain, tmp_path, first_account=0)
    assert stack.deployment.complete
    assert time.monotonic() - started < 30


class _LocalSigner:
    """A key the node does not hold, as a wallet would provide it (address + sign_transaction)."""

    def __init__(self) -> None:
        self._account = Account.create()

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(tx).raw_transaction)


def test_deploy_with_wallet_signers_signs_every_step_with_the_right_key(
    fresh_chain: ChainClient, tmp_path: Path
) -> None:
    config = ConsortiumConfig.from_mapping(TEST_CONSORTIUM)
    keys: dict[str, _LocalSigner] = {p: _LocalSigner() for p in config.placeholders()}
    funder = fresh_chain.rpc("eth_accounts")[0]
    for signer in keys.values():
        fresh_chain.send({"to": signer.address, "value": hex(10**18)}, sender=funder)
    deployer = keys["deployer"]
    resolved = config.resolve(lambda placeholder: keys[placeholder].address, deployer=deployer.address)
    signers = {s.address: s for s in keys.values()}

    record = deploy(fresh_chain, resolved, deployer, tmp_path, signers=signers)

    verify_code(fresh_chain, record)
    assert record.deployer == deployer.address
    consortium = fresh_chain.at("Consortium", record.consortium)
    carrier = record.org_id("carrier")
    assert consortium.call("orgOf", keys["wallet:carrier/clerk"].address) == carrier  # added by its admin
    # The port authority approved every admission: each ADMIT proposal executed on its vote.
    approved = fresh_chain.get_logs(record.consortium, record.block_number, fresh_chain.block_number())
    votes = [e for e in approved if e.name == "ProposalApproved"]
    assert {e.args["governor"] for e in votes} == {deployer.address, keys["wallet:port-authority"].address}
    # Nobody but the deployer and the wallet keys sent anything.
    assert int(fresh_chain.rpc("eth_getTransactionCount", [funder, "latest"]), 16) == len(keys)
