"""The oracle runner's Prometheus metrics, on a registry of its own (one per runner, so tests and several
runners in one process do not collide).

``processed``: messages finished (all their actions done or skipped); ``rejected``: messages refused, by
reason (``dead_letter`` for unparseable, ``refused`` when the contract refused an action);
``submitted``: chain writes mined, by kind (report schema or gate move); ``duplicates``: actions found
already done (a re-delivered message, a restart); ``retries``: submission attempts repeated after a
transient failure or a waiting refusal; ``lag``: age in seconds of the oldest message still in the inbox.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class OracleMetrics:
    def __init__(self, agency: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.agency = agency
        labels = ["agency"]
        self._processed = Counter(
            "portledger_oracle_messages_processed",
            "Messages whose every action is done or skipped.",
            labels,
            registry=self.registry,
        )
        self._rejected = Counter(
            "portledger_oracle_messages_rejected",
            "Messages refused (dead_letter: unparseable; refused: the contract refused an action).",
            [*labels, "reason"],
            registry=self.registry,
        )
        self._submitted = Counter(
            "portledger_oracle_submitted",
            "Chain writes mined (k-of-n reports by schema, gate moves).",
            [*labels, "kind"],
            registry=self.registry,
        )
        self._duplicates = Counter(
            "portledger_oracle_duplicates",
            "Actions found already done on chain or in the checkpoint (no-ops).",
            labels,
            registry=self.registry,
        )
        self._retries = Counter(
            "portledger_oracle_retries",
            "Submission attempts repeated after a transient failure or a waiting refusal.",
            labels,
            registry=self.registry,
        )
        self._lag = Gauge(
            "portledger_oracle_lag_seconds",
            "Age of the oldest message still waiting in the inbox.",
            labels,
            registry=self.registry,
        )

    def processed(self) -> None:
        self._processed.labels(self.agency).inc()

    def rejected(self, reason: str) -> None:
        self._rejected.labels(self.agency, reason).inc()

    def submitted(self, kind: str) -> None:
        self._submitted.labels(self.agency, kind).inc()

    def duplicate(self) -> None:
        self._duplicates.labels(self.agency).inc()

    def retry(self) -> None:
        self._retries.labels(self.agency).inc()

    def lag(self, seconds: float) -> None:
        self._lag.labels(self.agency).set(max(0.0, seconds))

    def value(self, name: str, **labels: str) -> float:
        """A sample's current value (0 when never set), for tests and status output."""
        found = self.registry.get_sample_value(name, {"agency": self.agency, **labels})
        return float(found or 0.0)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Expose ``/metrics`` over HTTP on ``host:port`` (loopback by default)."""
        start_http_server(port, addr=host, registry=self.registry)
