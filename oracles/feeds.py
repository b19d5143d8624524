"""The envelope shared by the project's JSON feeds: ``{"feed": <name>, "version": <n>, ...}``.

Feeds the project defines itself (maritime administration vessel movements, customs credit levels)
name themselves and their version so an adapter can recognise them without a file name.
"""

from __future__ import annotations

import json
from typing import Any

from oracles.base import MessageRejected, RejectionCode

MAX_DEPTH = 32


def _nesting_depth(raw: bytes) -> int:
    """Deepest array/object nesting, strings skipped. Checked before ``json.loads``: very deep
    nesting exhausts the C stack of the JSON decoder and would take the process down."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def load_feed(raw: bytes, feed_name: str, version: int) -> dict[str, Any]:
    """Parse a JSON feed document and check its ``feed`` name and ``version``."""
    if _nesting_depth(raw) > MAX_DEPTH:
        raise MessageRejected(
            "$", None, f"JSON nested deeper than {MAX_DEPTH} levels", RejectionCode.SYNTAX_ERROR
        )
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageRejected("$", None, f"not valid JSON: {exc}", RejectionCode.SYNTAX_ERROR) from None
    if not isinstance(document, dict):
        raise MessageRejected("$", None, "the document must be a JSON object", RejectionCode.INVALID_VALUE)
    if document.get("feed") != feed_name:
        raise MessageRejected("feed", None, f"feed must be {feed_name!r}", RejectionCode.ENVELOPE_ERROR)
    if document.get("version") != version:
        raise MessageRejected(
            "version",
            None,
            f"version {document.get('version')!r} is not supported (expected {version})",
            RejectionCode.ENVELOPE_ERROR,
        )
    return document


def sniff_feed(raw: bytes, feed_name: str) -> bool:
    head = raw[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and f'"{feed_name}"'.encode() in head
