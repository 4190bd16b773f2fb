"""Figures of the other benchmark modules, read from their JSON outputs for the targets table.

Each function takes the sources (source name -> JSON payload) and returns the per-round figures
of one target. A module that keeps per-round values gets per-round ratios; one that reports only
medians and ranges gets a spread built from those (see each function).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .stats import from_range, paired_ratios
from .verdicts import Measured, Sources

# ---------------------------------------------------------------------- cross_sdk (issue 11)

CROSS_NATIVE = "native OpenAI items: StoreSession.get_items(20)"
CROSS_SHARED = "shared, half by each SDK: StoreSession(shared=True).get_items(20)"


def _floats(values: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def cross_sdk_reads(sources: Sources) -> list[Measured]:
    """Shared read's p50 over the native read's, per round, per backend."""
    reads = sources["cross_sdk"]["reads"]
    by_key = {(r["backend"], r["read"]): r for r in reads}
    found = []
    for backend in sorted({r["backend"] for r in reads}):
        shared, native = by_key.get((backend, CROSS_SHARED)), by_key.get((backend, CROSS_NATIVE))
        if shared is None or native is None:
            continue
        found.append(Measured(backend, _paired(shared, native, "p50_ms")))
    return found


def _paired(a: Mapping[str, Any], b: Mapping[str, Any], metric: str) -> tuple[float, ...]:
    """Per-round ``a/b`` from ``rounds_<metric>`` lists, else the one ratio of the values."""
    ra, rb = a.get(f"rounds_{metric}"), b.get(f"rounds_{metric}")
    if ra is not None and rb is not None:
        return tuple(paired_ratios(_floats(ra), _floats(rb)))
    if a.get(metric) and b.get(metric):
        return (float(a[metric]) / float(b[metric]),)
    return ()


# ---------------------------------------------------------------------- traces (issue 12)


def _trace_rows(sources: Sources) -> list[dict[str, Any]]:
    payload = sources["traces"]
    rows: list[dict[str, Any]] = payload["rows"] if isinstance(payload, dict) else payload
    return rows


def trace_appends(sources: Sources) -> list[Measured]:
    """Store appends per trace event (a count: at most one append per event)."""
    return [
        Measured(
            f"{r['sdk']} on {r['backend']}",
            (r["appends_per_run"] / r["events_per_run"],),
            exact=True,
            note=f"{r['appends_per_run']:.1f} appends for {r['events_per_run']:.0f} events",
        )
        for r in _trace_rows(sources)
        if r.get("events_per_run")
    ]


def trace_overhead(sources: Sources) -> list[Measured]:
    """Traced wall time over untraced, per round (each round runs both back to back)."""
    found = []
    for r in _trace_rows(sources):
        ratios = r.get("wall_ratios")
        values = tuple(_floats(ratios)) if ratios is not None else (1 + float(r["wall_overhead"]),)
        found.append(Measured(f"{r['sdk']} on {r['backend']}", values))
    return found


# ---------------------------------------------------------------------- advanced (issue 13)

ADVANCED_ADD = "add_items (2-item turn)"
ADVANCED_SDK = "agents AdvancedSQLiteSession"


def advanced_add_items(sources: Sources) -> list[Measured]:
    """``AdvancedSession.add_items`` on SQLite over the SDK's ``AdvancedSQLiteSession``."""
    payload = sources["advanced"]
    rows = payload["rows"] if isinstance(payload, dict) else payload
    by_key = {(r["workload"], r["backend"], r["implementation"]): r for r in rows}
    ours = by_key.get((ADVANCED_ADD, "sqlite", "AdvancedSession"))
    sdk = by_key.get((ADVANCED_ADD, "sqlite", ADVANCED_SDK))
    if ours is None or sdk is None or ours.get("skipped"):
        return []
    return [Measured("sqlite", _paired(ours, sdk, "ops_per_s"))]


# ---------------------------------------------------------------------- server_cost (16.1-3)

SC_OURS = "sessions_plus.RedisSession"
SC_STORE = "sessions_plus.RedisStore"
SC_SDK = "agents RedisSession"
SC_FLOOR = "floor: RPUSH/LRANGE"
SC_READ = "read latest 20"
SC_TURN_APPEND = "append 2 items"
SC_APPEND = "append 1 item"


def _per_op(sources: Sources, impl: str, op: str, field: str) -> list[float]:
    rounds = sources["server_cost"]["per_op"].get(impl, {}).get(op, [])
    return [float(r[field]) for r in rounds]


def server_cpu_per_turn(sources: Sources) -> list[Measured]:
    """Server process CPU of a turn (latest-20 read + 2-item append), ours over the SDK's,
    per round (both measured in the same round, in rotated order)."""

    def turn(impl: str) -> list[float]:
        reads = _per_op(sources, impl, SC_READ, "cpu_us")
        appends = _per_op(sources, impl, SC_TURN_APPEND, "cpu_us")
        return [r + a for r, a in zip(reads, appends, strict=False)]

    ours, sdk = turn(SC_OURS), turn(SC_SDK)
    if not ours or not sdk:
        return []
    return [Measured("standalone redis-server", tuple(paired_ratios(ours, sdk)))]


