"""``RemoteSigner``: the coordinator's ``SignerEndpoint`` for a signer process behind a Unix socket.

One connection per request (cheap on a local socket, and a restarted signer is simply used again). Every
way a signer can fail to sign — a refusal, a timeout, a socket nobody listens on, an answer that does not
follow ``oracles.signer_wire`` — is a ``SignatureRefused``: the coordinator needs k of n and moves on to
the next signer; nothing here raises past it. Whether a signature is any good is the coordinator's check
(it recovers the signer), not this class's.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from eth_utils.address import is_address, to_checksum_address

from ledger.domain import schemas
from oracles.quorum import SignatureRefused
from oracles.signer_wire import (
    MAX_ANSWER_BYTES,
    PeerClosed,
    WireError,
    recv_frame,
    send_frame,
    sign_request,
    unix_address,
)


class SignerUnreachable(Exception):
    """The signer process at a socket did not answer (``reason`` says how)."""

    def __init__(self, socket_path: Path, reason: str) -> None:
        self.socket_path = socket_path
        self.reason = reason
        super().__init__(f"the signer at {socket_path} does not answer: {reason}")


class RemoteSigner:
    """A signer process reached over its Unix socket.

    ``address`` is the signer's address as configured; when none is configured it is asked for once (and
    ``SignerUnreachable`` raised if the process does not answer). A signer that answers for another
    address than the configured one is refused.
    """

    def __init__(self, socket_path: Path, address: str | None = None, *, timeout: float = 10.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout
        self._address: str | None = str(to_checksum_address(address)) if address else None

    @property
    def address(self) -> str:
        if self._address is None:
            self._address = self.ask_address()
        return self._address

    def ask_address(self) -> str:
        """The address the signer process says it signs for."""
        try:
            answer = self._call({"op": "address"})
        except (OSError, WireError, PeerClosed) as exc:
            raise SignerUnreachable(self.socket_path, _describe(exc)) from None
        address = answer.get("address")
        if answer.get("ok") is not True or not isinstance(address, str) or not is_address(address):
            raise SignerUnreachable(self.socket_path, f"it answered {_error_of(answer)}")
        return str(to_checksum_address(address))

    def sign_report(self, raw: bytes, filename: str | None, report: schemas.ReportMessage) -> bytes:
        name = self._address or str(self.socket_path)
        try:
            answer = self._call(sign_request(raw, filename, report))
        except (OSError, WireError, PeerClosed) as exc:
            raise SignatureRefused(
                name, f"unreachable at {self.socket_path}: {_describe(exc)}", unreachable=True
            ) from None
        if answer.get("ok") is not True:
            reason = answer.get("reason")
            raise SignatureRefused(name, reason if isinstance(reason, str) else _error_of(answer))
        signer = answer.get("address")
        if self._address is not None and (
            not isinstance(signer, str)
            or not is_address(signer)
            or to_checksum_address(signer) != self._address
        ):
            raise SignatureRefused(name, f"the process at {self.socket_path} signs for {signer}, not {name}")
        signature = answer.get("signature")
        try:
            if not isinstance(signature, str) or not signature.startswith("0x"):
                raise ValueError
            decoded = bytes.fromhex(signature[2:])
        except ValueError:
            raise SignatureRefused(name, "the answer carries no readable signature") from None
        if len(decoded) != 65:
            raise SignatureRefused(name, f"the answer carries a signature of {len(decoded)} bytes, not 65")
        return decoded

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            with unix_address(self.socket_path) as address:
                sock.connect(address)
            send_frame(sock, request)
            return recv_frame(sock, MAX_ANSWER_BYTES)

    def __repr__(self) -> str:
        return f"RemoteSigner(socket={self.socket_path}, address={self._address})"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, PeerClosed):
        return "the connection closed without an answer"
    if isinstance(exc, WireError):
        return exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.__class__.__name__


def _error_of(answer: dict[str, Any]) -> str:
    code = answer.get("error")
    return f"error {code}" if isinstance(code, str) else "an answer outside the protocol"
