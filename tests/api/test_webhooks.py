"""Webhooks over HTTP against a receiver on 127.0.0.1: HMAC-SHA256 signed deliveries with a timestamp,
a retry with backoff after the receiver fails, the delivery log, and a wrong organisation that learns
nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ledger.services.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.api.test_releases import eir, mined, ready_right, refused
from tests.api.test_releases_world import PortWorld, port_world

__all__ = ["port_world"]


class Receiver:
    """A tiny HTTP endpoint that fails the first ``failures`` deliveries with 500, then answers 204."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = 500 if receiver.failures > 0 else 204
                receiver.failures -= 1
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portledger"

    def wait_for(self, accepted: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for *_, s in self.received if s < 300) < accepted:
            assert time.monotonic() < deadline, f"only {self.received!r} received"
            time.sleep(0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    node = Receiver(failures=1)
    node.thread.start()
    try:
        yield node
    finally:
        node.server.shutdown()
        node.server.server_close()


def test_gate_out_is_delivered_signed_after_one_retry_and_logged(
    port_world: PortWorld, receiver: Receiver
) -> None:
    world = port_world
    created = world.post("terminal", "/v1/webhooks", {"url": receiver.url, "eventTypes": ["GatedOut"]})
    assert created.status_code == 201, created.text
    hook = created.json()
    secret = hook["secret"]
    assert len(secret) >= 32 and "secret" not in world.get("terminal", f"/v1/webhooks/{hook['id']}").json()
    world.ledger.services["webhooks"].backoff_base = 0.3

    right_id = ready_right(world)
    mined(
        world.post(
            "terminal",
            f"/v1/releases/{right_id}/gate-out",
            {"eir": eir(), "haulier": str(world.org["haulier"])},
        )
    )
    receiver.wait_for(1)

    (_, failed_body, _), (headers, body, status) = receiver.received[:2]
    assert status == 204 and failed_body == body
    event = json.loads(body)
    assert event["type"] == "GatedOut" and event["data"]["rightId"] == right_id
    assert headers[EVENT_ID_HEADER.lower()] == event["id"]
    signature = headers[SIGNATURE_HEADER.lower()]
    assert signature.startswith(f"t={headers[TIMESTAMP_HEADER.lower()]},v1=")
    assert verify(secret, signature, body)
    assert not verify("another-secret", signature, body)
    assert not verify(secret, signature, body + b" ")

    deadline = time.monotonic() + 5
    while True:
        log = world.get("terminal", f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
        if len(log) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(d["attempt"], d["status"], d["responseStatus"]) for d in reversed(log)] == [
        (1, "failed", 500),
        (2, "delivered", 204),
    ]
    assert {d["eventId"] for d in log} == {event["id"]}


def test_webhooks_of_another_organisation_are_not_found(port_world: PortWorld, receiver: Receiver) -> None:
    world = port_world
    hook = world.post("terminal", "/v1/webhooks", {"url": receiver.url}).json()
    refused(world.get("bank", f"/v1/webhooks/{hook['id']}"), 404, "NOT_FOUND")
    refused(world.get("bank", f"/v1/webhooks/{hook['id']}/deliveries"), 404, "NOT_FOUND")
    assert hook["id"] not in {h["id"] for h in world.get("bank", "/v1/webhooks").json()["items"]}
    assert hook["id"] in {h["id"] for h in world.get("terminal", "/v1/webhooks").json()["items"]}


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "not a url at all", "http://"])
def test_webhook_with_a_bad_url_is_refused_validation_failed(port_world: PortWorld, url: str) -> None:
    refused(port_world.post("terminal", "/v1/webhooks", {"url": url}), 422, "VALIDATION_FAILED")


def test_webhook_without_auth_is_refused(port_world: PortWorld) -> None:
    refused(
        port_world.client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x"}), 401, "UNAUTHENTICATED"
    )
