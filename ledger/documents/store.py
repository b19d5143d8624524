"""Content-addressed storage of (encrypted) documents: the ``DocumentStore`` interface and two backends.

* :class:`LocalDocumentStore` — the embedded default: one file per object in a directory, named by
  the CID ``ipfs add --cid-version=1`` would give the same bytes, written atomically and re-hashed on
  every read.
* :class:`KuboDocumentStore` — an IPFS node through the Kubo RPC API (``ipfshttpclient``), asked for
  the same CID form (CIDv1, raw leaves, base32), so both backends name an object identically and a
  deployment can move between them without touching the ledger.

Stores hold opaque bytes: they never see plaintext documents or keys (encryption happens before).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from ledger.documents.cid import compute_cid
from ledger.documents.errors import (
    InvalidCid,
    ObjectCorrupted,
    ObjectNotFound,
    StoreError,
    StoreUnavailable,
)

# CIDv1, multibase base32 lowercase, sha2-256: raw ("bafkrei…") or dag-pb ("bafybei…") root.
_CID_RE = re.compile(r"^baf(?:krei|ybei)[a-z2-7]{52}$")


def check_cid(cid: str) -> str:
    """Return ``cid`` if it has the form this project issues, else raise :class:`InvalidCid`."""
    if not _CID_RE.match(cid):
        raise InvalidCid(f"{cid!r} is not a CIDv1 base32 sha2-256 identifier (bafkrei… or bafybei…)")
    return cid


@runtime_checkable
class DocumentStore(Protocol):
    """Where encrypted documents live, addressed by the CID of their bytes."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its CID."""
        ...

    def get(self, cid: str) -> bytes:
        """Return the bytes stored under ``cid``, verified against it.

        Raises :class:`ObjectNotFound` or :class:`ObjectCorrupted`.
        """
        ...

    def has(self, cid: str) -> bool:
        """Whether the object is held by this store (without fetching it from elsewhere)."""
        ...

    def pin(self, cid: str) -> None:
        """Keep the object from garbage collection. Raises :class:`ObjectNotFound` if absent."""
        ...


class LocalDocumentStore:
    """A directory of objects named by CID: ``ROOT/<last two CID characters>/<cid>``.

    Writes go to a temporary file in the same directory, are fsynced, then renamed over the final
    name, so a crash never leaves a partial object under a CID. Every read recomputes the CID.
    Nothing is ever garbage-collected, so :meth:`pin` only checks that the object exists.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, cid: str) -> Path:
        check_cid(cid)
        return self.root / cid[-2:] / cid

    def put(self, data: bytes) -> str:
        cid = compute_cid(data)
        path = self._path(cid)
        if path.exists():
            with contextlib.suppress(ObjectCorrupted):
                self.get(cid)
                return cid
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(path.parent)
        return cid

    def get(self, cid: str) -> bytes:
        path = self._path(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(cid) from None
        actual = compute_cid(data)
        if actual != cid:
            raise ObjectCorrupted(cid, actual)
        return data

    def has(self, cid: str) -> bool:
        return self._path(cid).is_file()

    def pin(self, cid: str) -> None:
        if not self.has(cid):
            raise ObjectNotFound(cid)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KuboDocumentStore:
    """An IPFS node through the Kubo RPC API (Kubo, or js-ipfs's compatible HTTP server).

    ``addr`` is the node's API multiaddr, e.g. ``/ip4/127.0.0.1/tcp/5001/http``. The client is built
    with ``ipfshttpclient.Client(addr)``: ``ipfshttpclient.connect()`` refuses current daemons on its
    version check. Every request is made offline (no network lookups for missing blocks). ``put``
    checks that the node's answer equals the locally computed CID, so a node configured with another
    chunker or CID version is caught at once instead of storing objects under foreign names.
    """

    _ADD_OPTIONS: ClassVar[dict[str, str]] = {
        "cid-version": "1",
        "raw-leaves": "true",
        "cid-base": "base32",
        "chunker": "size-262144",
        "hash": "sha2-256",
        "pin": "true",
    }

    def __init__(self, addr: str, timeout: float = 60.0, lookup_timeout: str = "1s") -> None:
        import ipfshttpclient  # imported here: only this backend needs it

        self._lookup_timeout = lookup_timeout
        self._timeout = timeout
        self._errors: Any = ipfshttpclient.exceptions
        try:
            self._client: Any = ipfshttpclient.Client(addr, offline=True, timeout=timeout)
        except ipfshttpclient.exceptions.Error as exc:
            raise StoreUnavailable(f"IPFS node at {addr}: {exc}") from exc

    def close(self) -> None:
        self._client.close()

    def put(self, data: bytes) -> str:
        expected = compute_cid(data)
        try:
            answer = self._client.add_bytes(data, opts=self._ADD_OPTIONS)
        except self._errors.Error as exc:
            raise StoreUnavailable(f"IPFS add failed: {exc}") from exc
        cid = str(answer)
        if cid != expected:
            raise StoreError(
                f"IPFS node answered {cid} but the bytes hash to {expected}: check its add settings"
            )
        return cid

    def get(self, cid: str) -> bytes:
        check_cid(cid)
        if not self.has(cid):
            raise ObjectNotFound(cid)
        try:
            data = bytes(self._client.cat(cid, opts={"timeout": f"{int(self._timeout)}s"}))
        except self._errors.Error as exc:
            raise StoreUnavailable(f"IPFS cat {cid} failed: {exc}") from exc
        actual = compute_cid(data)
        if actual != cid:
            raise ObjectCorrupted(cid, actual)
        return data

    def has(self, cid: str) -> bool:
        """Pinned (every ``put`` pins), or at least its root block is held locally.

        The block lookup carries a short timeout: Kubo answers "not found" at once for an offline
        request, but js-ipfs would wait for the block indefinitely.
        """
        check_cid(cid)
        try:
            self._client.pin.ls(cid, type="recursive")
            return True
        except self._errors.ErrorResponse:
            pass
        except self._errors.Error as exc:
            raise StoreUnavailable(f"IPFS pin/ls {cid} failed: {exc}") from exc
        try:
            self._client.block.stat(cid, opts={"timeout": self._lookup_timeout})
        except self._errors.ErrorResponse:
            return False
        except self._errors.Error as exc:
            raise StoreUnavailable(f"IPFS block/stat {cid} failed: {exc}") from exc
        return True

    def pin(self, cid: str) -> None:
        if not self.has(cid):
            raise ObjectNotFound(cid)
        try:
            self._client.pin.add(cid)
        except self._errors.Error as exc:
            raise StoreUnavailable(f"IPFS pin/add {cid} failed: {exc}") from exc
