"""Operation ids: ``op_`` + a 26-character ULID (Crockford base32), sortable by creation time.

Within one process ids are strictly increasing (the random part is incremented inside the same
millisecond), so ordering by id is the order in which this process accepted the writes.
"""

from __future__ import annotations

import os
import random
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = -1
_last_random = 0
# Seeded once from the OS: ids must not collide across processes, and need not be secret (the
# API checks the organisation on every read).
_random = random.Random(os.urandom(32))


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_ulid() -> str:
    global _last_ms, _last_random
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            _last_random = (_last_random + 1) & ((1 << 80) - 1)
        else:
            _last_random = _random.getrandbits(80)
        _last_ms = now
        return _encode(now, 10) + _encode(_last_random, 16)


def new_operation_id() -> str:
    return "op_" + new_ulid()
