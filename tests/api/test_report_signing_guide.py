"""The report-signing example of docs/guides/api.md (``docs/guides/report_signing.py``), run as a user
would: plain eth_account over the deployment's chain id and registry, posted to ``POST /v1/reports``."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from ledger.domain import schemas
from tests.api.test_releases import mined
from tests.api.test_releases_world import PortWorld, port_world, release_fields

__all__ = ["port_world"]

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_signing", GUIDE / "report_signing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guide_includes_the_example_and_names_its_domain_and_type() -> None:
    text = (GUIDE / "api.md").read_text(encoding="utf-8")
    assert "report_signing.py" in text
    assert schemas.REPORT_TYPE in text
    assert f'"{schemas.REPORT_DOMAIN_NAME}"' in text and f'"{schemas.REPORT_DOMAIN_VERSION}"' in text


def test_the_documented_example_gets_a_report_accepted(port_world: PortWorld) -> None:
    world = port_world
    guide = example()
    fields = release_fields("DEC-GUIDE-0001")
    data = guide.customs_release_data(
        fields["declarationNumber"], fields["customsOfficeCode"], fields["releasedAt"]
    )
    assert data == schemas.CUSTOMS_RELEASE.encode(fields)  # the layout the doc states is the schema's
    subject = os.urandom(32)
    body = guide.report_body(
        [k.key for k in world.oracles[:2]],
        chain_id=world.chain.chain_id,
        registry=world.deployment.attestation_registry,
        agency=world.org["customs"],
        schema_id=world.deployment.schema_id("CUSTOMS_RELEASE"),
        subject=subject,
        source_id=os.urandom(32),
        sequence=1,
        deadline=world.chain.latest_timestamp() + 3600,
        data=data,
    )
    done = mined(world.post("bank", "/v1/reports", body))
    made = world.get("customs", f"/v1/subjects/0x{subject.hex()}/attestations").json()["items"]
    assert [a["uid"] for a in made] == [done["result"]["uid"]]
    assert made[0]["fields"] == fields
