"""Property test of the HTTP surface against its own OpenAPI document: schemathesis (v4)
generates requests for every operation under ``/v1`` (bills, verify, operations, releases,
attestations, reports, consortium, events, webhooks, oracle ingest) and the health routes, and
sends them in-process through the ASGI app, authenticated as a member; no answer may be a 5xx.

Bounded: a few examples per operation (``max_examples``), no shrinking beyond hypothesis's defaults,
a followed event stream is turned into a catch-up read so that no request waits for new events.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.test_releases_world import PortWorld, port_world

__all__ = ["port_world"]

EVERY_PATH = r"^/(v1/|healthz|readyz)"


MAX_EXAMPLES = 6


def check_operation(operation: Any, client: Any, token: str) -> None:
    """Up to ``MAX_EXAMPLES`` generated requests for one operation; every answer must be below 500."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        if case.path == "/v1/events":
            case.query = {**(case.query or {}), "follow": "false"}
        if case.headers:
            case.headers.pop("Prefer", None)  # the write is answered at once; waiting adds nothing here
        # Sent through the world's own client, inside the app's lifespan (schemathesis's ASGI transport
        # would run the lifespan around every call, stopping and starting the node's workers).
        kwargs = case.as_transport_kwargs(
            base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
        )
        response = client.request(**kwargs)
        case.validate_response(response, checks=[not_a_server_error])

    run()


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(port_world: PortWorld) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", port_world.client.app).include(
        path_regex=EVERY_PATH
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35
    for operation in operations:
        check_operation(operation, port_world.client, port_world.token["terminal"])
