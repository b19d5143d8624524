"""Gas of the release and attestation operations (picked up by bench/gas.py).

The Bench handed in is sealed, and caches can only be attached before the seal, so this module deploys
its own small stack (Consortium, AttestationRegistry, BillOfLadingRegistry, ContainerRelease) on the same
chain, attaching every cache and installing the customs signer sets before sealing. Inputs are fixed
(oracle keys, subjects, source ids, deadline), so the figures are deterministic on a fresh chain.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

from eth_account import Account
from eth_utils.crypto import keccak

from ledger.domain import ids, schemas

CARRIER, TRADER, TERMINAL, HAULIER, CUSTOMS = 1 << 0, 1 << 1, 1 << 3, 1 << 4, 1 << 5
ZERO32 = b"\x00" * 32
CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
CONTAINERS = ["MSKU1234565", "CSQU3054383", "TGHU9876542", "MAEU1000050"]
DEADLINE = 1 << 40
ORGANISATIONS = (
    ("carrier", CARRIER),
    ("consignee", TRADER),
    ("terminal", TERMINAL),
    ("haulier", HAULIER),
    ("customs", CUSTOMS),
)
ORACLE_KEYS = [keccak(text=f"portledger bench oracle {i}") for i in range(3)]


class Measurement(NamedTuple):
    """Same fields as bench/gas.py's Measurement (read by attribute)."""

    key: str
    gas: int
    note: str = ""


class _Stack:
    def __init__(self, bench: Any):
        chain, accounts = bench.chain, bench.accounts
        self.chain = chain
        deployer = accounts[0]
        self.deployer = deployer
        self.consortium, self.attestations, self.bills = bench.fresh_core(deployer)
        self.release = chain.deploy(
            "ContainerRelease",
            self.consortium.address,
            self.bills.address,
            self.attestations.address,
            schemas.CUSTOMS_RELEASE.schema_id,
            schemas.CUSTOMS_HOLD.schema_id,
            sender=deployer,
        )
        self.consortium.transact("attachCache", self.release.address, sender=deployer)
        self.org: dict[str, int] = {}
        self.member: dict[str, str] = {}
        for i, (name, roles) in enumerate(ORGANISATIONS):
            admin = accounts[20 + i]
            receipt = self.consortium.transact(
                "bootstrapAdmit", f"LEI-{name.upper()}-R", name, roles, ZERO32, admin, sender=deployer
            )
            self.org[name] = int(receipt.event("OrganisationAdmitted").args["org"])
            self.member[name] = admin
        self.consortium.transact("sealBootstrap", sender=deployer)
        self._refs = 0
        self._sources = 0

    def accomplished_bill(self) -> int:
        self._refs += 1
        ref = f"MAEU{250_000_000 + self._refs}"
        request = (
            ref,
            0,
            self.org["consignee"],
            0,
            hashlib.sha256(ref.encode()).digest(),
            ids.container_root(CONTAINERS),
            CID,
        )
        receipt = self.bills.transact("issue", request, ZERO32, sender=self.member["carrier"])
        bill_id = int(receipt.event("BillIssued").args["billId"])
        self.bills.transact("surrenderForDelivery", bill_id, ZERO32, sender=self.member["consignee"])
        self.bills.transact("acceptSurrender", bill_id, ZERO32, sender=self.member["carrier"])
        return bill_id

    def grant(self, bill_id: int, containers: list[str]) -> tuple[list[bytes], int]:
        now = self.chain.latest_timestamp()
        proofs = [ids.container_proof(CONTAINERS, c) for c in containers]
        receipt = self.release.transact(
            "grant",
            bill_id,
            containers,
            proofs,
            (self.org["terminal"], 0, now, now + 86_400),
            sender=self.member["carrier"],
        )
        rights = [e.args["rightId"] for e in self.release.events(receipt) if e.name == "ReleaseGranted"]
        return rights, receipt.gas_used

    def signers(self, k: int, schema: bytes) -> list[Any]:
        """Installs k signers with threshold k for a customs schema (as the deployer, before the seal)."""
        keys = sorted((Account.from_key(key) for key in ORACLE_KEYS[:k]), key=lambda a: int(a.address, 16))
        self.attestations.transact(
            "setReportSigners",
            self.org["customs"],
            schema,
            [a.address for a in keys],
            k,
            sender=self.deployer,
        )
        return keys

    def report(self, keys: list[Any], subject: bytes, definition: Any = schemas.CUSTOMS_RELEASE) -> int:
        """Submits one report about ``subject`` signed by every key in ``keys``; returns gasUsed."""
        self._sources += 1
        values: dict[str, Any] = {"declarationNumber": f"DEC-{self._sources}"}
        if definition is schemas.CUSTOMS_HOLD:
            values |= {"reasonCode": "INSPECTION", "heldAt": 1_764_000_000}
        else:
            values |= {"customsOfficeCode": "2201", "releasedAt": 1_764_000_000}
        data = definition.encode(values)
        report = schemas.ReportMessage(
            self.org["customs"],
            definition.schema_id,
            subject,
            keccak(text=f"source-{self._sources}"),
            1,
            data,
            DEADLINE,
        )
        typed = schemas.report_typed_data(report, self.chain.chain_id, self.attestations.address)
        signatures = [bytes(Account.sign_typed_data(a.key, full_message=typed).signature) for a in keys]
        receipt = self.attestations.transact(
            "submitReport",
            report.as_struct(),
            data,
            signatures,
            sender=self.member["haulier"],  # any relayer
        )
        return int(receipt.gas_used)


