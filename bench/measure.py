"""Measuring helpers: CPU time per process from /proc, medians with min/max, percentiles, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (and of its waited-for children) in seconds; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is the state (field 3); utime, stime, cutime, cstime are fields 14-17.
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU seconds of named processes over a measured interval."""

    pids: Mapping[str, int]

    def __post_init__(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def split(self, wall: float) -> dict[str, float]:
        """Cores used by each process over ``wall`` seconds (1.0 = one core busy all the time)."""
        return {
            name: round((cpu_seconds(pid) - self._start[name]) / wall, 3) if wall > 0 else 0.0
            for name, pid in self.pids.items()
        }


def summary(values: Sequence[float], digits: int = 1) -> dict[str, float]:
    """Median, min and max of the runs."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def merge_cpu(splits: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Median of each process's share over several runs."""
    names = {n for s in splits for n in s}
    return {n: round(statistics.median([s.get(n, 0.0) for s in splits]), 3) for n in sorted(names)}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memoryGiB": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
