"""Webhooks over HTTP against a receiver on 127.0.0.1: HMAC-SHA256 signed deliveries with a timestamp,
a retry with backoff after the receiver fails, the delivery log, and a wrong organisation that learns
nothing."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ledger.services.errors import ValidationFailed
from ledger.services.events import LedgerEvent
from ledger.services.webhooks import (
    EVENT_ID_HEADER,
    MAX_WEBHOOKS_PER_ORG,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Webhook,
    WebhookService,
    verify,
)
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
    world.ledger.webhooks.backoff_base = 0.3

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


# -- a webhook is not a probe of the node's network ----------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[fe80::1]",
        "[fd00::1]",
        "224.0.0.1",
    ],
)
def test_a_webhook_to_a_loopback_private_or_metadata_address_is_refused(
    port_world: PortWorld, host: str
) -> None:
    """Without the allow-list (a node's default) no such URL is registered; nothing is stored."""
    service = WebhookService(port_world.ledger.db, port_world.ledger.events)
    org = port_world.org["forwarder"]
    before = len(service.of_org(org))
    with pytest.raises(ValidationFailed) as caught:
        service.create(org, f"http://{host}:8080/hook")
    assert [p.rule for p in caught.value.problems] == ["publicHost"]
    assert len(service.of_org(org)) == before


def test_a_delivery_checks_the_connected_address_again(port_world: PortWorld, receiver: Receiver) -> None:
    """A name that passed registration may resolve to loopback later (DNS rebinding): the connected peer
    is checked before the request is written, and the receiver gets nothing."""
    service = WebhookService(port_world.ledger.db, port_world.ledger.events)
    status, error = service._post(receiver.url, b"{}", {"Content-Type": "application/json"})
    assert (status, error) == (None, "address refused")
    assert receiver.received == []


def test_a_redirect_is_not_followed_and_errors_say_only_what_kind(
    port_world: PortWorld, receiver: Receiver
) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", receiver.url)
            self.send_header("Server", "internal-admin/9.9")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service = port_world.ledger.webhooks
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        assert service._post(url, b"{}", {}) == (307, "HTTP 307")
        assert receiver.received == []
    finally:
        server.shutdown()
        server.server_close()
    # A closed port: the log says the connection failed, not what the socket layer said.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert service._post(f"http://127.0.0.1:{port}/hook", b"{}", {}) == (None, "connection failed")


def test_an_organisation_keeps_at_most_ten_webhooks(port_world: PortWorld, receiver: Receiver) -> None:
    world = port_world
    existing = len(world.get("maritime", "/v1/webhooks").json()["items"])
    for _ in range(MAX_WEBHOOKS_PER_ORG - existing):
        assert world.post("maritime", "/v1/webhooks", {"url": receiver.url}).status_code == 201
    refused(world.post("maritime", "/v1/webhooks", {"url": receiver.url}), 422, "VALIDATION_FAILED")
    assert len(world.get("maritime", "/v1/webhooks").json()["items"]) == MAX_WEBHOOKS_PER_ORG


class _Feed:
    """The event feed's interface over a fixed list (a stand-in for the chain's feed: what is under test
    here is only how the delivery loop moves a filtered webhook's cursor)."""

    def __init__(self, events: list[LedgerEvent]):
        self.events = events

    def head(self) -> int:
        return self.events[-1].id

    def page(self, org: int, cursor: int, limit: int = 50) -> tuple[list[LedgerEvent], int]:
        found = [e for e in self.events if e.id > cursor][:limit]
        return found, found[-1].id if found else cursor


def test_a_type_filter_moves_past_unmatched_events_instead_of_stalling(
    port_world: PortWorld, receiver: Receiver
) -> None:
    world = port_world
    org = world.org["haulier"]
    base = 10**15
    events = [
        LedgerEvent(base + i, "BillActed", "bills", 1, "0x00", {}, frozenset({org})) for i in range(1, 121)
    ]
    events.append(LedgerEvent(base + 121, "GatedOut", "release", 1, "0x00", {"n": 1}, frozenset({org})))
    service = WebhookService(
        world.ledger.db,
        _Feed(events),  # type: ignore[arg-type]
        allowed_hosts=["127.0.0.1"],
    )
    created = service.create(org, receiver.url, ["GatedOut"])
    with world.ledger.db.transaction(lock=True) as session:
        stored = session.get(Webhook, created.webhook.id)
        assert stored is not None
        stored.cursor = base
    service.backoff_base = 0.05
    deadline = time.monotonic() + 10
    # 50 events a pass: the third pass reaches the GatedOut (the receiver fails its first delivery).
    while not any(status < 300 for *_, status in receiver.received):
        assert time.monotonic() < deadline, receiver.received
        service.deliver_due()
        time.sleep(0.06)
    assert {json.loads(body)["type"] for _, body, _ in receiver.received} == {"GatedOut"}
    assert service.get(org, created.webhook.id).cursor == base + 121
