"""``python -m benchmarks.capacity [--results FILE ...] [--turn-every S] [--history N] ...``.

The arithmetic of the capacity plan (``docs/scaling.md``): from the per-operation server costs
the benchmark modules measured (their ``--json`` outputs: ``server_cost`` for Redis server CPU
per turn, ``scale`` for bytes per message and DynamoDB capacity units per turn, the main run for
SQLite write throughput), how many active conversations one Redis node, a Redis Cluster of N
masters, one SQLite file and one DynamoDB table carry, and what 10^6 active sessions need.
Every input says where it came from; one not measured in the given outputs falls back to a
labelled estimate, so the tables always show the method.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .sources import SourceError, load
from .verdicts import Sources


@dataclass(frozen=True)
class Assumptions:
    """The workload the plan is for (change them on the command line)."""

    turn_every_s: float = 30.0
    """An active conversation does one turn (latest-20 read + 2-item append) this often."""
    history: int = 200
    """Messages kept per session (``max_records``, a trim, or the typical length)."""
    stored_per_active: float = 1.0
    """Sessions stored per active one (idle sessions kept until their TTL)."""
    utilization: float = 0.7
    """Plan for this share of a node's CPU or of a table's quota (headroom for peaks)."""
    redis_memory_gb: float = 24.0
    """``maxmemory`` per Redis node (e.g. a 32 GB machine, room for fork and buffers)."""
    active: int = 1_000_000
    masters: int = 6
    """The Redis Cluster size of the example."""


TABLE_QUOTA_WRU = 40_000
"""On-demand table-level default quota (write and read request units per second; adjustable)."""
TABLE_QUOTA_RRU = 40_000
NEW_TABLE_WRITES = 4_000
"""A new on-demand table sustains up to 4,000 writes/s (12,000 reads/s) at once; beyond twice
its previous peak within 30 minutes it throttles unless pre-warmed."""
NEW_TABLE_READS = 12_000
PARTITION_WCU = 1_000
"""Per-partition limits (every session stream and every meta item is one partition key)."""
PARTITION_RCU = 3_000


@dataclass(frozen=True)
class Figure:
    value: float
    source: str

    @property
    def measured(self) -> bool:
        return self.source.startswith("measured")


@dataclass(frozen=True)
class Inputs:
    redis_cpu_us: Figure
    redis_sdk_cpu_us: Figure | None
    redis_openai_turn_cpu_us: Figure | None
    """A real OpenAI Agents SDK turn: its reads and one-item appends (``sdk_turns``)."""
    redis_bytes_per_message: Figure
    redis_session_bytes: Figure
    sqlite_writes_per_s: Figure
    sqlite_bytes_per_message: Figure
    ddb_wcu_per_turn: Figure
    ddb_rcu_per_turn: Figure
    ddb_requests_per_turn: Figure


# ---------------------------------------------------------------------- inputs


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _redis_cpu(sources: Sources, impl: str) -> Figure | None:
    per_op = (sources.get("server_cost") or {}).get("per_op", {}).get(impl)
    if not per_op or "read latest 20" not in per_op or "append 2 items" not in per_op:
        return None
    reads = [float(r["cpu_us"]) for r in per_op["read latest 20"]]
    appends = [float(r["cpu_us"]) for r in per_op["append 2 items"]]
    turns = [r + a for r, a in zip(reads, appends, strict=False)]
    return Figure(_median(turns), f"measured: server_cost, median of {len(turns)} rounds")


OPENAI_TURN = (2, 2)
"""Reads and appends of a text-only OpenAI Agents SDK turn (``python -m benchmarks.sdk_turns``:
the history read, the input saved, the output saved; deterministic, so kept here too)."""


def _openai_turn(sources: Sources) -> Figure | None:
    per_op = (sources.get("server_cost") or {}).get("per_op", {}).get("sessions_plus.RedisSession")
    if not per_op or "read latest 20" not in per_op or "append 1 item" not in per_op:
        return None
    reads, writes = OPENAI_TURN
    for row in (sources.get("sdk_turns") or {}).get("rows", []):
        if row["sdk"] == "openai-agents" and row["tool_calls"] == 0:
            reads, writes = int(row["reads"]), int(row["writes"])
    read = _median([float(r["cpu_us"]) for r in per_op["read latest 20"]])
    append = _median([float(r["cpu_us"]) for r in per_op["append 1 item"]])
    return Figure(
        reads * read + writes * append,
        f"measured: server_cost medians, {reads} reads + {writes} one-item appends per turn",
    )


def _bytes_per_message(sources: Sources, backend: str) -> Figure | None:
    data = (sources.get(f"scale:{backend}") or {}).get("bytes") or {}
    cases = {k: v for k, v in data.items() if isinstance(v, dict) and "sessions_plus" in v}
    if not cases:
        return None
    name = "chat turns" if "chat turns" in cases else sorted(cases)[0]
    value = cases[name]["sessions_plus"].get("bytes_per_message")
    if value is None:
        return None
    return Figure(float(value), f"measured: scale --backend {backend}, {name}")


def _sqlite_writes(sources: Sources) -> Figure | None:
    rows = (sources.get("benchmarks") or {}).get("rows") or []
    for row in rows:
        if (
            row["backend"] == "sqlite"
            and row["implementation"] == "sessions_plus.SQLiteSession"
            and row.get("lost") is not None
            and row.get("ops_per_s")
        ):
            return Figure(float(row["ops_per_s"]), f"measured: benchmarks, {row['workload']}")
    return None


def _ddb_turn(sources: Sources, key: str) -> Figure | None:
    turn = (sources.get("scale:dynamodb") or {}).get("turn") or {}
    if turn.get(key) is None:
        return None
    return Figure(float(turn[key]), "measured: scale --backend dynamodb (priced by item sizes)")


def inputs(sources: Sources) -> Inputs:
    """The measured inputs where the outputs have them, else the labelled estimates."""
    return Inputs(
        redis_cpu_us=_redis_cpu(sources, "sessions_plus.RedisSession")
        or Figure(230.0, "estimate: issue 16's figure for the previous layout"),
        redis_sdk_cpu_us=_redis_cpu(sources, "agents RedisSession"),
        redis_openai_turn_cpu_us=_openai_turn(sources),
        redis_bytes_per_message=_bytes_per_message(sources, "redis")
        or Figure(400.0, "estimate: a ~300 B chat message, LIST entry and header"),
        redis_session_bytes=Figure(
            600.0, "estimate: meta and token hashes, index and expiry entries"
        ),
        sqlite_writes_per_s=_sqlite_writes(sources)
        or Figure(3_500.0, "estimate: 16 writers on one file, RESULTS.md of wave 1"),
        sqlite_bytes_per_message=_bytes_per_message(sources, "sqlite")
        or Figure(280.0, "estimate: chat turns, scale --backend sqlite of the SQLite branch"),
        ddb_wcu_per_turn=_ddb_turn(sources, "wcu_per_turn")
        or Figure(6.0, "estimate: 2 records + meta item in one transaction, 2 WCU per KB"),
        ddb_rcu_per_turn=_ddb_turn(sources, "rcu_per_turn")
        or Figure(2.0, "estimate: 20 records of ~0.4 KB, one consistent Query"),
        ddb_requests_per_turn=_ddb_turn(sources, "requests_per_turn")
        or Figure(2.0, "estimate: one Query, one TransactWriteItems"),
    )


# ---------------------------------------------------------------------- arithmetic


@dataclass(frozen=True)
class Line:
    what: str
    value: str
    arithmetic: str


def _n(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def plan(a: Assumptions, i: Inputs) -> dict[str, list[Line]]:
    """Every capacity figure with its arithmetic, per section."""
    rate = 1 / a.turn_every_s  # turns per second per active conversation
    need_tps = a.active * rate
    stored = a.active * a.stored_per_active
    out: dict[str, list[Line]] = {}

    # Redis: one node's main thread runs every command of its slots.
    node_tps = a.utilization * 1e6 / i.redis_cpu_us.value
    per_session = a.history * i.redis_bytes_per_message.value + i.redis_session_bytes.value
    node_mem = a.redis_memory_gb * 2**30
    mem_sessions = node_mem / per_session
    cpu_sessions = node_tps * a.turn_every_s
    redis = [
        Line("turns/s, one node", _n(node_tps),
             f"{a.utilization:.0%} x 1,000,000 us / {_n(i.redis_cpu_us.value)} us per turn"),
        Line("active conversations, one node (CPU)", _n(cpu_sessions),
             f"{_n(node_tps)} turns/s x {_n(a.turn_every_s)} s between turns"),
        Line("memory per stored session", f"{per_session / 1024:,.0f} KiB",
             f"{a.history} messages x {_n(i.redis_bytes_per_message.value)} B + "
             f"{_n(i.redis_session_bytes.value)} B"),
        Line("stored sessions, one node (memory)", _n(mem_sessions),
             f"{_n(a.redis_memory_gb)} GiB / {per_session / 1024:,.1f} KiB"),
        Line("active conversations, one node", _n(min(cpu_sessions, mem_sessions
             / a.stored_per_active)), "the smaller of CPU and memory"),
        Line(f"active conversations, Cluster of {a.masters} masters",
             _n(a.masters * min(cpu_sessions, mem_sessions / a.stored_per_active)),
             f"{a.masters} x one node (sessions spread over 16,384 slots by hash tag)"),
    ]  # fmt: skip
    if i.redis_sdk_cpu_us is not None:
        sdk_tps = a.utilization * 1e6 / i.redis_sdk_cpu_us.value
        redis.append(Line("the SDK's RedisSession, active conversations, one node (CPU)",
                          _n(sdk_tps * a.turn_every_s),
                          f"{_n(i.redis_sdk_cpu_us.value)} us per turn"))  # fmt: skip
    if i.redis_openai_turn_cpu_us is not None:
        real_tps = a.utilization * 1e6 / i.redis_openai_turn_cpu_us.value
        redis.append(Line("OpenAI Agents SDK conversations, one node (CPU)",
                          _n(real_tps * a.turn_every_s),
                          f"{_n(i.redis_openai_turn_cpu_us.value)} us per SDK turn"))  # fmt: skip
    out["Redis"] = redis

    file_tps = a.utilization * i.sqlite_writes_per_s.value
    file_bytes = stored * a.history * i.sqlite_bytes_per_message.value
    out["SQLite (one file)"] = [
        Line("turns/s, one file", _n(file_tps),
             f"{a.utilization:.0%} x {_n(i.sqlite_writes_per_s.value)} write transactions/s "
             "(one writer at a time; reads run beside it in WAL)"),
        Line("active conversations, one file", _n(file_tps * a.turn_every_s),
             f"{_n(file_tps)} x {_n(a.turn_every_s)} s"),
        Line("file size for the stored sessions", f"{file_bytes / 2**30:,.1f} GiB",
             f"{_n(stored)} x {a.history} x {_n(i.sqlite_bytes_per_message.value)} B"),
    ]  # fmt: skip

    wcu, rcu = i.ddb_wcu_per_turn.value, i.ddb_rcu_per_turn.value
    table_tps = min(a.utilization * TABLE_QUOTA_WRU / wcu, a.utilization * TABLE_QUOTA_RRU / rcu)
    out["DynamoDB (one table, on demand)"] = [
        Line("turns/s, default table quota", _n(table_tps),
             f"{a.utilization:.0%} x min({TABLE_QUOTA_WRU:,} WRU / {_n(wcu)}, "
             f"{TABLE_QUOTA_RRU:,} RRU / {_n(rcu)})"),
        Line("active conversations, default quota", _n(table_tps * a.turn_every_s),
             f"{_n(table_tps)} x {_n(a.turn_every_s)} s"),
        Line("turns/s, a new table before it scales", _n(min(NEW_TABLE_WRITES / wcu,
             NEW_TABLE_READS / rcu)), f"min({NEW_TABLE_WRITES:,} / {_n(wcu)}, "
             f"{NEW_TABLE_READS:,} / {_n(rcu)})"),
        Line("turns/s, one session (partition limit)", _n(min(PARTITION_WCU / wcu,
             PARTITION_RCU / rcu)), f"min({PARTITION_WCU:,} WCU / {_n(wcu)}, "
             f"{PARTITION_RCU:,} RCU / {_n(rcu)}); in practice one write per round trip "
             "per session (conditional on the meta item)"),
    ]  # fmt: skip

    redis_cpu_masters = need_tps * i.redis_cpu_us.value / 1e6 / a.utilization
    redis_mem_masters = stored * per_session / node_mem
    out[f"{a.active:,} active sessions ({_n(need_tps)} turns/s)"] = [
        Line("Redis masters for CPU", _n(math.ceil(redis_cpu_masters)),
             f"{_n(need_tps)} turns/s x {_n(i.redis_cpu_us.value)} us / {a.utilization:.0%}"),
        Line("Redis masters for memory", _n(math.ceil(redis_mem_masters)),
             f"{_n(stored)} x {per_session / 1024:,.1f} KiB / {_n(a.redis_memory_gb)} GiB"),
        Line("SQLite files (shards)", _n(math.ceil(need_tps / file_tps)),
             f"{_n(need_tps)} / {_n(file_tps)} turns/s per file"),
        Line("DynamoDB write request units/s", _n(need_tps * wcu),
             f"{_n(need_tps)} x {_n(wcu)} (default table quota {TABLE_QUOTA_WRU:,})"),
        Line("DynamoDB read request units/s", _n(need_tps * rcu),
             f"{_n(need_tps)} x {_n(rcu)} (default table quota {TABLE_QUOTA_RRU:,})"),
    ]  # fmt: skip
    return out


def render(a: Assumptions, i: Inputs) -> str:
    lines = ["| input | value | source |", "|---|--:|---|"]
    names = {
        "redis_cpu_us": "Redis server CPU per turn, ours (us)",
        "redis_sdk_cpu_us": "Redis server CPU per turn, the SDK's RedisSession (us)",
        "redis_openai_turn_cpu_us": "Redis server CPU per OpenAI Agents SDK turn, ours (us)",
        "redis_bytes_per_message": "Redis bytes per message",
        "redis_session_bytes": "Redis bytes per session beyond its messages",
        "sqlite_writes_per_s": "SQLite write transactions/s, one file",
        "sqlite_bytes_per_message": "SQLite file bytes per message",
        "ddb_wcu_per_turn": "DynamoDB write capacity units per turn",
        "ddb_rcu_per_turn": "DynamoDB read capacity units per turn",
        "ddb_requests_per_turn": "DynamoDB requests per turn",
    }
    for field, title in names.items():
        figure = getattr(i, field)
        if figure is not None:
            lines.append(f"| {title} | {_n(figure.value)} | {figure.source} |")
    out = [
        f"Assumed: a turn every {_n(a.turn_every_s)} s per active conversation, {a.history} "
        f"messages kept per session, {_n(a.stored_per_active)} stored session(s) per active "
        f"one, {a.utilization:.0%} planned utilisation, {_n(a.redis_memory_gb)} GiB "
        "maxmemory per Redis node.",
        "",
        *lines,
    ]
    for section, rows in plan(a, i).items():
        out += ["", f"**{section}**", "", "| | value | arithmetic |", "|---|--:|---|"]
        out += [f"| {r.what} | {r.value} | {r.arithmetic} |" for r in rows]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.capacity", description=__doc__)
    parser.add_argument("--results", metavar="FILE", action="append", default=[])
    defaults = Assumptions()
    for name, value in vars(defaults).items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=type(value), default=value, help=f"default {value}")
    args = parser.parse_args(argv)
    try:
        sources: dict[str, Any] = load(args.results)
    except SourceError as exc:
        print(f"cannot read results: {exc}", file=sys.stderr)
        return 2
    assumed = Assumptions(**{k: getattr(args, k) for k in vars(defaults)})
    print(render(assumed, inputs(sources)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
