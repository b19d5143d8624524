"""The demo import scenario, played against a running stack through HTTP only (``make demo``).

Owns the story and nothing else: every step is an API call with a demo organisation's key, as any
client would make it, and the rules (pledge overlay, surrender, release readiness) are the contracts'.
One run: the carrier issues a negotiable, blank-endorsed B/L to the shipper; the shipper pledges it to
the bank, the bank accepts; a second pledge and a surrender are refused while pledged; the bank
releases; the shipper endorses and transfers to the consignee; customs reports the release 2-of-3
(a CUSRES message dropped into the customs oracle's inbox); the consignee surrenders for delivery and
the carrier accepts; the carrier grants a container release right to the consignee, who nominates the
haulier; the terminal records gate-out and gate-in; the bank's collateral statement shows the title
accomplished and verifies offline against the published statement key.

Each run uses a fresh transport document reference and container number, so it can run again and again.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from cli.http import ApiClient, ApiProblem
from ledger.domain.ids import right_id
from ledger.domain.values import iso6346_check_digit

TEMPLATE = Path(__file__).with_name("transport_document.json")
CARRIER_CODE = "DOLU"
"""The demo carrier's SCAC-shaped code (config/consortium.demo.yaml); also the reference prefix."""


class DemoFailed(RuntimeError):
    """A step did not end as the scenario expects."""


@dataclass(frozen=True)
class StepResult:
    """What one step printed: its title, who acted, and the transaction or the refusal."""

    number: int
    title: str
    actor: str
    tx_hash: str | None = None
    block_number: int | None = None
    refused_with: str | None = None
    note: str = ""


@dataclass
class DemoRun:
    """The state of one run: ids made along the way, and the steps done."""

    reference: str
    container: str
    bill_id: str = ""
    right_id: str = ""
    steps: list[StepResult] = field(default_factory=list)
    statement: dict[str, Any] = field(default_factory=dict)
    statement_verified: bool = False


Report = Callable[[StepResult], None]


def unique_reference() -> str:
    """``DOLU`` + 16 random hex digits: the carrier prefix lets the customs oracle find the carrier."""
    return CARRIER_CODE + secrets.token_hex(8).upper()


def unique_container() -> str:
    """A fresh ISO 6346 container number (owner code ``DOL``, category U) with its check digit."""
    first_ten = f"{CARRIER_CODE}{secrets.randbelow(1_000_000):06d}"
    return first_ten + str(iso6346_check_digit(first_ten))


def right_id_of(bill_id: str, container: str) -> str:
    """A release right's id: ``keccak256(abi.encode(billId, containerSubject))``, as the contract has it."""
    return "0x" + right_id(int(bill_id, 16), container).hex()


def transport_document(reference: str, container: str) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(json.loads(TEMPLATE.read_text(encoding="utf-8")))
    document["transportDocumentReference"] = reference
    document["carrierCode"] = CARRIER_CODE
    document["carrierCodeListProvider"] = "SMDG"
    for item in document.get("utilizedTransportEquipments", []):
        item["equipment"]["equipmentReference"] = container
    for item in document.get("consignmentItems", []):
        for cargo in item.get("cargoItems", []):
            cargo["equipmentReference"] = container
    return document


