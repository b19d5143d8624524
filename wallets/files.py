"""Private files and directories on disk: atomic writes, mode 0600 for files and 0700 for folders.

Every file the wallet writes goes through ``write_private_file``: a temporary file in the same
folder, created 0600, written, flushed to disk, then moved over the target with ``os.replace``,
so a crash leaves either the old or the new content, never half a keystore.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) and make ``path`` itself 0700."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``; the file is 0600 from its first byte."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
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


def write_private_json(path: Path, document: dict[str, Any]) -> None:
    """Atomically write ``document`` as indented JSON (keys in the order given) with mode 0600."""
    write_private_file(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))


def read_json(path: Path) -> Any:
    """Parse the JSON file at ``path`` (callers map ``OSError``/``ValueError`` to their own errors)."""
    with path.open("rb") as handle:
        return json.load(handle)


def _fsync_dir(path: Path) -> None:
    # Persist the rename itself; not every platform can open a directory, which is harmless.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
