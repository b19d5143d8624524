"""Smoke check of the brownie toolchain: compile, start anvil through brownie, deploy Probe."""

from brownie import Probe, accounts  # type: ignore[attr-defined]


def main() -> None:
    probe = Probe.deploy({"from": accounts[0]})
    probe.store(7, "brownie", {"from": accounts[1]})
    assert probe.value() == 7
    print(f"brownie toolchain ok: Probe at {probe.address}, value {probe.value()}")
