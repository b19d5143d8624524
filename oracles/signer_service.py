"""One oracle signer as its own process: one key, one Unix socket, signatures only for reports it derives.

``SignerServer`` wraps an ``OracleSigner`` (docs/design.md §1.4: a signer re-runs the adapter on the raw
message and signs only a report it derived itself) and answers the requests of ``oracles.signer_wire``
on a Unix socket. The channel is authenticated by the operating system: the socket is created 0600 (the
umask is narrowed around ``bind``, so it is never wider, not even briefly) in a folder the signer owns,
and a peer whose uid is not the signer's is turned away (``SO_PEERCRED``).

Robustness: each connection has a read timeout and a frame limit; a bad request is answered with an error
and the server goes on; at most ``max_clients`` connections are served at once (the rest are told
``busy``); signing is serialised, since one key signs one thing at a time anyway. ``close`` removes the
socket file only if it is still the one this server created.

It must not log or answer key material, the passphrase or the message content; a refusal says why in
one sentence (the same reasons ``OracleSigner`` gives).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import stat
import struct
import threading
import time
from pathlib import Path
from typing import Any

from oracles.quorum import OracleSigner, SignatureRefused
from oracles.signer_wire import (
    DEFAULT_MAX_REQUEST_BYTES,
    PeerClosed,
    WireError,
    parse_sign_request,
    recv_frame,
    send_frame,
    unix_address,
)

_log = logging.getLogger(__name__)

SOCKET_MODE = 0o600
FOLDER_MODE = 0o700
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class SignerServiceError(Exception):
    """The signer cannot start; ``str()`` says what to fix."""


def _peer(conn: socket.socket) -> tuple[int, int]:
    """The connecting process's (pid, uid); (-1, -1) where the platform does not say."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return -1, -1
    pid, uid, _gid = _PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, peercred, _PEERCRED.size))
    return pid, uid


