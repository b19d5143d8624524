"""Oracles: adapters that read terminal, customs, maritime and credit messages into typed facts
(``base``, ``facts``, ``registry``, ``edifact``, ``adapters``). See docs/oracles.md."""
