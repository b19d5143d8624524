"""The benchmark's outputs: the flat headline figures, the Markdown table and the PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    "outbox_ratio": 0.6,
    "http_ratio": 0.5,
    "http_ack_p99_ms": 50.0,
    "ack_to_mined_p99_ms": 2000.0,
    "read_rps": 2000.0,
    "read_p99_ms": 20.0,
}


def _median(out: dict[str, Any], *path: str) -> float:
    node: Any = out
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return 0.0
        node = node[part]
    return float(node["median"]) if isinstance(node, dict) else float(node)


def slope(points: list[dict[str, Any]], key: str) -> float:
    """Least-squares slope of ``key`` per 1,000 titles."""
    xs = [p["titles"] / 1000 for p in points]
    ys = [float(p[key]) for p in points]
    if len(xs) < 2:
        return 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var, 4) if var else 0.0


def headline(out: dict[str, Any]) -> dict[str, Any]:
    """The flat medians ``latest.json`` must hold."""
    raw = _median(out, "raw", "ops_per_s")
    lookup_rps = _median(out, "read_lookup", "rps")
    statement_rps = _median(out, "read_statement", "rps")
    flat: dict[str, Any] = {
        "raw_tx_per_s": raw,
        "outbox_ops_per_s": _median(out, "outbox", "ops_per_s"),
        "http_ops_per_s": _median(out, "http", "ops_per_s"),
        "http_ack_p99_ms": _median(out, "http", "ack_p99_ms"),
        "ack_to_mined_p99_ms": _median(out, "http", "ack_to_mined_p99_ms"),
        "read_rps": min(lookup_rps, statement_rps),
        "read_p99_ms": max(_median(out, "read_lookup", "p99_ms"), _median(out, "read_statement", "p99_ms")),
        "blocktime2_ops_per_s": _median(out, "blocktime2", "outbox", "ops_per_s"),
        "blocktime2_raw_tx_per_s": _median(out, "blocktime2", "raw", "ops_per_s"),
    }
    flat["outbox_ratio"] = round(flat["outbox_ops_per_s"] / raw, 3) if raw else 0.0
    flat["http_ratio"] = round(flat["http_ops_per_s"] / raw, 3) if raw else 0.0
    growth = out.get("growth") or []
    if growth:
        flat["growth_slopes_per_1k_titles"] = {
            k: slope(growth, k) for k in ("transfer_gas", "raw_ops_per_s", "read_p99_ms")
        }
    return flat


def _mmm(node: Any, digits: int = 1) -> str:
    if not isinstance(node, dict) or "median" not in node:
        return "-"
    return f"{node['median']:,.{digits}f} ({node['min']:,.{digits}f}-{node['max']:,.{digits}f})"


def _verdict(value: float, target: float, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else f"missed ({value / target:.2f}x target)"


def markdown(out: dict[str, Any]) -> str:
    m = out.get("machine", {})
    lines = [
        f"Machine: {m.get('cores')} cores, {m.get('cpu')}, {m.get('memoryGiB')} GiB, "
        f"Python {m.get('python')}; "
        f"commit `{out.get('commit')}`; mode {out.get('mode')}, median of {out.get('runs')} run(s) "
        f"(min-max); load average at start {out.get('loadavg_at_start')}.",
        "",
        "| Figure | Median (min-max) | Target | |",
        "|---|---|---|---|",
    ]

    def row(name: str, node: Any, target: str = "", verdict: str = "", digits: int = 1) -> None:
        lines.append(f"| {name} | {_mmm(node, digits)} | {target} | {verdict} |")

    raw = out.get("raw", {}).get("ops_per_s")
    row("Raw chain ceiling, transfers/s (signed here, batches of 200)", raw)
    row(
        "Outbox (library), transfers/s",
        out.get("outbox", {}).get("ops_per_s"),
        ">= 0.6 x raw",
        _verdict(out.get("outbox_ratio", 0.0), 0.6, True),
    )
    http = out.get("http", {})
    row("HTTP, 64 clients, transfers/s", http.get("ops_per_s"), ">= 0.5 x raw",
        _verdict(out.get("http_ratio", 0.0), 0.5, True))  # fmt: skip
    row("HTTP write acknowledgement p99, ms", http.get("ack_p99_ms"), "<= 50",
        _verdict(out.get("http_ack_p99_ms", 0.0), 50, False))  # fmt: skip
    row("Acknowledgement to mined p99, ms", http.get("ack_to_mined_p99_ms"), "<= 2,000",
        _verdict(out.get("ack_to_mined_p99_ms", 0.0), 2000, False))  # fmt: skip
    for name, label in (("lookup", "Bill lookup"), ("statement", "Collateral statement")):
        node = out.get(f"read_{name}", {})
        row(f"{label}, requests/s (wrk, 64 connections)", node.get("rps"), ">= 2,000",
            _verdict(_median(out, f"read_{name}", "rps"), 2000, True))  # fmt: skip
        row(f"{label} p99, ms", node.get("p99_ms"), "<= 20",
            _verdict(_median(out, f"read_{name}", "p99_ms"), 20, False))  # fmt: skip
    bt = out.get("blocktime2", {})
    row(
        f"Block time 2 s (gas limit {bt.get('block_gas_limit', 0):,}): raw tx/s",
        bt.get("raw", {}).get("ops_per_s"),
    )
    row("Block time 2 s: outbox transfers/s", bt.get("outbox", {}).get("ops_per_s"))
    if bt:
        lines.append(f"| Block time 2 s: most transactions in one block | {bt.get('tx_per_block_max')} | | |")
    lines.append("")
    growth = out.get("growth") or []
    if growth:
        lines += [
            "| Titles | Transfer gas | Raw transfers/s | Lookup p99, ms | Lookup requests/s |",
            "|---|---|---|---|---|",
        ]
        for p in growth:
            lines.append(
                f"| {p['titles']:,} | {p['transfer_gas']:,} | {p['raw_ops_per_s']:,.1f} | "
                f"{p['read_p99_ms']:,.1f} | {p['read_rps']:,.1f} |"
            )
        slopes = out.get("growth_slopes_per_1k_titles", {})
        lines.append("")
        lines.append("Slope per 1,000 titles: " + ", ".join(f"{k} {v}" for k, v in slopes.items()) + ".")
    catch = out.get("index_catch_up")
    if catch:
        lines.append(
            f"Indexer catch-up from cold: {catch['events']:,} events in {catch['seconds']} s "
            f"= {catch['events_per_s']:,.1f} events/s."
        )
    lines.append("")
    lines.append("CPU (cores busy, median of runs): " + "; ".join(
        f"{phase}: " + ", ".join(f"{k} {v}" for k, v in out[phase]["cpu"].items())
        for phase in ("raw", "outbox", "http", "read_lookup", "read_statement") if phase in out
    ) + ".")  # fmt: skip
    gas = out.get("gas") or {}
    if gas:
        lines += ["", "| Operation | Gas |", "|---|---|"]
        lines += [f"| {k} | {v:,} |" for k, v in gas.items()]
    return "\n".join(lines) + "\n"


def plots(out: dict[str, Any], folder: Path) -> list[Path]:
    """PNG figures; none if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    cores = out.get("machine", {}).get("cores")
    caption = f"{cores} cores, commit {out.get('commit')}, median of {out.get('runs')}"
    written: list[Path] = []

    names, medians, lows, highs = [], [], [], []
    for label, node in (
        ("raw", out.get("raw", {}).get("ops_per_s")),
        ("outbox", out.get("outbox", {}).get("ops_per_s")),
        ("HTTP", out.get("http", {}).get("ops_per_s")),
        ("raw, 2 s blocks", out.get("blocktime2", {}).get("raw", {}).get("ops_per_s")),
        ("outbox, 2 s blocks", out.get("blocktime2", {}).get("outbox", {}).get("ops_per_s")),
    ):
        if isinstance(node, dict):
            names.append(label)
            medians.append(node["median"])
            lows.append(node["median"] - node["min"])
            highs.append(node["max"] - node["median"])
    if names:
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(names, medians, yerr=[lows, highs], capsize=4, color="#4a7ab5")
        ax.set_ylabel("title transfers per second")
        ax.set_title(f"Write throughput ({caption})", fontsize=9)
        fig.tight_layout()
        path = folder / "throughput.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    growth = out.get("growth") or []
    if growth:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
        xs = [p["titles"] for p in growth]
        for ax, key, label in zip(
            axes,
            ("transfer_gas", "raw_ops_per_s", "read_p99_ms"),
            ("gas per transfer", "raw transfers/s", "lookup p99, ms"),
            strict=True,
        ):
            ax.plot(xs, [p[key] for p in growth], marker="o")
            ax.set_xscale("log")
            ax.set_xticks(xs, [f"{x:,}" for x in xs], minor=False)
            ax.set_xticks([], minor=True)
            ax.set_xlabel("titles on chain and in the index")
            ax.set_ylabel(label)
            ax.set_ylim(bottom=0)
        fig.suptitle(f"How cost grows ({caption})", fontsize=9)
        fig.tight_layout()
        path = folder / "growth.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
