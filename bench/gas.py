"""Gas benchmark of the title and release operations, against a real anvil.

Prints a table, then as its LAST line one JSON object ``{"operation": gasUsed, ...}`` with the
operations named in the snapshot (``bench/gas-snapshot.json``). ``--write`` also rewrites the
snapshot's ``measured`` figures (the ceilings are edited by hand).

Extending: a module ``bench/gas_<name>.py`` that defines ``measure(bench: Bench) -> list[Measurement]``
is picked up automatically (the release and attestation operations live there). ``Bench`` gives a
deployed Consortium + BillOfLadingRegistry with one organisation per role and helpers to issue and
move titles, so a measurement only adds what it needs.

Figures are deterministic: fresh chain, fixed accounts, fixed inputs, zero base fee, optimizer on
(200 runs) as built by ``scripts/build_contracts.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ledger.chain import ChainClient, Contract  # noqa: E402
from ledger.chain.anvil import Anvil  # noqa: E402
from ledger.domain import ids, schemas  # noqa: E402
from ledger.domain.pledges import PledgeTerms  # noqa: E402

SNAPSHOT = ROOT / "bench" / "gas-snapshot.json"

# The operations of the snapshot, in table order; the last six are measured by bench/gas_*.py modules.
OPERATIONS = (
    "issue",
    "transfer",
    "endorse",
    "surrender",
    "surrender_accept",
    "pledge_request",
    "pledge_accept",
    "pledge_release",
    "release_grant",
    "release_nominate",
    "gate_out",
    "attest",
    "report_k2",
    "report_k3",
)

# Role bits (contracts/types/Roles.sol).
CARRIER, TRADER, BANK, TERMINAL, HAULIER, CUSTOMS, MARITIME, BORDER, PORT_AUTHORITY = (
    1 << i for i in range(9)
)
NEGOTIABLE, STRAIGHT, SWB = 0, 1, 2
ZERO32 = b"\x00" * 32
# A CIDv1 (raw, sha2-256) as the document store produces; its length is what matters for gas.
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
# One container on every benchmark title (its root is what the registry stores).
CONTAINER_ROOT = ids.container_root(["MSKU1234565"])


@dataclass(frozen=True)
class Measurement:
    """One measured operation: ``key`` goes into the JSON line if it is one of OPERATIONS."""

    key: str
    gas: int
    note: str = ""


@dataclass
class Bench:
    """A deployed stack and the organisations of the benchmark."""

    chain: ChainClient
    accounts: list[str]
    consortium: Contract
    bills: Contract
    attestations: Contract
    orgs: dict[str, int] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    _refs: int = 0

    def account(self, org: str) -> str:
        return self.members[org]

    def next_reference(self) -> str:
        self._refs += 1
        return f"MAEU{240_000_000 + self._refs}"

    def issue(self, to: str, kind: int = NEGOTIABLE, consignee: str | None = None) -> tuple[int, int]:
        """Issues a title from the carrier; returns (billId, gasUsed)."""
        ref = self.next_reference()
        checksum = hashlib.sha256(ref.encode()).digest()
        request = (
            ref,
            kind,
            self.orgs[to],
            self.orgs[consignee] if consignee else 0,
            checksum,
            CONTAINER_ROOT,
            CID,
        )
        receipt = self.bills.transact("issue", request, ZERO32, sender=self.account("carrier"))
        bill_id = int(receipt.event("BillIssued").args["billId"])
        return bill_id, receipt.gas_used

    def fresh_core(self, deployer: str) -> tuple[Contract, Contract, Contract]:
        """Another Consortium + AttestationRegistry + BillOfLadingRegistry (1-of-1 governed) on this chain."""
        return deploy_core(self.chain, deployer, [deployer], 1)

    def act(self, org: str, fn: str, *args: Any) -> int:
        """Runs a registry action from an organisation's account; returns gasUsed."""
        return self.bills.transact(fn, *args, sender=self.account(org)).gas_used


# Organisations of the benchmark, in admission order (ids 1..): name -> roles. Ids 1..7 share one
# balance word; `far` (id 9) is alone in the next one.
ORGANISATIONS = (
    ("carrier", CARRIER),
    ("shipper", TRADER),
    ("consignee", TRADER),
    ("bank", BANK),
    ("newcomer", TRADER),
    ("terminal", TERMINAL),
    ("haulier", HAULIER),
    ("customs", CUSTOMS),
    ("far", TRADER),
    ("port", PORT_AUTHORITY),
)