def clear_stale_socket(path: Path) -> None:
    """Remove ``path`` if it is a socket nobody listens on; refuse anything else found there."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(found.st_mode):
        raise SignerServiceError(f"{path} exists and is not a socket: remove it or choose another --socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        with unix_address(path) as address:
            probe.connect(address)
    except ConnectionRefusedError:
        _log.info("removing the stale socket %s (nobody listens on it)", path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    except OSError as exc:
        raise SignerServiceError(f"cannot tell whether {path} is in use ({exc.strerror or exc})") from None
    finally:
        probe.close()
    raise SignerServiceError(f"a signer already listens on {path}: stop it first or choose another --socket")


class SignerServer:
    """Serves one ``OracleSigner`` on a Unix socket until ``stop`` is set."""

    def __init__(
        self,
        signer: OracleSigner,
        socket_path: Path,
        *,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        timeout: float = 10.0,
        max_clients: int = 8,
    ) -> None:
        self.signer = signer
        self.socket_path = socket_path
        self.max_request_bytes = max_request_bytes
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(max_clients)
        self._signing = threading.Lock()
        self._listener: socket.socket | None = None
        self._identity: tuple[int, int] | None = None
        self._threads: set[threading.Thread] = set()
        self._threads_lock = threading.Lock()
        self._uid = os.getuid()

    # -- the socket ---------------------------------------------------------------------------------
    def bind(self) -> None:
        """Create the socket (0600, in a folder made 0700 if it has to be created) and listen."""
        path = self.socket_path
        if not path.parent.exists():
            path.parent.mkdir(mode=FOLDER_MODE, parents=True)
        clear_stale_socket(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # The umask is process-wide: narrow it only for the bind, before any thread of ours exists.
        previous = os.umask(0o777 & ~SOCKET_MODE)
        try:
            with unix_address(path) as address:
                listener.bind(address)
        except OSError as exc:
            listener.close()
            if exc.errno == errno.EADDRINUSE:
                raise SignerServiceError(f"{path} was taken while the signer started; try again") from None
            raise SignerServiceError(f"cannot create the socket {path}: {exc.strerror or exc}") from None
        finally:
            os.umask(previous)
        created = os.lstat(path)
        if stat.S_IMODE(created.st_mode) != SOCKET_MODE:
            listener.close()
            os.unlink(path)
            raise SignerServiceError(
                f"the socket {path} came out with mode {oct(stat.S_IMODE(created.st_mode))}, not 0600"
            )
        self._identity = (created.st_dev, created.st_ino)
        listener.listen(16)
        listener.settimeout(0.2)  # how often the accept loop looks at the stop flag
        self._listener = listener
        _log.info("signer %s (%s) listening on %s", self.signer.address, self.signer.agency.value, path)

    def close(self) -> None:
        """Stop listening and remove the socket file, if it is still ours; wait briefly for clients."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._identity is not None:
            with contextlib.suppress(FileNotFoundError):
                current = os.lstat(self.socket_path)
                if (current.st_dev, current.st_ino) == self._identity:
                    os.unlink(self.socket_path)
            self._identity = None
            _log.info("signer %s stopped; removed %s", self.signer.address, self.socket_path)
        with self._threads_lock:
            running = list(self._threads)
        deadline = time.monotonic() + 2.0  # a stalled client holds no lock worth waiting its timeout for
        for thread in running:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def serve(self, stop: threading.Event) -> None:
        """Accept connections until ``stop`` is set (``bind`` first); each is served on its own thread."""
        if self._listener is None:
            self.bind()
        assert self._listener is not None
        while not stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if stop.is_set():
                    break
                _log.warning("accept failed: %s", exc.strerror or exc)
                continue
            if not self._slots.acquire(blocking=False):
                self._turn_away(conn, "busy", "the signer serves as many connections as it allows; retry")
                continue
            thread = threading.Thread(target=self._serve_client, args=(conn,), daemon=True)
            with self._threads_lock:
                self._threads.add(thread)
            thread.start()

    # -- one connection ------------------------------------------------------------------------------
    def _turn_away(self, conn: socket.socket, code: str, reason: str) -> None:
        with contextlib.suppress(OSError):
            conn.settimeout(1.0)
            send_frame(conn, {"ok": False, "error": code, "reason": reason})
        conn.close()

    def _serve_client(self, conn: socket.socket) -> None:
        try:
            pid, uid = _peer(conn)
            if uid not in (-1, self._uid):
                _log.warning("refused a connection from uid %d (pid %d): not the signer's user", uid, pid)
                self._turn_away(conn, "refused", "only the signer's own user may connect")
                return
            conn.settimeout(self.timeout)
            with conn:
                self._requests(conn, pid)
        except OSError as exc:
            _log.info("a client went away: %s", exc.__class__.__name__)
        except Exception as exc:  # one client must never take the server down
            _log.warning("a connection failed: %s", exc.__class__.__name__)
        finally:
            self._slots.release()
            with self._threads_lock:
                self._threads.discard(threading.current_thread())

    def _requests(self, conn: socket.socket, pid: int) -> None:
        while True:
            try:
                request = recv_frame(conn, self.max_request_bytes)
            except PeerClosed:
                return
            except TimeoutError:
                _log.info("closed an idle or stalled connection of pid %d", pid)
                return
            except WireError as exc:
                send_frame(conn, {"ok": False, "error": exc.code, "reason": exc.reason})
                if exc.code == "too-large":
                    return  # the rest of the frame is still on the wire: nothing after it can be trusted
                _log.info("bad request from pid %d: %s", pid, exc.reason)
                continue
            send_frame(conn, self.answer(request, pid))

    def answer(self, request: dict[str, Any], pid: int = -1) -> dict[str, Any]:
        """The answer to one decoded request."""
        op = request.get("op")
        if op == "address":
            return {"ok": True, "address": self.signer.address}
        if op != "sign":
            return {"ok": False, "error": "bad-request", "reason": "op must be address or sign"}
        try:
            raw, filename, report = parse_sign_request(request)
        except WireError as exc:
            _log.info("bad sign request from pid %d: %s", pid, exc.reason)
            return {"ok": False, "error": exc.code, "reason": exc.reason}
        source = report.source_id.hex()
        try:
            with self._signing:
                signature = self.signer.sign_report(raw, filename, report)
        except SignatureRefused as exc:
            _log.info("refused report %s for pid %d: %s", source, pid, exc.reason)
            return {"ok": False, "error": "refused", "reason": exc.reason}
        except Exception as exc:
            _log.warning("could not sign report %s: %s", source, exc.__class__.__name__)
            return {
                "ok": False,
                "error": "internal",
                "reason": f"the signer failed ({exc.__class__.__name__})",
            }
        _log.info("signed report %s for pid %d", source, pid)
        return {"ok": True, "address": self.signer.address, "signature": "0x" + signature.hex()}
