"""The targets table: every target of the issues that a benchmark measures side by side.

One row per target (:data:`TARGETS`): the issue, the limit, the source module whose JSON output
it reads, and how to get its per-round figures from that output. The figures of the other
modules are read by :mod:`benchmarks.module_targets`. ``python -m benchmarks --check`` judges
every row (``benchmarks.verdicts``); ``--check --results FILE ...`` judges saved outputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import module_targets as mod
from .stats import paired_ratios
from .verdicts import Measured, Sources, Target

MAIN = "benchmarks"
APPEND = "append 1 item"
TURN = "append 4-item turn"
GET20 = "get_items(limit=20) @"
OURS_REDIS = "sessions_plus.RedisSession"
SDK_REDIS = "agents RedisSession"
FLOOR_REDIS = "floor: redis-py RPUSH/LRANGE"
OURS_DDB = "sessions_plus.DynamoDBSession"
FILE_MANAGER = ("file", "strands FileSessionManager")
MOTO = "moto sorts a whole partition per Query (ours is 0.84-0.90x the bare Query floor on it)"


# ---------------------------------------------------------------------- the main run's rows


Row = dict[str, Any]


def rows(sources: Sources) -> list[Row]:
    rows_: list[Row] = sources[MAIN]["rows"]
    return rows_


def find(rows_: Sequence[Row], backend: str, implementation: str, workload: str) -> Row | None:
    for row in rows_:
        if (row["backend"], row["implementation"], row["workload"]) == (
            backend,
            implementation,
            workload,
        ):
            return row
    return None


def per_round(row: Row, metric: str) -> list[float]:
    """A row's per-round ``ops_per_s`` or ``p50_ms`` (one value for a run saved before rounds
    were kept; null rounds are NaN)."""
    rounds = (row.get("rounds") or {}).get(metric)
    if rounds is None:
        value = row.get(metric)
        return [] if value is None else [float(value)]
    return [math.nan if v is None else float(v) for v in rounds]


def ratio(a: Row, b: Row, metric: str = "ops_per_s") -> tuple[float, ...]:
    """Per-round ``a / b`` of ``metric``, rounds paired by index."""
    return tuple(paired_ratios(per_round(a, metric), per_round(b, metric)))


def _vs(
    sources: Sources, backend: str, ours: str, base: tuple[str, str], workload: str, label: str
) -> list[Measured]:
    rows_ = rows(sources)
    a, b = find(rows_, backend, ours, workload), find(rows_, *base, workload)
    if a is None or b is None:
        return []
    return [Measured(label, ratio(a, b))]


# ---------------------------------------------------------------------- wave 1 (main run)


def redis_append_vs_sdk(sources: Sources) -> list[Measured]:
    found = _vs(sources, "redis", OURS_REDIS, ("redis", SDK_REDIS), APPEND, "redis, 1 item")
    found += _vs(sources, "redis", OURS_REDIS, ("redis", SDK_REDIS), TURN, "redis, 4-item turn")
    return found


def redis_append_vs_floor(sources: Sources) -> list[Measured]:
    """floor ops/s over ours: how many times slower than a bare ``RPUSH`` round trip."""
    rows_ = rows(sources)
    ours = find(rows_, "redis", OURS_REDIS, APPEND)
    floor = find(rows_, "redis", FLOOR_REDIS, APPEND)
    if ours is None or floor is None:
        return []
    return [Measured("redis, 1 item, floor ops/s / ours", ratio(floor, ours))]


def redis_writers(sources: Sources) -> list[Measured]:
    rows_ = rows(sources)
    ours = next(
        (
            r
            for r in rows_
            if r["backend"] == "redis"
            and r["implementation"] == OURS_REDIS
            and r.get("lost") is not None
        ),
        None,
    )
    if ours is None:
        return []
    sdk = find(rows_, "redis", SDK_REDIS, ours["workload"])
    if sdk is None:
        return []
    lost, dup = ours.get("lost") or 0, ours.get("duplicated") or 0
    fails = f"lost {lost}, duplicated {dup}" if lost or dup else ""
    note = f"lost {lost}, duplicated {dup}; SDK lost {sdk.get('lost')}, dup {sdk.get('duplicated')}"
    return [Measured(ours["workload"], ratio(ours, sdk), fails=fails, note=note)]


def _size(workload: str) -> int:
    return int(workload.split("@")[1].replace(",", ""))


def history_independence(sources: Sources) -> list[Measured]:
    """p50 of ``get_items(limit=20)`` on the longest session over the shortest, per round."""
    rows_ = rows(sources)
    sizes = sorted({_size(r["workload"]) for r in rows_ if r["workload"].startswith(GET20)})
    if len(sizes) < 2:
        return []
    small, big = sizes[0], sizes[-1]
    found = []
    ours = sorted({(r["backend"], r["implementation"]) for r in rows_ if r["role"] == "ours"})
    for backend, impl in ours:
        a = find(rows_, backend, impl, f"{GET20}{big:,}")
        b = find(rows_, backend, impl, f"{GET20}{small:,}")
        if a is None or b is None:
            continue
        note = ""
        equal = [s for s in sizes[1:-1] if s >= 20]
        c = find(rows_, backend, impl, f"{GET20}{equal[0]:,}") if equal else None
        if c is not None and (same := ratio(a, c, "p50_ms")):
            note = f"vs {equal[0]:,} items (same result size): median {_median(same):.2f}"
        found.append(
            Measured(f"{backend} ({impl}), {big:,} vs {small:,}", ratio(a, b, "p50_ms"), note=note)
        )
    return found


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def history_waived(sources: Sources) -> list[Measured]:
    return [m for m in history_independence(sources) if m.label.startswith(WAIVED_HISTORY)]


def history_checked(sources: Sources) -> list[Measured]:
    return [m for m in history_independence(sources) if not m.label.startswith(WAIVED_HISTORY)]


WAIVED_HISTORY = ("dynamodb", "memory")


def sqlite_append(sources: Sources) -> list[Measured]:
    return _vs(
        sources,
        "sqlite",
        "sessions_plus.SQLiteSession",
        ("sqlite", "agents.SQLiteSession"),
        APPEND,
        "sqlite, 1 item",
    )


def _restores(sources: Sources, dynamodb: bool) -> list[Measured]:
    rows_ = rows(sources)
    found = []
    for row in rows_:
        if not row["workload"].startswith("restore") or row["role"] != "ours":
            continue
        if (row["backend"] == "dynamodb") != dynamodb:
            continue
        base = find(rows_, *FILE_MANAGER, row["workload"])
        if base is not None:
            found.append(Measured(f"{row['backend']} ({row['implementation']})", ratio(row, base)))
    return found


def restores(sources: Sources) -> list[Measured]:
    return _restores(sources, dynamodb=False)


def restores_dynamodb(sources: Sources) -> list[Measured]:
    return _restores(sources, dynamodb=True)


def dynamodb_append_requests(sources: Sources) -> list[Measured]:
    row = find(rows(sources), "dynamodb", OURS_DDB, APPEND)
    if row is None or row.get("requests_per_op") is None:
        return []
    return [Measured("dynamodb, 1 item", (float(row["requests_per_op"]),), exact=True)]


def dynamodb_read_requests(sources: Sources) -> list[Measured]:
    return [
        Measured(r["workload"], (float(r["requests_per_op"]),), exact=True)
        for r in rows(sources)
        if r["backend"] == "dynamodb"
        and r["implementation"] == OURS_DDB
        and r["workload"].startswith(GET20)
        and r.get("requests_per_op") is not None
    ]


# ---------------------------------------------------------------------- the table

TARGETS: list[Target] = [
    # wave 1, measured by python -m benchmarks
    Target("redis-append-sdk", "wave 1", "Redis append vs the SDK's RedisSession (ops/s)",
           MAIN, 3, True, redis_append_vs_sdk),
    Target("redis-writers", "wave 1", "Redis, concurrent writers on one session vs the SDK "
           "(ops/s), nothing lost", MAIN, 5, True, redis_writers),
    Target("history", "wave 1", "get_items(limit=20) on the longest session vs the shortest "
           "(p50)", MAIN, 1.2, False, history_checked),
    Target("history-moto-memory", "wave 1", "get_items(limit=20) on the longest session vs the "
           "shortest (p50), DynamoDB on moto and memory", MAIN, 1.2, False, history_waived,
           waiver="DynamoDB: " + MOTO + "; memory: the short session returns 10 records, the "
           "long one 20, and decoding them is most of a memory read"),
    Target("sqlite-append", "wave 1", "SQLite append vs agents.SQLiteSession (ops/s)",
           MAIN, 2, True, sqlite_append),
    Target("restore", "wave 1", "Strands restore of an agent vs FileSessionManager (ops/s)",
           MAIN, 10, True, restores),
    Target("restore-moto", "wave 1", "Strands restore vs FileSessionManager, DynamoDB on moto",
           MAIN, 10, True, restores_dynamodb, waiver="moto's bare Query of 1,000 items alone "
           "outlasts the whole FileSessionManager restore"),
    Target("dynamodb-append-requests", "wave 1", "DynamoDB requests per uncontended append",
           MAIN, 2, False, dynamodb_append_requests, unit=""),
    Target("dynamodb-read-requests", "wave 1", "DynamoDB requests per latest-N read",
           MAIN, 1, False, dynamodb_read_requests, unit=""),
    # issue 11
    Target("cross-sdk-read", "11", "Shared latest-20 read (half by each SDK) vs the native "
           "read (p50)", "cross_sdk", 1.5, False, mod.cross_sdk_reads),
    # issue 12
    Target("trace-appends", "12", "Trace appends per event of a traced run", "traces",
           1, False, mod.trace_appends, unit=""),
    Target("trace-overhead", "12", "Traced run vs untraced (wall time)", "traces",
           1.1, False, mod.trace_overhead),
    # issue 13
    Target("advanced-add", "13", "AdvancedSession.add_items vs AdvancedSQLiteSession on SQLite "
           "(ops/s)", "advanced", 1, True, mod.advanced_add_items),
    Target("prefix-listing", "13", "Prefix listing, a page of 100 among the large count vs "
           "among 1,000 (time)", "scale:", 2, False, mod.scale_listing_prefix),
    # issue 16
    Target("server-cpu-turn", "16.1", "Redis server CPU per turn vs the SDK's RedisSession",
           "server_cost", 0.7, False, mod.server_cpu_per_turn),
    Target("read-command-time", "16.1", "Redis latest-20 read command time vs a bare LRANGE",
           "server_cost", 2, False, mod.read_command_time),
    Target("saturation", "16.2", "64 conversations at saturation: turns/s vs the SDK, 0 lost",
           "server_cost", 2, True, mod.saturation_vs_sdk),
    Target("saturation-lost", "16.2", "64 conversations at saturation: items lost",
           "server_cost", 0, False, mod.saturation_lost, unit=""),
    Target("redis-append-floor", "16.3", "Redis append vs a bare RPUSH round trip (latency)",
           MAIN, 1.5, False, redis_append_vs_floor),
    Target("redis-append-floor-cost", "16.3", "RedisStore append vs a bare RPUSH round trip "
           "(p50)", "server_cost", 1.5, False, mod.append_vs_rpush),
    Target("listing", "16.4", "A page of 100 among the large count vs among 1,000 (time)",
           "scale:", 2, False, mod.scale_listing),
    Target("purge-live", "16.4", "Live latency while purging expired sessions vs before (p50)",
           "scale:", 2, False, mod.scale_purge_live),
]  # fmt: skip
