"""The indexer over a real deployment record (the deploy plan's consortium, schemas and oracle signer
sets): it starts at the recorded block, projects the consortium as configured, and reconciles clean."""

from __future__ import annotations

import pytest

from ledger.db import Database
from ledger.index import queries
from ledger.index.indexer import Indexer, projected_through
from ledger.index.reconcile import reconcile
from tests.deployed import DeployedStack

pytestmark = pytest.mark.slow


def test_indexer_for_a_deployment_projects_its_consortium_and_reconciles_clean(
    db: Database, deployed_stack: DeployedStack
) -> None:
    deployment = deployed_stack.deployment
    chain = deployed_stack.chain
    indexer = Indexer.for_deployment(db, chain, deployment)
    indexer.catch_up()

    through = projected_through(db)
    assert through is not None and through[0] >= deployment.block_number
    for name, org_id in deployment.organisations.items():
        row = queries.get_organisation(db, org_id)
        assert row is not None, name
    schemas = {s.name: s.id for s in queries.list_schemas(db)}
    assert {name: schemas.get(name) for name in deployment.schemas} == dict(deployment.schemas)
    report = reconcile(db, chain, dict(deployment.addresses))
    assert report.differences == []
    # Other suites on the session's stack may have admitted more organisations: reconcile checks them too.
    assert report.checked["organisations"] >= len(deployment.organisations)
