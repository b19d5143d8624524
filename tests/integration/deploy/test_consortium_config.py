"""The consortium config (YAML) and the record file, without a chain: what the demo consortium holds,
which configs are refused before anything is sent, and the atomic record write."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.deploy_plan import DeployPlan
from ledger.chain.deployment import (
    Deployment,
    DeploymentNotFound,
    OracleSignerSet,
    deployment_path,
    load_deployment,
    write_deployment,
)
from ledger.consortium_config import ConfigError, ConsortiumConfig, DevAccountResolver
from tests.deployed import TEST_CONSORTIUM

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "config" / "consortium.demo.yaml"
ACCOUNTS = [f"0x{i:040x}" for i in range(1, 40)]


def _config(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(dict(TEST_CONSORTIUM))
    data.update(changes)
    return data


def test_demo_consortium_has_the_port_community_with_customs_two_of_three() -> None:
    config = ConsortiumConfig.load(DEMO)
    names = {o.name for o in config.organisations}
    assert names == {
        "port-authority",
        "customs",
        "maritime",
        "carrier",
        "shipper",
        "consignee",
        "forwarder",
        "haulier",
        "bank",
        "terminal",
    }
    assert "wallet:port-authority" in config.governors and "deployer" in config.governors
    customs = config.organisation("customs")
    assert customs.roles == ("CUSTOMS",)
    (oracle,) = customs.oracles
    assert set(oracle.schemas) == {"CUSTOMS_RELEASE", "CUSTOMS_HOLD"}
    assert len(oracle.signers) == 3 and oracle.threshold == 2
    assert config.organisation("port-authority").roles == ("PORT_AUTHORITY",)
    assert all(o.encryption_key is None for o in config.organisations)  # "generate later"


def test_resolve_replaces_every_placeholder_with_distinct_accounts() -> None:
    config = ConsortiumConfig.load(DEMO)
    resolver = DevAccountResolver(ACCOUNTS, reserved=[ACCOUNTS[0]])
    resolved = config.resolve(resolver, deployer=ACCOUNTS[0])
    assert resolved.placeholders() == []
    assert len(set(resolver.assigned.values())) == len(resolver.assigned) == len(config.placeholders()) - 1
    assert ACCOUNTS[0].lower() not in {a.lower() for a in resolver.assigned.values()}
    assert resolved.organisation("carrier").admin == resolver.assigned["wallet:carrier"]


def test_plan_with_unresolved_placeholders_is_refused() -> None:
    config = ConsortiumConfig.load(DEMO)
    with pytest.raises(ConfigError, match="wallet:port-authority"):
        DeployPlan(None, config, ACCOUNTS[0], "unused")  # type: ignore[arg-type]


def test_plan_whose_deployer_is_not_a_governor_is_refused() -> None:
    resolved = ConsortiumConfig.from_mapping(TEST_CONSORTIUM).resolve(
        DevAccountResolver(ACCOUNTS, reserved=[ACCOUNTS[0]]), deployer=ACCOUNTS[0]
    )
    with pytest.raises(ConfigError, match="must be one of the governors"):
        DeployPlan(None, resolved, ACCOUNTS[-1], "unused")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"roles": ["CAPTAIN"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"encryptionKey": "0x1234"}, "encryptionKey"),
        ({"legalId": ""}, "legalId"),
        ({"oracles": [{"schemas": ["NOT_A_SCHEMA"], "signers": ["wallet:x/1"], "threshold": 1}]}, "schemas"),
        (
            {"oracles": [{"schemas": ["CUSTOMS_HOLD"], "signers": ["wallet:x/1"], "threshold": 2}]},
            "threshold",
        ),
    ],
)
def test_malformed_organisation_is_refused(change: dict[str, Any], message: str) -> None:
    data = _config()
    data["organisations"][1] = {**data["organisations"][1], **change}
    with pytest.raises(ConfigError, match=message):
        ConsortiumConfig.from_mapping(data)


def test_threshold_above_the_governors_is_refused() -> None:
    data = _config(consortium={"governors": ["deployer"], "threshold": 2})
    with pytest.raises(ConfigError, match="threshold"):
        ConsortiumConfig.from_mapping(data)


def test_encryption_key_hex_is_kept_as_32_bytes() -> None:
    data = _config()
    data["organisations"][0] = {**data["organisations"][0], "encryptionKey": "0x" + "ab" * 32}
    assert ConsortiumConfig.from_mapping(data).organisations[0].encryption_key == b"\xab" * 32


def _record(chain_id: int = 31337) -> Deployment:
    return Deployment(
        chain_id=chain_id,
        addresses={"Consortium": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
        block_number=7,
        schemas={"CUSTOMS_RELEASE": "0x" + "11" * 32},
        governors=("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",),
        threshold=1,
        organisations={"customs": 2},
        oracle_signers=(
            OracleSignerSet(
                "customs", 2, "CUSTOMS_RELEASE", ("0x90F79bf6EB2c4f870365E785982E1f101E93b906",), 1
            ),
        ),
    )


def test_record_is_written_atomically_and_read_back(tmp_path: Path) -> None:
    path = write_deployment(tmp_path, _record())
    assert path == deployment_path(tmp_path, 31337) == tmp_path / "deployments" / "31337.json"
    write_deployment(tmp_path, _record())  # overwrite
    assert sorted(p.name for p in path.parent.iterdir()) == ["31337.json"]  # no temporary file left
    assert load_deployment(tmp_path, 31337) == _record()
    assert load_deployment(path) == _record()
    assert load_deployment(tmp_path / "deployments", 31337) == _record()


def test_missing_record_says_to_deploy(tmp_path: Path) -> None:
    with pytest.raises(DeploymentNotFound, match="make deploy"):
        load_deployment(tmp_path, 31337)
