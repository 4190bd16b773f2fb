"""The benchmark harness's statistics and ``python -m benchmarks --check`` (no servers, no timing).

Per-round ratios, their median and interquartile range, the verdict rules (met, missed within
its spread, missed beyond it, judged on its value, waived, too few rounds), the targets read
from synthetic outputs of every module, and the exit status of the check on saved outputs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import module_targets, sources, targets
from benchmarks.harness import Config, SliceResult, alternate
from benchmarks.stats import paired_ratios, spread
from benchmarks.verdicts import Measured, Status, Target, evaluate, failures, judge
from tests.fixtures.processes import REPO_ROOT, child_env

# ---------------------------------------------------------------------- statistics


def test_spread_of_three_rounds_has_quartiles_midway() -> None:
    figure = spread([3.0, 1.0, 2.0])
    assert (figure.median, figure.q1, figure.q3) == (2.0, 1.5, 2.5)
    assert (figure.low, figure.high, figure.n) == (1.0, 3.0, 3)


def test_spread_ignores_rounds_that_measured_nothing() -> None:
    figure = spread([1.0, math.nan, 3.0])
    assert figure.n == 2 and figure.median == 2.0
    with pytest.raises(ValueError):
        spread([math.nan])


def test_paired_ratios_pair_rounds_by_index_and_skip_empty_rounds() -> None:
    assert paired_ratios([4.0, 9.0, 0.0, 8.0], [2.0, 3.0, 5.0, math.nan]) == [2.0, 3.0]
    with pytest.raises(ValueError):
        paired_ratios([1.0], [1.0, 2.0])


async def test_alternate_keeps_one_slice_per_round_in_order() -> None:
    calls: list[tuple[str, int]] = []

    def slice_of(name: str, seconds: float) -> Any:
        async def run(round_index: int) -> SliceResult:
            calls.append((name, round_index))
            ops = round_index + 2  # round r: r + 2 operations of `seconds` each
            return SliceResult([seconds] * ops, ops, seconds * ops)

        return run

    config = Config(rounds=3, ops_per_slice=1, warmup=True)
    samples = await alternate({"a": slice_of("a", 0.5), "b": slice_of("b", 0.25)}, config)
    assert [r for name, r in calls if name == "a"] == [-1, 0, 1, 2]  # warm-up unrecorded
    assert samples["a"].round_ops_per_s == [2.0, 2.0, 2.0]
    assert samples["b"].round_p50_ms == [250.0, 250.0, 250.0]
    assert paired_ratios(samples["b"].round_ops_per_s, samples["a"].round_ops_per_s) == [2.0] * 3
    assert samples["a"].ops == 2 + 3 + 4  # the merged figures stay as before


# ---------------------------------------------------------------------- verdicts

AT_LEAST_3 = Target("t", "x", "ratio", "s", 3, True, lambda s: [])
AT_MOST_1_5 = Target("u", "x", "slower", "s", 1.5, False, lambda s: [])


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ((3.2, 2.8, 3.5), Status.MET),  # median 3.2
        ((2.7, 2.9, 3.3, 2.5), Status.WITHIN_SPREAD),  # median 2.8, IQR reaches 3
        ((2.1, 2.4, 2.6, 2.2, 2.9), Status.MISSED),  # the whole IQR below 3
        ((2.0, 2.5), Status.TOO_FEW_ROUNDS),
        ((2.0, 2.2, 3.1), Status.WITHIN_SPREAD),  # 3 rounds: judged by the full range
        ((2.0, 2.1, 2.2, 2.3, 2.2, 2.1, 2.4, 3.1), Status.MISSED),  # 8: by the IQR 2.1-2.3
    ],
)
def test_higher_is_better_verdicts(values: tuple[float, ...], status: Status) -> None:
    assert judge(AT_LEAST_3, Measured("m", values)).status is status


def test_lower_is_better_verdicts() -> None:
    assert judge(AT_MOST_1_5, Measured("m", (1.4, 1.6, 1.45))).status is Status.MET
    assert judge(AT_MOST_1_5, Measured("m", (1.3, 1.7, 1.6))).status is Status.WITHIN_SPREAD
    verdict = judge(AT_MOST_1_5, Measured("m", (1.8, 1.9, 2.0, 1.85)))
    assert verdict.status is Status.MISSED and verdict.regression
    assert "beyond its spread" in verdict.line() and "<= 1.5x" in verdict.line()


def test_exact_figures_are_judged_on_their_value() -> None:
    assert judge(AT_MOST_1_5, Measured("count", (1.0,), exact=True)).status is Status.MET
    assert judge(AT_MOST_1_5, Measured("count", (2.0,), exact=True)).status is Status.MISSED


def test_a_failing_condition_misses_whatever_the_figure() -> None:
    verdict = judge(AT_LEAST_3, Measured("m", (30.0, 31.0, 29.0), fails="lost 2"))
    assert verdict.status is Status.MISSED and "lost 2" in verdict.reason


def test_waived_misses_fail_only_strict_checks() -> None:
    waived = Target("w", "x", "moto", "s", 1.2, False, lambda s: [], waiver="the emulator")
    verdicts = [judge(waived, Measured("m", (6.0, 6.1, 5.9)))]
    assert verdicts[0].status is Status.WAIVED
    assert failures(verdicts) == [] and failures(verdicts, strict=True) == verdicts


def test_evaluate_reports_absent_sources_and_unreadable_outputs() -> None:
    broken = Target("b", "x", "broken", "s", 1, True, lambda s: s["s"]["missing"])
    verdicts = evaluate([AT_LEAST_3, broken], {"s": {}})
    assert [v.status for v in verdicts] == [Status.NOT_MEASURED, Status.NOT_MEASURED]
    assert "KeyError" in verdicts[1].reason
    assert evaluate([AT_LEAST_3], {})[0].reason == "no s run"


# ---------------------------------------------------------------------- targets on outputs


def row(backend: str, impl: str, workload: str, ops: list[float], **extra: Any) -> dict[str, Any]:
    p50 = [1000 / v for v in ops]
    role = "ours" if impl.startswith("sessions_plus") else "floor" if "floor" in impl else "sdk"
    return {
        "backend": backend,
        "implementation": impl,
        "workload": workload,
        "role": role,
        "ops_per_s": ops[0],
        "p50_ms": p50[0],
        "rounds": {"ops_per_s": ops, "p50_ms": p50},
        "lost": None,
        "duplicated": None,
        "requests_per_op": None,
        **extra,
    }


def main_output(ours_append: list[float], floor: list[float] | None = None) -> dict[str, Any]:
    """A main run: our Redis append against the SDK's and the floor; reads of 10 and 10,000
    items; as many rounds as ``ours_append`` has."""
    n = len(ours_append)

    def same(value: float) -> list[float]:
        return [value] * n

    get = "get_items(limit=20) @"
    memory = "sessions_plus.StoreSession(MemoryStore)"
    rows = [
        row("redis", targets.OURS_REDIS, targets.APPEND, ours_append),
        row("redis", targets.SDK_REDIS, targets.APPEND, same(500.0)),
        row("redis", targets.FLOOR_REDIS, targets.APPEND, floor or same(3000.0)),
        row("redis", targets.OURS_REDIS, f"{get}10", same(2000.0)),
        row("redis", targets.OURS_REDIS, f"{get}20", same(1800.0)),
        row("redis", targets.OURS_REDIS, f"{get}10,000", [1800.0, 1700.0, 1900.0, 1800.0][:n]),
        row("memory", memory, f"{get}10", same(3e4)),
        row("memory", memory, f"{get}10,000", same(1.5e4)),
        row("dynamodb", targets.OURS_DDB, targets.APPEND, same(150.0), requests_per_op=1.0),
    ]
    return {"module": "benchmarks", "mode": "full", "machine": {}, "rows": rows}


def verdicts_of(key: str, source: dict[str, Any]) -> list[Any]:
    table = [t for t in targets.TARGETS if t.key == key]
    assert table, key
    return evaluate(table, source)


def test_main_targets_are_per_round_ratios() -> None:
    out = {"benchmarks": main_output([1600.0, 1500.0, 1700.0])}
    (sdk,) = verdicts_of("redis-append-sdk", out)
    assert sdk.status is Status.MET and sdk.figure is not None and sdk.figure.median == 3.2
    (floor,) = verdicts_of("redis-append-floor", out)
    assert floor.status is Status.MISSED  # 3000/1600 = 1.875 in the middle round
    (history,) = verdicts_of("history", out)
    assert history.status is Status.MET and "vs 20 items" in history.reason
    (memory,) = verdicts_of("history-moto-memory", out)
    assert memory.status is Status.WAIVED  # 2.0x, the waiver names why
    (requests,) = verdicts_of("dynamodb-append-requests", out)
    assert requests.status is Status.MET


def test_a_run_saved_before_rounds_were_kept_is_too_few_rounds() -> None:
    out = main_output([1600.0, 1500.0, 1700.0])
    for r in out["rows"]:
        del r["rounds"]
    (sdk,) = verdicts_of("redis-append-sdk", {"benchmarks": out})
    assert sdk.status is Status.TOO_FEW_ROUNDS


def test_module_targets_read_each_modules_output() -> None:
    shared, native = module_targets.CROSS_SHARED, module_targets.CROSS_NATIVE
    cross = {
        "module": "cross_sdk",
        "reads": [
            {"backend": "redis", "read": native, "p50_ms": 1.0, "rounds_p50_ms": [1.0, 1.0, 1.0]},
            {"backend": "redis", "read": shared, "p50_ms": 1.2, "rounds_p50_ms": [1.2, 1.3, 1.1]},
        ],
    }
    traces = {
        "module": "traces",
        "rows": [
            {
                "sdk": "strands",
                "backend": "sqlite",
                "events_per_run": 33.0,
                "appends_per_run": 12.0,
                "wall_overhead": 0.2,
                "wall_ratios": [1.2, 1.25, 1.18, 1.3],
            }
        ],
    }
    per_op = {"cpu_us": 0.0, "command_us": 0.0, "latency_ms": 0.0}

    def cost(cpu: float, command: float = 1.0, latency: float = 1.0) -> list[dict[str, float]]:
        return [{**per_op, "cpu_us": cpu, "command_us": command, "latency_ms": latency}] * 3

    server = {
        "per_op": {
            module_targets.SC_OURS: {"read latest 20": cost(50, 8), "append 2 items": cost(60)},
            module_targets.SC_SDK: {"read latest 20": cost(40), "append 2 items": cost(140)},
            module_targets.SC_FLOOR: {"read latest 20": cost(30, 5), "append 1 item": cost(1)},
            module_targets.SC_STORE: {"append 1 item": cost(1, latency=1.4)},
        },
        "saturation": {
            module_targets.SC_OURS: [{"turns_per_s": 900, "server_cpu_pct": 95, "lost": 0}] * 3,
            module_targets.SC_SDK: [{"turns_per_s": 400, "server_cpu_pct": 99, "lost": 0}] * 3,
        },
        "cluster": {},
    }
    for r in server["saturation"][module_targets.SC_OURS]:
        r["turns"] = 1000
    scale = {
        "backend": "sqlite",
        "scale": {"rounds": 5},
        "listing": {
            "no prefix": {
                "page_ms_small": {"median": 1.0, "min": 0.9, "max": 1.1},
                "page_ms_large": {"median": 1.3, "min": 1.2, "max": 1.5},
                "ratio": 1.3,
            },
            "prefix": {"round_ratios": [2.5, 2.6, 2.4]},
        },
        "purge": {"same store": {"expired": 50_000, "read_p50_ratio": 1.4}},
    }
    scale_kept_rounds = {  # another layout: each round's page times, one purge scenario
        "backend": "dynamodb",
        "listing": {
            "small": 1000,
            "first_page": {"small_ms": [10.0, 11.0, 9.0], "large_ms": [25.0, 30.0, 28.0]},
        },
        "purge": {"expired": 50_000, "live_p50_ratio": 2.4},
    }
    out = {
        "cross_sdk": cross,
        "traces": traces,
        "server_cost": server,
        "scale:sqlite": scale,
        "scale:dynamodb": scale_kept_rounds,
    }
    status = {
        (v.target.key, v.label): v.status
        for v in evaluate(targets.TARGETS, out)
        if v.status is not Status.NOT_MEASURED
    }
    assert status == {
        ("cross-sdk-read", "redis"): Status.MET,
        ("trace-appends", "strands on sqlite"): Status.MET,
        ("trace-overhead", "strands on sqlite"): Status.MISSED,
        ("server-cpu-turn", "standalone redis-server"): Status.MET,  # 110 / 180
        ("read-command-time", "INFO commandstats us per read"): Status.MET,  # 8 / 5
        ("saturation", "standalone redis-server"): Status.MET,
        ("saturation-lost", "standalone"): Status.MET,
        ("redis-append-floor-cost", "1 item, client p50"): Status.MET,
        ("listing", "sqlite, no prefix"): Status.MET,
        ("listing", "dynamodb, first_page"): Status.MISSED,  # 2.5, 2.73, 3.11
        ("purge-live", "dynamodb, live turn"): Status.MISSED,
        ("prefix-listing", "sqlite, prefix"): Status.MISSED,
        ("purge-live", "sqlite, same store, live read"): Status.MET,
    }


def test_sources_recognise_every_modules_output() -> None:
    assert sources.identify(main_output([1.0])) == "benchmarks"
    assert sources.identify({"module": "cross_sdk", "reads": []}) == "cross_sdk"
    assert sources.identify({"reads": [], "conversion_us": {}}) == "cross_sdk"
    assert sources.identify([{"sdk": "strands", "wall_overhead": 0.1}]) == "traces"
    assert sources.identify([{"workload": "w", "implementation": "i", "skipped": None}]) == (
        "advanced"
    )
    assert sources.identify({"per_op": {}, "saturation": {}}) == "server_cost"
    assert sources.identify({"backend": "redis", "scale": {}}) == "scale:redis"
    assert sources.identify({"backend": "dynamodb", "quick": True, "listing": {}}) == (
        "scale:dynamodb"
    )
    with pytest.raises(sources.SourceError):
        sources.identify({"anything": 1})


# ---------------------------------------------------------------------- the command's exit status


def check(tmp_path: Path, output: dict[str, Any], *extra: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(output))
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--check", "--results", str(path), *extra],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_fails_on_a_miss_beyond_its_spread_and_says_why(tmp_path: Path) -> None:
    done = check(tmp_path, main_output([1000.0, 1100.0, 1200.0]))  # 2.2x the SDK: regression
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL: MISSED: Redis append vs the SDK's RedisSession" in done.stdout
    assert "check failed" in done.stdout


def test_check_passes_a_miss_within_its_spread(tmp_path: Path) -> None:
    output = main_output(  # x SDK 2.8-3.3, median 3.05; floor 1.43-1.64x, median 1.54
        [1400.0, 1600.0, 1450.0, 1650.0], floor=[2000.0, 2600.0, 2100.0, 2700.0]
    )
    done = check(tmp_path, output)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note: missed within spread: Redis append vs a bare RPUSH" in done.stdout
    assert "check passed" in done.stdout
    strict = check(tmp_path, output, "--strict")  # the waived memory read miss
    assert strict.returncode == 1 and "FAIL: missed (waived)" in strict.stdout


def test_check_refuses_fewer_than_three_rounds() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--check", "--rounds", "2"],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "at least 3" in done.stderr


# ---------------------------------------------------------------------- the capacity plan


def test_capacity_plan_uses_measured_inputs_and_shows_the_arithmetic() -> None:
    from benchmarks import capacity

    per_op = {
        "read latest 20": [{"cpu_us": 40.0}, {"cpu_us": 50.0}, {"cpu_us": 60.0}],
        "append 2 items": [{"cpu_us": 50.0}, {"cpu_us": 50.0}, {"cpu_us": 50.0}],
    }
    out = {
        "server_cost": {"per_op": {"sessions_plus.RedisSession": per_op}},
        "scale:dynamodb": {"turn": {"wcu_per_turn": 8.0, "rcu_per_turn": 2.0}},
    }
    inputs = capacity.inputs(out)
    assert inputs.redis_cpu_us.value == 100.0 and inputs.redis_cpu_us.measured
    assert not inputs.sqlite_writes_per_s.measured  # not in these outputs: a labelled estimate
    plan = capacity.plan(capacity.Assumptions(turn_every_s=10, utilization=0.5), inputs)
    redis = {line.what: line.value for line in plan["Redis"]}
    assert redis["turns/s, one node"] == "5,000"  # 50% of 1 s / 100 us
    assert redis["active conversations, one node (CPU)"] == "50,000"
    table = {line.what: line.value for line in plan["DynamoDB (one table, on demand)"]}
    assert table["turns/s, default table quota"] == "2,500"  # 50% x 40,000 / 8 WCU
    text = capacity.render(capacity.Assumptions(), inputs)
    assert "measured: server_cost, median of 3 rounds" in text


async def test_sdk_turns_counts_the_store_calls_of_real_turns() -> None:
    from benchmarks import sdk_turns

    openai = await sdk_turns.count("openai-agents", tools=1, history=1)
    assert openai["records_appended"] == 4  # input, function call, its output, the answer
    assert openai["reads"] >= 1 and openai["writes"] >= 1
    strands = await sdk_turns.count("strands", tools=0, history=1)
    assert strands["records_appended"] == 2  # the user message and the answer
    assert "write_doc" in strands["calls"]  # the agent's state
    assert "| strands | 0 |" in sdk_turns.render([strands])
