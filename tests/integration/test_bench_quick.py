"""``python -m bench --quick`` runs end to end and writes every required figure.

Shape and sanity only: each required key of ``latest.json`` holds a positive number (``gas`` a
non-empty object of positive integers). Speed is not asserted; the figures depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = (
    "raw_tx_per_s",
    "outbox_ops_per_s",
    "http_ops_per_s",
    "http_ack_p99_ms",
    "ack_to_mined_p99_ms",
    "read_rps",
    "read_p99_ms",
    "blocktime2_ops_per_s",
)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_quick_bench_writes_every_required_figure_as_a_positive_number(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    for key in REQUIRED:
        assert isinstance(result[key], int | float) and result[key] > 0, f"{key} = {result.get(key)!r}"
    assert result["gas"] and all(isinstance(v, int) and v > 0 for v in result["gas"].values())
    assert result["machine"]["cores"] and result["commit"]
    assert (tmp_path / "latest.md").read_text().startswith("Machine:")
