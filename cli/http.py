"""The HTTP client every ``portledger`` client command and the demo use: base URL, API key, problems.

Owns how a command talks to the API (``Authorization: Bearer``, ``Prefer: wait=N``, RFC 9457 problems
turned into :class:`ApiProblem`), and where the defaults come from: ``--api-url`` / ``PORTLEDGER_API_URL``,
else the ``apiUrl`` that ``portledger run`` records in ``<data dir>/run/pids.json`` while the stack runs,
else ``http://127.0.0.1:8000``; and ``--api-key`` / ``PORTLEDGER_API_KEY``, or a role of the demo's
``demo-keys.json`` (``--as carrier``). It never opens the database or the chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

DEFAULT_API_URL = "http://127.0.0.1:8000"


class ApiProblem(RuntimeError):
    """The API refused a request: an RFC 9457 problem with its stable ``code``."""

    def __init__(self, status: int, code: str, detail: str, body: Any = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.body = body


class ApiUnavailable(RuntimeError):
    """Nothing answers at the base URL."""


@dataclass
class ApiClient:
    """One organisation's view of the API."""

    base_url: str
    api_key: str
    timeout: float = 60.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def _headers(self, wait: float | None = None, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if wait is not None:
            headers["Prefer"] = f"wait={wait:g}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        wait: float | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        url = self.base_url.rstrip("/") + path
        try:
            response = self.session.request(
                method,
                url,
                json=body,
                params=params,
                headers=self._headers(wait, idempotency_key),
                timeout=self.timeout + (wait or 0),
            )
        except requests.ConnectionError:
            raise ApiUnavailable(
                f"nothing answers at {self.base_url}: start the stack with `make run` (or give --api-url)"
            ) from None
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"code": "HTTP_ERROR", "detail": response.text[:200]}
            raise ApiProblem(
                response.status_code,
                str(problem.get("code", "HTTP_ERROR")),
                str(problem.get("detail", problem.get("title", ""))),
                problem,
            )
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def write(self, path: str, body: Any, *, wait: float = 30.0, idempotency_key: str | None = None) -> Any:
        """POST a write and wait for its operation; a ``failed`` operation raises :class:`ApiProblem`."""
        operation = self.request("POST", path, body=body, wait=wait, idempotency_key=idempotency_key)
        if (
            isinstance(operation, dict)
            and isinstance(operation.get("operation"), dict)
            and "status" not in operation
        ):
            operation = operation["operation"] | {k: v for k, v in operation.items() if k != "operation"}
        if isinstance(operation, dict) and operation.get("status") == "failed":
            error = operation.get("error") or {}
            raise ApiProblem(409, str(error.get("code", "FAILED")), str(error.get("detail", "")), operation)
        return operation


def load_demo_keys(path: Path) -> dict[str, dict[str, Any]]:
    try:
        keys: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} does not exist: start the stack with `make run` first (it writes the demo keys)"
        ) from None
    return keys


def data_dir_of(data_dir: Path | None) -> Path:
    """``--data-dir``, else ``PORTLEDGER_DATA_DIR``, else ``./data`` (where ``portledger run`` keeps it)."""
    return data_dir or Path(os.environ.get("PORTLEDGER_DATA_DIR") or "data")


def running_api_url(data_dir: Path) -> str | None:
    """The API URL the running stack recorded in ``<data dir>/run/pids.json`` (``apiUrl``), if any.

    ``portledger run`` writes the file once the stack is up and removes it on a clean stop; an unreadable
    or foreign file counts as no record (the default URL then applies)."""
    try:
        record = json.loads((data_dir / "run" / "pids.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = record.get("apiUrl") if isinstance(record, dict) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def client_from(
    api_url: str | None, api_key: str | None, role: str | None, data_dir: Path | None = None
) -> ApiClient:
    """The client the options and environment describe (``--as ROLE`` reads the demo keys)."""
    root = data_dir_of(data_dir)
    url = api_url or os.environ.get("PORTLEDGER_API_URL") or running_api_url(root) or DEFAULT_API_URL
    key = api_key or os.environ.get("PORTLEDGER_API_KEY")
    if role:
        keys = load_demo_keys(root / "demo-keys.json")
        if role not in keys:
            raise KeyError(f"no demo key for {role!r}; roles: {', '.join(keys)}")
        key = str(keys[role]["apiKey"])
    if not key:
        raise KeyError("give --api-key (or set PORTLEDGER_API_KEY), or --as ROLE for a demo organisation")
    return ApiClient(url, key)