def cusres_release(reference: str, container: str, interchange: str) -> str:
    """A CUSRES D.96B release of the bill and its container (synthetic, as the oracle fixtures are)."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%d%H%M")
    return (
        "UNA:+.? '"
        f"UNB+UNOC:3+CUSTOMSGW:ZZZ+PORTLEDGER:ZZZ+{now:%y%m%d}:{now:%H%M}+{interchange}'"
        "UNH+1+CUSRES:D:96B:UN'"
        f"BGM+962+DEC{interchange}+11'"
        f"DTM+9:{stamp}:203'"
        "GIS+1:120:ZZZ'"
        f"EQD+CN+{container}'"
        "NAD+DT+91310000000000000X::ZZZ'"
        f"RFF+ABT:{interchange}'"
        f"DTM+182:{stamp}:203'"
        f"RFF+BM:{reference}'"
        "FTX+AAO+++GOODS RELEASED'"
        "UNT+11+1'"
        f"UNZ+1+{interchange}'"
    )


class Scenario:
    """The import scenario; ``clients`` maps role names (``carrier``, ``bank``, …) to API clients."""

    def __init__(
        self,
        clients: dict[str, ApiClient],
        orgs: dict[str, str],
        customs_inbox: Path,
        report: Report | None = None,
        wait: float = 30.0,
        customs_timeout: float = 90.0,
    ) -> None:
        self.clients = clients
        self.orgs = orgs
        self.customs_inbox = customs_inbox
        self.report = report or (lambda _step: None)
        self.wait = wait
        self.customs_timeout = customs_timeout
        self.run = DemoRun(unique_reference(), unique_container())

    STEP_COUNT = 17

    # -- helpers -----------------------------------------------------------------------------------
    def _done(self, title: str, actor: str, operation: dict[str, Any] | None = None, note: str = "") -> None:
        step = StepResult(
            len(self.run.steps) + 1,
            title,
            actor,
            tx_hash=(operation or {}).get("txHash"),
            block_number=(operation or {}).get("blockNumber"),
            note=note,
        )
        self.run.steps.append(step)
        self.report(step)

    def _write(self, actor: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        operation: dict[str, Any] = self.clients[actor].write(path, body, wait=self.wait)
        if operation.get("status") != "mined":
            raise DemoFailed(f"{actor}: {path} is still {operation.get('status')} after {self.wait:g}s")
        return operation

    def _act(self, actor: str, action: str, **body: Any) -> dict[str, Any]:
        return self._write(actor, f"/v1/bills/{self.run.bill_id}/actions", {"action": action, **body})

    def _refused(self, title: str, actor: str, action: str, **body: Any) -> None:
        try:
            self._act(actor, action, **body)
        except ApiProblem as problem:
            step = StepResult(
                len(self.run.steps) + 1, title, actor, refused_with=problem.code, note=problem.detail
            )
            self.run.steps.append(step)
            self.report(step)
            return
        raise DemoFailed(f"{title}: the ledger accepted what it must refuse")

    # -- the story ---------------------------------------------------------------------------------
    def play(self) -> DemoRun:
        run = self.run
        pledge = {
            "amount": "1250000.00",
            "currency": "USD",
            "registrationRef": f"DEMO-PLEDGE-{run.reference[-8:]}",
            "acceptBy": (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "maturity": (datetime.now(UTC) + timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "noticePeriodSeconds": 7 * 86_400,
        }
        issued = self._write(
            "carrier",
            "/v1/bills",
            {"document": transport_document(run.reference, run.container), "issueTo": self.orgs["shipper"]},
        )
        run.bill_id = str(issued["result"]["billId"])
        self._done(
            f"carrier issues {run.reference} (negotiable, blank-endorsed) to the shipper", "carrier", issued
        )

        op = self._act("shipper", "PLEDGE", recipient=self.orgs["bank"], pledge=pledge)
        self._done("shipper pledges the B/L to the bank", "shipper", op)
        requested = self.clients["bank"].get(f"/v1/bills/{run.bill_id}")
        op = self._act("bank", "ACCEPT_PLEDGE", termsHash=requested["pledge"]["termsHash"])
        self._done("bank accepts the pledge, binding the terms it read", "bank", op)
        self._refused(
            "a second pledge is refused", "shipper", "PLEDGE", recipient=self.orgs["bank"], pledge=pledge
        )
        self._refused("surrender for delivery is refused while pledged", "shipper", "SURRENDER_FOR_DELIVERY")
        op = self._act("bank", "RELEASE_PLEDGE")
        self._done("bank releases the pledge (paid)", "bank", op)
        op = self._act("shipper", "ENDORSE", recipient=self.orgs["consignee"])
        self._done("shipper endorses the B/L to the consignee (title holder)", "shipper", op)
        # Possession moves by TRANSFER; should the registry have delivered it with the endorsement
        # already, there is nothing left to transfer.
        bill = self.clients["shipper"].get(f"/v1/bills/{run.bill_id}")
        if bill.get("possessor") != self.orgs["consignee"]:
            op = self._act("shipper", "TRANSFER", recipient=self.orgs["consignee"])
            self._done("shipper transfers possession to the consignee", "shipper", op)
        bill = self.clients["consignee"].get(f"/v1/bills/{run.bill_id}")
        consignee = self.orgs["consignee"]
        if bill.get("possessor") != consignee or bill.get("titleHolder") != consignee:
            raise DemoFailed(f"the consignee should now possess and hold the title: {bill}")

        self._customs_release()

        op = self._act("consignee", "SURRENDER_FOR_DELIVERY")
        self._done("consignee surrenders the B/L for delivery to the carrier", "consignee", op)
        op = self._act("carrier", "SACC")
        self._done("carrier accepts the surrender (SACC): title accomplished", "carrier", op)

        now = int(time.time())
        op = self._write(
            "carrier",
            "/v1/releases",
            {
                "billId": run.bill_id,
                "containerNumbers": [run.container],
                "terminal": self.orgs["terminal"],
                "validFrom": now - 3600,
                "validUntil": now + 7 * 86400,
            },
        )
        result = op.get("result") or {}
        right = result.get("rightId") or (result.get("rightIds") or [None])[0]
        run.right_id = str(right) if right else right_id_of(run.bill_id, run.container)
        self._done(f"carrier grants the release right for {run.container} to the consignee", "carrier", op)
        op = self._write(
            "consignee", f"/v1/releases/{run.right_id}/nominate", {"nominee": self.orgs["haulier"]}
        )
        self._done("consignee nominates the haulier", "consignee", op)
        plate = f"DEMO{secrets.randbelow(10_000):04d}"
        op = self._write(
            "terminal",
            f"/v1/releases/{run.right_id}/gate-out",
            {
                "eir": {
                    "laden": True,
                    "seals": [f"SL{secrets.randbelow(10**8):08d}"],
                    "condition": "sound",
                    "truckPlate": plate,
                    "eventTime": int(time.time()),
                },
                "haulier": self.orgs["haulier"],
            },
        )
        self._done(f"terminal records gate-out (EIR out) for the haulier's truck {plate}", "terminal", op)
        op = self._write(
            "terminal",
            f"/v1/releases/{run.right_id}/gate-in",
            {
                "eir": {
                    "laden": False,
                    "condition": "sound",
                    "truckPlate": plate,
                    "eventTime": int(time.time()),
                }
            },
        )
        self._done("terminal records gate-in of the empty container (EIR in)", "terminal", op)
        self._collateral_statement()
        return run

    def _customs_release(self) -> None:
        """Drop a CUSRES release into the customs oracle's inbox; wait for the 2-of-3 report on chain."""
        run = self.run
        interchange = "PL" + secrets.token_hex(6).upper()
        self.customs_inbox.mkdir(parents=True, exist_ok=True)
        tmp = self.customs_inbox / f".{interchange}.tmp"
        tmp.write_text(cusres_release(run.reference, run.container, interchange), encoding="utf-8")
        name = f"cusres-{interchange}.edi"
        tmp.rename(self.customs_inbox / name)
        deadline = time.monotonic() + self.customs_timeout
        while time.monotonic() < deadline:
            for folder in ("dead-letter", "rejected"):
                reason = self.customs_inbox / folder / f"{name}.reason.json"
                if reason.exists():
                    raise DemoFailed(f"the customs oracle put {name} in {folder}: {reason.read_text()[:300]}")
            page = self.clients["consignee"].get(f"/v1/subjects/{run.bill_id}/attestations")
            for item in page.get("items", []):
                if item.get("schemaName") == "CUSTOMS_RELEASE" and item.get("effective"):
                    self._done(
                        "customs reports the release of the bill, signed 2 of 3 (oracle runner)",
                        "customs",
                        {"txHash": item.get("txHash"), "blockNumber": item.get("blockNumber")},
                        note=f"attestation {item.get('uid', '')}",
                    )
                    return
            time.sleep(0.5)
        raise DemoFailed(
            f"no customs release on the bill after {self.customs_timeout:g}s: is the customs oracle runner "
            f"up and watching {self.customs_inbox}? (see data/logs/oracle-customs.log)"
        )

    def _collateral_statement(self) -> None:
        run = self.run
        bank = self.clients["bank"]
        signed: dict[str, Any] = bank.get(f"/v1/bills/{run.bill_id}/collateral-statement")
        key: dict[str, Any] = bank.get("/v1/statement-key")
        run.statement = signed
        public = load_pem_public_key(str(key["pem"]).encode())
        if not isinstance(public, Ed25519PublicKey):
            raise DemoFailed("the published statement key is not an Ed25519 key")
        public.verify(base64.b64decode(signed["signature"]), rfc8785.dumps(signed["statement"]))
        run.statement_verified = True
        status = signed["statement"].get("status") or signed["statement"].get("bill", {}).get("status")
        if status != "ACCOMPLISHED":
            raise DemoFailed(f"the collateral statement shows {status}, not ACCOMPLISHED")
        self._done(
            "bank's collateral statement: title ACCOMPLISHED, signature verified offline",
            "bank",
            note=f"key {key.get('keyId')}",
        )