def deploy_core(
    chain: ChainClient, deployer: str, governors: list[str], threshold: int
) -> tuple[Contract, Contract, Contract]:
    """Consortium, AttestationRegistry with the well-known schemas, BillOfLadingRegistry, all attached
    (the order the deploy plan uses: the bill registry checks its PLEDGE_DEFAULT schema at construction)."""
    consortium = chain.deploy("Consortium", governors, threshold, sender=deployer)
    attestations = chain.deploy("AttestationRegistry", consortium.address, sender=deployer)
    for definition in schemas.WELL_KNOWN_SCHEMAS.values():
        attestations.transact("registerSchema", definition.as_record(), sender=deployer)
    bills = chain.deploy(
        "BillOfLadingRegistry",
        consortium.address,
        attestations.address,
        schemas.PLEDGE_DEFAULT.schema_id,
        sender=deployer,
    )
    for cache in (attestations, bills):
        consortium.transact("attachCache", cache.address, sender=deployer)
    return consortium, attestations, bills


def deploy(chain: ChainClient, accounts: list[str]) -> Bench:
    deployer = accounts[0]
    consortium, attestations, bills = deploy_core(chain, deployer, [accounts[1], accounts[2], accounts[3]], 2)
    bench = Bench(chain, accounts, consortium, bills, attestations)
    for i, (name, roles) in enumerate(ORGANISATIONS):
        admin = accounts[10 + i]
        receipt = consortium.transact(
            "bootstrapAdmit", f"LEI-{name.upper()}", name, roles, ZERO32, admin, sender=deployer
        )
        bench.orgs[name] = int(receipt.event("OrganisationAdmitted").args["org"])
        bench.members[name] = admin
    consortium.transact("sealBootstrap", sender=deployer)
    return bench


def measure_bills(b: Bench) -> list[Measurement]:
    """The title operations of the BillOfLadingRegistry."""
    out: list[Measurement] = []
    # The consignee already holds a title; the newcomer holds none (but shares the balance word).
    b.issue("consignee")
    _, first = b.issue("shipper")
    out.append(Measurement("issue_first_of_org", first, "issue to an org holding no title yet"))
    bill, gas = b.issue("shipper")
    out.append(Measurement("issue", gas, "to-order B/L, SHA-256 checksum in storage, CID in the event"))
    bills = [b.issue("shipper")[0] for _ in range(6)]

    out.append(
        Measurement(
            "transfer",
            b.act("shipper", "transfer", bill, b.orgs["consignee"], ZERO32),
            "to an org that already holds titles",
        )
    )
    out.append(
        Measurement(
            "transfer_to_empty_org",
            b.act("shipper", "transfer", bills[0], b.orgs["newcomer"], ZERO32),
            "to an org that holds none (its counter shares a non-zero word)",
        )
    )
    out.append(
        Measurement(
            "transfer_to_empty_word",
            b.act("shipper", "transfer", bills[1], b.orgs["far"], ZERO32),
            "to an org that holds none, alone in its balance word (zero -> non-zero)",
        )
    )
    out.append(
        Measurement(
            "transfer_back",
            b.act("consignee", "transfer", bill, b.orgs["shipper"], ZERO32),
            "straight back (the recipient's previous-possessor fields are rewritten)",
        )
    )

    out.append(
        Measurement(
            "endorse",
            b.act("shipper", "endorse", bills[2], b.orgs["consignee"], ZERO32),
            "ENDORSE: endorsee becomes title holder; possession stays (moves by TRANSFER)",
        )
    )
    out.append(
        Measurement(
            "endorse_to_order", b.act("shipper", "endorseToOrder", bills[3], b.orgs["consignee"], ZERO32)
        )
    )
    out.append(Measurement("blank_endorse", b.act("shipper", "blankEndorse", bills[4], ZERO32)))
    b.act("shipper", "transfer", bills[3], b.orgs["consignee"], ZERO32)  # possession follows the title
    out.append(
        Measurement(
            "sign",
            b.act("consignee", "sign", bills[3], ZERO32),
            "by a transfer's recipient: clears rejectable",
        )
    )
    out.append(
        Measurement(
            "reject",
            b.act("shipper", "reject", bill, ZERO32),
            "of a transfer by its recipient: possession returns",
        )
    )
    out.append(
        Measurement(
            "reject_endorsement",
            b.act("consignee", "reject", bills[2], ZERO32),
            "of an endorsement by the endorsee: the title holder returns",
        )
    )

    out.append(
        Measurement(
            "surrender",
            b.act("consignee", "surrenderForDelivery", bills[3], ZERO32),
            "SURRENDER_FOR_DELIVERY by the holder in possession",
        )
    )
    out.append(Measurement("surrender_accept", b.act("carrier", "acceptSurrender", bills[3], ZERO32), "SACC"))
    b.act("shipper", "surrenderForAmendment", bills[4], 2, ZERO32)
    out.append(Measurement("surrender_reject", b.act("carrier", "rejectSurrender", bills[4], ZERO32), "SREJ"))

    now = b.chain.latest_timestamp()
    terms = PledgeTerms(
        bank=b.orgs["bank"],
        amount=1_250_000_00,
        currency="USD",
        registration_ref=hashlib.sha256(b"MPR-2026-000123").digest(),
        accept_by=now + 86_400,
        maturity=now + 90 * 86_400,
        notice_period=7 * 86_400,
    )
    out.append(
        Measurement(
            "pledge_request",
            b.act("shipper", "requestPledge", bills[5], terms.as_struct(), ZERO32),
            "possessor and title holder; terms hash and deadlines in two slots",
        )
    )
    shipper = b.orgs["shipper"]
    accept = b.act("bank", "acceptPledge", bills[5], terms.terms_hash(bills[5], 1, shipper), ZERO32)
    out.append(Measurement("pledge_accept", accept, "binds the terms hash"))
    out.append(Measurement("pledge_release", b.act("bank", "releasePledge", bills[5], ZERO32)))
    b.act("shipper", "requestPledge", bills[5], terms.as_struct(), ZERO32)
    b.act("bank", "acceptPledge", bills[5], terms.terms_hash(bills[5], 2, shipper), ZERO32)
    b.chain.increase_time(91 * 86_400)
    out.append(
        Measurement(
            "pledge_enforce", b.act("bank", "enforcePledge", bills[5], ZERO32, ZERO32), "after maturity"
        )
    )
    return out