def read_command_time(sources: Sources) -> list[Measured]:
    ours = _per_op(sources, SC_OURS, SC_READ, "command_us")
    floor = _per_op(sources, SC_FLOOR, SC_READ, "command_us")
    if not ours or not floor:
        return []
    return [Measured("INFO commandstats us per read", tuple(paired_ratios(ours, floor)))]


def append_vs_rpush(sources: Sources) -> list[Measured]:
    ours = _per_op(sources, SC_STORE, SC_APPEND, "latency_ms")
    floor = _per_op(sources, SC_FLOOR, SC_APPEND, "latency_ms")
    if not ours or not floor:
        return []
    return [Measured("1 item, client p50", tuple(paired_ratios(ours, floor)))]


def _saturation(sources: Sources, key: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = sources["server_cost"].get(key, {})
    return found


def saturation_vs_sdk(sources: Sources) -> list[Measured]:
    runs = _saturation(sources, "saturation")
    ours, sdk = runs.get(SC_OURS), runs.get(SC_SDK)
    if not ours or not sdk:
        return []
    tps = paired_ratios([r["turns_per_s"] for r in ours], [r["turns_per_s"] for r in sdk])
    lost = sum(int(r["lost"]) for r in ours)
    return [
        Measured(
            "standalone redis-server",
            tuple(tps),
            fails=f"lost {lost} items" if lost else "",
            note=f"server CPU {_median([r['server_cpu_pct'] for r in ours]):.0f}% (ours), "
            f"{_median([r['server_cpu_pct'] for r in sdk]):.0f}% (SDK)",
        )
    ]


def saturation_lost(sources: Sources) -> list[Measured]:
    found = []
    for key, title in (("saturation", "standalone"), ("cluster", "3-master cluster")):
        ours = _saturation(sources, key).get(SC_OURS)
        if ours:
            lost = sum(int(r["lost"]) for r in ours)
            turns = sum(int(r["turns"]) for r in ours)
            found.append(Measured(title, (float(lost),), exact=True, note=f"{turns:,} turns"))
    return found


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---------------------------------------------------------------------- scale (13, 16.4)


def _scales(sources: Sources) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, payload in sorted(sources.items()):
        if name.startswith("scale:"):
            yield name.removeprefix("scale:"), payload


def _listing(sources: Sources, prefixed: bool) -> list[Measured]:
    found = []
    for backend, payload in _scales(sources):
        rounds = int((payload.get("scale") or {}).get("rounds") or 0)
        for variant, row in (payload.get("listing") or {}).items():
            if not isinstance(row, dict):
                continue  # e.g. the session counts beside the variants
            if ("prefix" in variant and "no prefix" not in variant) != prefixed:
                continue
            found.append(_listing_measured(f"{backend}, {variant}", row, rounds))
    return found


def _listing_measured(label: str, row: Mapping[str, Any], rounds: int) -> Measured:
    """Per-round ratios where the module kept each round's times (``large_ms``/``small_ms``
    lists, or ``round_ratios``); else the ratio of medians, with the widest spread its
    per-side ranges allow (large.min/small.max .. large.max/small.min)."""
    if row.get("round_ratios"):
        return Measured(label, tuple(_floats(row["round_ratios"])))
    if isinstance(row.get("large_ms"), list) and isinstance(row.get("small_ms"), list):
        return Measured(label, tuple(paired_ratios(row["large_ms"], row["small_ms"])))
    small, large = row["page_ms_small"], row["page_ms_large"]
    median = float(row["ratio"])
    low, high = large["min"] / small["max"], large["max"] / small["min"]
    known = from_range(median, min(low, median), max(high, median), rounds)
    note = "spread bounded from each side's range (no per-round ratios in this output)"
    return Measured(label, (median,), known=known, note=note)


def scale_listing(sources: Sources) -> list[Measured]:
    return _listing(sources, prefixed=False)


def scale_listing_prefix(sources: Sources) -> list[Measured]:
    return _listing(sources, prefixed=True)


def scale_purge_live(sources: Sources) -> list[Measured]:
    """Live reads and appends (or whole turns) while a purge runs vs just before (p50): the
    purge is measured once (50,000 sessions), so the figure is judged on its value."""
    found = []
    for backend, payload in _scales(sources):
        purge = payload.get("purge") or {}
        if "live_p50_ratio" in purge:  # one scenario: live turns on another store object
            note = _purge_note(purge, "live_turn_during", "max_ms")
            found.append(Measured(f"{backend}, live turn", (float(purge["live_p50_ratio"]),),
                                  exact=True, note=note))  # fmt: skip
            continue
        for scenario, row in purge.items():
            if not isinstance(row, dict):
                continue
            for op in ("read", "append"):
                value = row.get(f"{op}_p50_ratio")
                if value is not None:
                    note = _purge_note(row, f"{op}_during_ms", "max")
                    label = f"{backend}, {scenario}, live {op}"
                    found.append(Measured(label, (float(value),), exact=True, note=note))
    return found


def _purge_note(row: Mapping[str, Any], during: str, longest: str) -> str:
    expired = row.get("expired")
    note = f"one purge of {expired:,} sessions" if isinstance(expired, int) else "one purge"
    slowest = (row.get(during) or {}).get(longest)
    return note if slowest is None else f"{note}; longest {slowest} ms"