def _eir(laden: bool) -> tuple[Any, ...]:
    return (laden, keccak(text="ML-123456"), [], keccak(text="A12345"), 1_764_000_000, keccak(text="EIR"))


def measure(bench: Any) -> list[Measurement]:
    s = _Stack(bench)
    out: list[Measurement] = []
    release_keys = s.signers(2, schemas.CUSTOMS_RELEASE.schema_id)

    bill_id = s.accomplished_bill()
    (right_id,), gas = s.grant(bill_id, CONTAINERS[:1])
    out.append(Measurement("release_grant", gas, "1 of 4 containers (Merkle proof) from an accomplished B/L"))
    other = s.accomplished_bill()
    _, gas4 = s.grant(other, CONTAINERS)
    out.append(Measurement("release_grant_4", gas4, "4 containers in one grant"))

    receipt = s.release.transact("nominate", right_id, s.org["haulier"], sender=s.member["consignee"])
    out.append(Measurement("release_nominate", receipt.gas_used, "consignee -> haulier"))

    data = schemas.CREDIT_LEVEL.encode(
        {"validUntil": DEADLINE, "creditCode": "91310000MA1FL0001X", "level": "AA"}
    )
    receipt = s.attestations.transact(
        "attest",
        (schemas.CREDIT_LEVEL.schema_id, ids.org_subject(s.org["consignee"]), ZERO32, data),
        sender=s.member["customs"],
    )
    out.append(Measurement("attest", receipt.gas_used, "direct CREDIT_LEVEL on an organisation, 3 fields"))

    out.append(
        Measurement("report_k2", s.report(release_keys, ids.bill_subject(bill_id)), "2-of-2 CUSTOMS_RELEASE")
    )
    receipt = s.release.transact(
        "gateOut", bill_id, CONTAINERS[0], s.org["haulier"], ZERO32, _eir(True), sender=s.member["terminal"]
    )
    out.append(
        Measurement(
            "gate_out", receipt.gas_used, "haulier is holder; release on the bill; no hold on 3 subjects"
        )
    )
    receipt = s.release.transact("gateIn", bill_id, CONTAINERS[0], _eir(False), sender=s.member["terminal"])
    out.append(Measurement("gate_in", receipt.gas_used, "empty return"))

    keys3 = s.signers(3, schemas.CUSTOMS_HOLD.schema_id)
    out.append(
        Measurement(
            "report_k3",
            s.report(keys3, keccak(text="subject-k3"), schemas.CUSTOMS_HOLD),
            "3-of-3 signed CUSTOMS_HOLD",
        )
    )
    return out