Measure = Callable[[Bench], list[Measurement]]


def plugins() -> list[Measure]:
    """``measure`` of every bench/gas_*.py module (other contracts' operations)."""
    found: list[Measure] = []
    for path in sorted((ROOT / "bench").glob("gas_*.py")):
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
        spec.loader.exec_module(module)
        fn = getattr(module, "measure", None)
        if callable(fn):
            found.append(fn)
    return found


def run(chain: ChainClient, accounts: list[str]) -> list[Measurement]:
    """Every measurement, each on a fresh deployment inside a snapshot."""
    results: list[Measurement] = []
    for measure in [measure_bills, *plugins()]:
        snap = chain.snapshot()
        try:
            results.extend(measure(deploy(chain, accounts)))
        finally:
            chain.revert(snap)
    return results


def summary(results: list[Measurement]) -> dict[str, int]:
    by_key = {m.key: m.gas for m in results}
    return {k: by_key[k] for k in OPERATIONS if k in by_key}


def table(results: list[Measurement], ceilings: dict[str, int]) -> str:
    lines = [f"{'operation':<24} {'gas':>9} {'ceiling':>9}  note", "-" * 90]
    for m in results:
        ceiling = ceilings.get(m.key)
        mark = "" if ceiling is None or m.gas <= ceiling else "  OVER CEILING"
        lines.append(f"{m.key:<24} {m.gas:>9,} {ceiling if ceiling is not None else '':>9}  {m.note}{mark}")
    return "\n".join(lines)


def load_snapshot() -> dict[str, Any]:
    if SNAPSHOT.exists():
        data: dict[str, Any] = json.loads(SNAPSHOT.read_text())
        return data
    return {"ceilings": {}, "measured": {}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the measured figures in the snapshot")
    opts = parser.parse_args()
    anvil = Anvil(accounts=30).start()
    try:
        chain = ChainClient(anvil.url)
        accounts = [str(a) for a in chain.rpc("eth_accounts")]
        results = run(chain, accounts)
    finally:
        anvil.stop()
    snapshot = load_snapshot()
    print(table(results, snapshot.get("ceilings", {})))
    if opts.write:
        snapshot["measured"] = {m.key: m.gas for m in results}
        SNAPSHOT.write_text(json.dumps(snapshot, indent=2, sort_keys=False) + "\n")
    print(json.dumps(summary(results), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
