"""Ratios and the outputs: markdown on stdout, JSON rows, a PNG chart.

The targets these rows are judged against live in ``benchmarks.targets``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .runner import Results, Row
from .stats import Spread, paired_ratios, spread
from .verdicts import Verdict, markdown

SDK_BASELINE = {
    "sqlite": ("sqlite", "agents.SQLiteSession"),
    "redis": ("redis", "agents RedisSession"),
    "redis-cluster": ("redis", "agents RedisSession"),
}
"""backend -> (backend, implementation) of the SDK session each row is compared with."""

STRANDS_BASELINE = ("file", "strands FileSessionManager")

FLOOR = {
    "sqlite": ("sqlite", "floor: sqlite3"),
    "redis": ("redis", "floor: redis-py RPUSH/LRANGE"),
    "redis-cluster": ("redis", "floor: redis-py RPUSH/LRANGE"),
    "dynamodb": ("dynamodb", "floor: DynamoDB PutItem/Query"),
}

ROLE_ORDER = {"ours": 0, "sdk": 1, "floor": 2}


def _is_restore(workload: str) -> bool:
    return workload.startswith("restore")


def apply_ratios(rows: list[Row]) -> None:
    """Set ``vs_sdk`` and ``vs_floor``: the median over rounds of the row's ops/s over the
    baseline's ops/s in the same round, with the spread of those per-round ratios."""
    index = {(r.backend, r.implementation, r.workload): r for r in rows}
    for row in rows:
        if _is_restore(row.workload):
            sdk_key: tuple[str, str] | None = STRANDS_BASELINE
        else:
            sdk_key = SDK_BASELINE.get(row.backend)
        if sdk_key is not None and sdk_key != (row.backend, row.implementation):
            base = index.get((*sdk_key, row.workload))
            ratio = _round_ratio(row, base)
            if base is not None and ratio is not None:
                row.vs_sdk, row.vs_sdk_spread = ratio.median, ratio
                row.sdk_baseline = base.implementation
        floor_key = FLOOR.get(row.backend)
        if row.role != "floor" and floor_key is not None:
            floor = index.get((*floor_key, row.workload))
            ratio = _round_ratio(row, floor)
            if floor is not None and ratio is not None:
                row.vs_floor, row.vs_floor_spread = ratio.median, ratio
                row.floor_baseline = floor.implementation


def _round_ratio(row: Row, base: Row | None) -> Spread | None:
    if base is None or not row.round_ops_per_s or not base.round_ops_per_s:
        return None
    try:
        ratios = paired_ratios(row.round_ops_per_s, base.round_ops_per_s)
    except ValueError:  # different round counts (never within one run)
        return None
    return spread(ratios) if ratios else None


