"""JSON-RPC over HTTP with one kept-alive connection per thread.

The client's hot paths (a bill read, a write's pre-check, the transaction manager's receipt polls)
make one or two JSON-RPC calls each, from many threads at once. A general HTTP library costs more
per call than the node does to answer an ``eth_call`` (proxy and ``.netrc`` look-ups, CA-bundle checks,
a shared pool that opens and drops extra connections under load), so this module speaks HTTP/1.1
with ``http.client`` directly: each thread keeps its own connection to the endpoint and re-opens it
when the server has closed it.

A request is sent again only when a connection that had been idle turns out to be closed before
any answer arrived (the usual keep-alive race); every other failure is :class:`TransportError`.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "Connection": "keep-alive"}
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class TransportError(Exception):
    """The endpoint could not be reached, or its answer was not JSON."""


class JsonRpcTransport:
    """POSTs JSON-RPC payloads to one URL; thread-safe (a connection per thread)."""

    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) JSON-RPC URL: {url!r}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._local = threading.local()

    def post(self, payload: Any) -> Any:
        """Send one JSON value (a request or a batch) and return the decoded JSON answer."""
        body = json.dumps(payload, separators=(",", ":"), default=_hex).encode("utf-8")
        for attempt in (1, 2):
            connection, reused = self._connection()
            try:
                connection.request("POST", self._path, body=body, headers=_HEADERS)
                response = connection.getresponse()
                data = response.read()
            except _STALE as exc:
                self._drop()
                if reused and attempt == 1:
                    continue
                raise TransportError(f"{self.url}: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise TransportError(f"{self.url}: {exc}") from exc
            if response.will_close:
                self._drop()
            try:
                return json.loads(data)
            except ValueError as exc:
                raise TransportError(
                    f"{self.url} answered HTTP {response.status} that is not JSON: {data[:200]!r}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        self._drop()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection, True
        if self._https:
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        self._local.connection = connection
        return connection, False

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _hex(value: Any) -> str:
    """Bytes in a request go as 0x-hex, as JSON-RPC expects."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    raise TypeError(f"cannot send {type(value).__name__} in a JSON-RPC request")
