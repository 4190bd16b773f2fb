"""``python -m benchmarks [--quick | --smoke] [--json PATH] [--plot PATH] [--only PATTERN ...]
[--check [--strict]] [--with MODULE ...] [--results FILE ...]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .harness import FULL, QUICK, SMOKE
from .report import (
    apply_ratios,
    load_average,
    machine,
    payload,
    render,
    write_json,
    write_plot,
)
from .runner import Results, run
from .sources import MODULES, SourceError, load, run_modules
from .stats import MIN_ROUNDS
from .targets import TARGETS
from .verdicts import Verdict, evaluate, failures, markdown, to_json


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="sessions-plus vs the SDKs' own sessions and the bare client floor.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke: few rounds (under 2 minutes)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="a seconds-long check that the harness works"
    )
    parser.add_argument(
        "--no-strands", action="store_true", help="skip the Strands restore workloads"
    )
    parser.add_argument("--json", metavar="PATH", help="write the rows and verdicts as JSON")
    parser.add_argument("--plot", metavar="PATH", help="write a PNG chart of the ratios")
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        action="append",
        default=[],
        help="run only backend/implementation/workload matching this regex (repeatable)",
    )
    parser.add_argument(
        "--rounds", type=int, help=f"override the number of alternating rounds (>= {MIN_ROUNDS})"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a target is missed beyond its spread (a regression), else 0",
    )
    parser.add_argument(
        "--strict", action="store_true", help="with --check: waived misses fail too"
    )
    parser.add_argument(
        "--with",
        dest="modules",
        metavar="MODULE",
        action="append",
        default=[],
        choices=[*MODULES, "all"],
        help="also run this benchmark module (same mode) and judge its targets (repeatable)",
    )
    parser.add_argument(
        "--results",
        metavar="FILE",
        action="append",
        default=[],
        help="judge saved --json outputs of any benchmark module; measures nothing itself "
        "(repeatable)",
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < MIN_ROUNDS:
        parser.error(f"--rounds must be at least {MIN_ROUNDS}: a verdict is a median of rounds")
    if args.strict and not args.check:
        parser.error("--strict goes with --check")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.rounds:
        config = replace(config, rounds=args.rounds)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    load_before = load_average()
    started = time.perf_counter()
    try:
        sources: dict[str, Any] = load(args.results)
    except SourceError as exc:
        print(f"cannot read results: {exc}", file=sys.stderr)
        return 2
    results: Results | None = None
    if not args.results:
        results = asyncio.run(run(config, args.only, include_strands=not args.no_strands))
        apply_ratios(results.rows)
        sources["benchmarks"] = payload(results, mode)
        sources["benchmarks"]["machine"]["load_average_before"] = load_before
    problems: list[str] = []
    if args.modules:
        names = list(MODULES) if "all" in args.modules else args.modules
        ran, problems = run_modules(names, mode, lambda m: print(m, file=sys.stderr, flush=True))
        sources.update(ran)
    verdicts = evaluate(TARGETS, sources)
    took = time.perf_counter() - started

    if results is not None:
        _print_header(results, mode, took, load_before)
        print(render(results, verdicts))
        if args.plot and not write_plot(args.plot, results.rows):
            print("(no ratios to plot)", file=sys.stderr)
    else:
        print(f"# sessions-plus targets, judged on {', '.join(sorted(sources))}\n")
        print(markdown(verdicts))
    for problem in problems:
        print(f"- not run: {problem}")
    if args.json:
        data = dict(sources.get("benchmarks") or {"module": "check"})
        data["targets"] = to_json(verdicts)
        data["judged_sources"] = sorted(sources)
        write_json(args.json, data)
    if args.check:
        return _check(verdicts, strict=args.strict)
    return 0


def _print_header(results: Results, mode: str, took: float, load_before: Any) -> None:
    info = machine(results)
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"# sessions-plus benchmarks ({mode} mode, {took:.0f} s)\n")
    print(
        f"Machine: {info['cpu_count']} cores ({info['processor']}), {info['memory_gb']} GB, "
        f"Python {info['python']}, {info['platform']}; load average (1/5/15 min) "
        f"{load_before} before, {info['load_average']} after. Versions: {versions}.\n"
    )


def _check(verdicts: list[Verdict], *, strict: bool) -> int:
    """Print why the check passes or fails; 1 if a target is missed beyond its spread."""
    failing = failures(verdicts, strict=strict)
    print("\n## Check\n")
    for v in verdicts:
        if v.status.name in ("WITHIN_SPREAD", "WAIVED", "TOO_FEW_ROUNDS"):
            print(f"- note: {v.line()}")
    judged = sum(1 for v in verdicts if v.status.name != "NOT_MEASURED")
    absent = sorted({v.target.key for v in verdicts if v.status.name == "NOT_MEASURED"})
    if absent:
        print(
            f"- not measured here ({len(absent)}): {', '.join(absent)} "
            "(add --with all, or judge saved outputs with --results)"
        )
    if failing:
        for v in failing:
            print(f"- FAIL: {v.line()}")
        print(f"\ncheck failed: {len(failing)} of {judged} verdicts missed beyond their spread")
        return 1
    print(f"\ncheck passed: no target missed beyond its spread ({judged} verdicts judged)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