# ---------------------------------------------------------------------- markdown


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _ops(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def ordered(rows: list[Row]) -> list[Row]:
    workloads: list[str] = []
    for row in rows:
        if row.workload not in workloads:
            workloads.append(row.workload)
    return sorted(
        rows,
        key=lambda r: (
            workloads.index(r.workload),
            r.backend,
            ROLE_ORDER.get(r.role, 9),
            r.implementation,
        ),
    )


def _ratio(value: float | None, spread_: Spread | None) -> str:
    """``3.27 (3.10-3.41)``: the median of per-round ratios and their interquartile range."""
    if value is None:
        return ""
    if spread_ is None or spread_.n < 2:
        return f"{value:.2f}"
    return f"{value:.2f} ({spread_.q1:.2f}-{spread_.q3:.2f})"


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| workload | backend | implementation | ops/s | p50 ms | p99 ms | lost/dup "
        "| req/op | x SDK (IQR) | x floor (IQR) |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in ordered(rows):
        lost = "" if r.lost is None else f"{r.lost}/{r.duplicated}"
        name = f"**{r.implementation}**" if r.role == "ours" else r.implementation
        lines.append(
            f"| {r.workload} | {r.backend} | {name} | {_ops(r.ops_per_s)} "
            f"| {_num(r.p50_ms, '.3f')} | {_num(r.p99_ms, '.3f')} | {lost} "
            f"| {_num(r.requests_per_op, '.2f')} | {_ratio(r.vs_sdk, r.vs_sdk_spread)} "
            f"| {_ratio(r.vs_floor, r.vs_floor_spread)} |"
        )
    return "\n".join(lines)


LEGEND = (
    "ops/s: operations per second, one after another (16 writers: appends per second across "
    "all writers). p50/p99: per-operation latency. lost/dup: items missing / duplicated when "
    "read back. req/op: requests sent to the server per operation (Redis: round trips; "
    "DynamoDB: HTTP requests). x SDK / x floor: the median over rounds of ops/s divided by "
    "the ops/s of the SDK baseline (agents.SQLiteSession, agents RedisSession; Strands "
    "FileSessionManager for restores) / of the bare client floor on the same backend in the "
    "same round (above 1 = faster), with the interquartile range of the per-round ratios."
)


def render(results: Results, verdicts: list[Verdict]) -> str:
    parts = ["## Results", "", markdown_table(results.rows), "", LEGEND, ""]
    parts += ["## Targets", "", markdown(verdicts), ""]
    if results.skipped:
        parts += ["## Not measured", ""]
        parts += [f"- {s.label}: {s.reason}" for s in results.skipped]
        parts.append("")
    return "\n".join(parts)


# ---------------------------------------------------------------------- machine


def machine(results: Results) -> dict[str, Any]:
    """The machine and versions a run measured on."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "processor": _cpu_model(),
        "memory_gb": _memory_gb(),
        "load_average": load_average(),
    }
    packages = {}
    for name in (
        "sessions-plus",
        "openai-agents",
        "strands-agents",
        "redis",
        "aiobotocore",
        "boto3",
        "moto",
        "sqlalchemy",
        "aiosqlite",
    ):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    import sqlite3

    packages["sqlite"] = sqlite3.sqlite_version
    info["versions"] = {**packages, **results.versions}
    return info


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages (the machine may be shared)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------- JSON and plot


def payload(results: Results, mode: str) -> dict[str, Any]:
    """The main run's JSON output (the ``benchmarks`` source of the targets table)."""
    return {
        "module": "benchmarks",
        "mode": mode,
        "machine": machine(results),
        "rows": [r.json() for r in ordered(results.rows)],
        "skipped": [{"implementation": s.label, "reason": s.reason} for s in results.skipped],
    }


def write_json(path: str, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def write_plot(path: str, rows: list[Row]) -> bool:
    """A PNG of our ratios to the SDK baseline and to the floor; False if nothing to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours = [r for r in ordered(rows) if r.role == "ours" and (r.vs_sdk or r.vs_floor)]
    if not ours:
        return False
    labels = [
        f"{r.workload} | {r.backend} {r.implementation.removeprefix('sessions_plus.')}"
        for r in ours
    ]
    fig, axes = plt.subplots(1, 2, figsize=(14, 0.34 * len(ours) + 1.8), sharey=True)
    for ax, attr, title, line in (
        (axes[0], "vs_sdk", "ops/s vs the SDK's own session (x)", 1.0),
        (axes[1], "vs_floor", "ops/s vs the bare client floor (x)", 1.0),
    ):
        values = [getattr(r, attr) or 0.0 for r in ours]
        colors = ["tab:green" if v >= line else "tab:orange" for v in values]
        ax.barh(range(len(ours)), values, color=colors)
        ax.axvline(line, color="black", linewidth=0.8)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_title(title, fontsize=10)
        for y, v in enumerate(values):
            if v:
                ax.text(v, y, f" {v:.2f}", va="center", fontsize=7)
    axes[0].set_yticks(range(len(ours)), labels, fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle("sessions-plus: ratios measured in one run (higher is better)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
