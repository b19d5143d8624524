"""The JSON-RPC transport (``ledger.chain.transport``): a kept-alive connection per thread, re-opened
when the server has closed it, and batched view calls at one block (``Contract.calls``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledger.chain import ChainClient, ContractRevert
from ledger.chain.transport import JsonRpcTransport, TransportError
from ledger.domain.errors import ChainUnavailable


class _ClosingHandler(BaseHTTPRequestHandler):
    """Answers every JSON-RPC request with its id, then closes the connection although the client
    asked to keep it: what a node does when its idle keep-alive timeout has passed."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": body["method"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def closing_server() -> Iterator[str]:
    """A stand-in node on 127.0.0.1 (anvil cannot be made to drop kept-alive connections on demand)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ClosingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_connection_closed_by_the_server_is_opened_again(closing_server: str) -> None:
    transport = JsonRpcTransport(closing_server, timeout=5)
    answers = [transport.post({"jsonrpc": "2.0", "id": i, "method": f"m{i}", "params": []}) for i in range(5)]
    assert [a["result"] for a in answers] == [f"m{i}" for i in range(5)]


def test_an_unreachable_endpoint_is_chain_unavailable() -> None:
    chain = ChainClient("http://127.0.0.1:9/", request_timeout=2)
    with pytest.raises(ChainUnavailable):
        chain.block_number()
    with pytest.raises(TransportError):
        JsonRpcTransport("http://127.0.0.1:9/").post({"jsonrpc": "2.0", "id": 1, "method": "x"})


def test_not_an_http_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        JsonRpcTransport("ws://127.0.0.1:8545")


def test_many_threads_share_one_client_against_anvil(chain: ChainClient, accounts: list[str]) -> None:
    probe = chain.deploy("Probe", sender=accounts[0])
    probe.transact("store", 5, "x", sender=accounts[1])

    def read(i: int) -> tuple[int, int]:
        return i, probe.call("value")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(read, range(400)))
    assert results == [(i, 5) for i in range(400)]


def test_calls_answers_in_order_at_one_block_with_reverts_in_place(
    chain: ChainClient, accounts: list[str]
) -> None:
    probe = chain.deploy("Probe", sender=accounts[0])
    probe.transact("store", 1, "a", sender=accounts[1])
    block = chain.block_number()
    probe.transact("store", 2, "b", sender=accounts[1])
    then = probe.calls([("value", ()), ("fail", (3, "why")), ("value", ())], block=block)
    assert then[0] == 1 and then[2] == 1
    assert isinstance(then[1], ContractRevert) and then[1].name == "ProbeFailed"
    assert probe.calls([("value", ())]) == [2]
