"""The wire between a coordinator and a signer process: framed JSON over a Unix socket.

A frame is a 4-byte big-endian length followed by that many bytes of one UTF-8 JSON object. Requests:

    {"op": "address"}
    {"op": "sign", "message": "<base64 of the raw message>", "filename": "cusres-001.edi" | null,
     "report": {"agency": 6, "action": 0, "target": "0x…", "schema": "0x…", "subject": "0x…",
                "sourceId": "0x…", "sequence": 1768440600, "data": "0x…", "deadline": 1768441200}}

Answers are ``{"ok": true, "address": "0x…"}``, ``{"ok": true, "address": "0x…", "signature": "0x…"}``
or ``{"ok": false, "error": <code>, "reason": "<one sentence>"}`` with a code of ``ERROR_CODES``.

This module owns the frame and the report's JSON form, and checks every field strictly (a coordinator is
not trusted). It holds no key and does no signing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import socket
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ledger.domain import schemas

HEADER = struct.Struct("!I")
DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024
"""A request frame's limit: a message of about 6 MiB once base64 has grown it by a third."""
MAX_ANSWER_BYTES = 64 * 1024
MAX_FILENAME_CHARS = 255
ERROR_CODES = ("refused", "bad-request", "too-large", "busy", "internal")
REPORT_FIELDS = (
    "agency",
    "action",
    "target",
    "schema",
    "subject",
    "sourceId",
    "sequence",
    "data",
    "deadline",
)

_SUN_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes on Linux, one of them the terminating NUL
_UINT_BITS = {"agency": 32, "sequence": 64, "deadline": 64}


class WireError(Exception):
    """A frame or request that does not follow the protocol; ``code`` is one of ``ERROR_CODES``."""

    def __init__(self, reason: str, code: str = "bad-request") -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


class PeerClosed(Exception):
    """The other side closed the connection (between frames, or in the middle of one)."""


# --------------------------------------------------------------------------------------------- frames


def send_frame(sock: socket.socket, document: Mapping[str, Any]) -> None:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    sock.sendall(HEADER.pack(len(body)) + body)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise PeerClosed(f"the connection closed {remaining} bytes before the end of the frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket, limit: int) -> dict[str, Any]:
    """The next JSON object; ``PeerClosed`` when the peer hangs up, ``WireError`` for a bad frame.

    A frame longer than ``limit`` is refused from its header alone (``too-large``), without reading it.
    """
    first = sock.recv(HEADER.size)
    if not first:
        raise PeerClosed
    header = first + (_recv_exact(sock, HEADER.size - len(first)) if len(first) < HEADER.size else b"")
    (size,) = HEADER.unpack(header)
    if size > limit:
        raise WireError(f"the frame has {size} bytes; at most {limit} are accepted", "too-large")
    body = _recv_exact(sock, size)
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WireError("the frame is not UTF-8 JSON") from None
    if not isinstance(document, dict):
        raise WireError("the frame is not a JSON object")
    return document


# --------------------------------------------------------------------------------------------- reports


def report_to_wire(report: schemas.ReportMessage) -> dict[str, Any]:
    return {
        "agency": report.agency,
        "action": int(report.action),
        "target": "0x" + report.target.hex(),
        "schema": "0x" + report.schema.hex(),
        "subject": "0x" + report.subject.hex(),
        "sourceId": "0x" + report.source_id.hex(),
        "sequence": report.sequence,
        "data": "0x" + report.data.hex(),
        "deadline": report.deadline,
    }


def _hex(value: Any, name: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise WireError(f"report.{name} must be a 0x-prefixed hex string")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise WireError(f"report.{name} is not hex") from None
    if size is not None and len(raw) != size:
        raise WireError(f"report.{name} must be {size} bytes, got {len(raw)}")
    return raw


def _uint(value: Any, name: str) -> int:
    bits = _UINT_BITS[name]
    if type(value) is not int or not 0 <= value < 2**bits:
        raise WireError(f"report.{name} must be an integer in [0, 2**{bits})")
    return value


def report_from_wire(value: Any) -> schemas.ReportMessage:
    if not isinstance(value, dict):
        raise WireError("report must be a JSON object")
    if set(value) != set(REPORT_FIELDS):
        raise WireError(f"report must have exactly the fields {', '.join(REPORT_FIELDS)}")
    action = value["action"]
    if type(action) is not int or action not in {a.value for a in schemas.ReportAction}:
        raise WireError("report.action must be 0 (ATTEST) or 1 (REVOKE)")
    return schemas.ReportMessage(
        agency=_uint(value["agency"], "agency"),
        action=schemas.ReportAction(action),
        target=_hex(value["target"], "target", 32),
        schema=_hex(value["schema"], "schema", 32),
        subject=_hex(value["subject"], "subject", 32),
        source_id=_hex(value["sourceId"], "sourceId", 32),
        sequence=_uint(value["sequence"], "sequence"),
        data=_hex(value["data"], "data"),
        deadline=_uint(value["deadline"], "deadline"),
    )


def sign_request(raw: bytes, filename: str | None, report: schemas.ReportMessage) -> dict[str, Any]:
    return {
        "op": "sign",
        "message": base64.b64encode(raw).decode("ascii"),
        "filename": filename,
        "report": report_to_wire(report),
    }


def parse_sign_request(request: Mapping[str, Any]) -> tuple[bytes, str | None, schemas.ReportMessage]:
    """The raw message, file name and proposed report of a ``sign`` request (``WireError`` if malformed)."""
    if set(request) != {"op", "message", "filename", "report"}:
        raise WireError("a sign request has exactly the fields op, message, filename, report")
    message = request["message"]
    if not isinstance(message, str):
        raise WireError("message must be a base64 string")
    try:
        raw = base64.b64decode(message, validate=True)
    except (binascii.Error, ValueError):
        raise WireError("message is not valid base64") from None
    filename = request["filename"]
    if filename is not None and (not isinstance(filename, str) or len(filename) > MAX_FILENAME_CHARS):
        raise WireError(f"filename must be null or a string of at most {MAX_FILENAME_CHARS} characters")
    return raw, filename, report_from_wire(request["report"])


# --------------------------------------------------------------------------------------------- sockets


@contextlib.contextmanager
def unix_address(path: Path) -> Iterator[str]:
    """An address ``bind``/``connect`` accept for ``path``, also when it is longer than ``sun_path``.

    A long path is reached through the parent folder's descriptor (``/proc/self/fd/N/name``, Linux), so a
    deep data directory still works; the socket file is created at ``path`` itself either way.
    """
    text = str(path)
    if len(os.fsencode(text)) <= _SUN_PATH_MAX:
        yield text
        return
    if not Path("/proc/self/fd").is_dir():
        raise OSError(f"the socket path {path} is longer than {_SUN_PATH_MAX} bytes; choose a shorter one")
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)
