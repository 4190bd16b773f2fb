"""``python -m benchmarks [--quick | --smoke] [--json PATH] [--plot PATH] [--only PATTERN ...]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from .harness import FULL, QUICK, SMOKE
from .report import apply_ratios, evaluate_targets, machine, render, write_json, write_plot
from .runner import run


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
    parser.add_argument("--json", metavar="PATH", help="write the rows as JSON")
    parser.add_argument("--plot", metavar="PATH", help="write a PNG chart of the ratios")
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        action="append",
        default=[],
        help="run only backend/implementation/workload matching this regex (repeatable)",
    )
    parser.add_argument("--rounds", type=int, help="override the number of alternating rounds")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.rounds:
        from dataclasses import replace

        config = replace(config, rounds=args.rounds)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    started = time.perf_counter()
    results = asyncio.run(run(config, args.only, include_strands=not args.no_strands))
    apply_ratios(results.rows)
    targets = evaluate_targets(results.rows)
    took = time.perf_counter() - started
    info = machine(results)
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    print(f"# sessions-plus benchmarks ({mode} mode, {took:.0f} s)\n")
    print(
        f"Machine: {info['cpu_count']} cores ({info['processor']}), {info['memory_gb']} GB, "
        f"Python {info['python']}, {info['platform']}. Versions: {versions}.\n"
    )
    print(render(results, targets))
    if args.json:
        write_json(args.json, results, targets, mode)
    if args.plot and not write_plot(args.plot, results.rows):
        print("(no ratios to plot)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
